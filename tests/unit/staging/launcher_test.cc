#include "staging/launcher/launcher.h"

#include "staging/common/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace foundry::staging {
namespace {

std::string get(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env) {
    if (e.rfind(name + "=", 0) == 0) {
      return e.substr(name.size() + 1);
    }
  }
  return "<unset>";
}

TEST(LauncherTest, CommandFromArgvElseStagingInfo) {
  std::string info = R"({"detected_buildpack":"nodejs","start_command":"node server.js"})";
  EXPECT_EQ(launchCommand("./custom", info), "./custom");
  EXPECT_EQ(launchCommand("", info), "node server.js");
  EXPECT_EQ(launchCommand("", ""), "");
  EXPECT_EQ(launchCommand("", "[broken"), "");
}

TEST(LauncherTest, EnvPointsIntoTheDropletAndRewritesVcapApplication) {
  std::vector<std::string> env = {"PORT=8080", "INSTANCE_INDEX=2", "INSTANCE_GUID=abc-123",
                                  R"(VCAP_APPLICATION={"name":"hello","limits":{"mem":256}})"};
  ASSERT_EQ(calcLaunchEnv(env, "/home/vcap/app"), "");
  EXPECT_EQ(get(env, "HOME"), "/home/vcap/app");
  EXPECT_EQ(get(env, "TMPDIR"), "/home/vcap/tmp");
  EXPECT_EQ(get(env, "DEPS_DIR"), "/home/vcap/deps");
  auto app = nlohmann::json::parse(get(env, "VCAP_APPLICATION"));
  EXPECT_EQ(app["name"], "hello");
  EXPECT_EQ(app["limits"]["mem"], 256);
  EXPECT_EQ(app["host"], "0.0.0.0");
  EXPECT_EQ(app["instance_id"], "abc-123");
  EXPECT_EQ(app["port"], 8080);
  EXPECT_EQ(app["instance_index"], 2);
}

TEST(LauncherTest, MissingVcapApplicationIsCreatedInvalidIsAnError) {
  std::vector<std::string> env = {"PORT=9000"};
  ASSERT_EQ(calcLaunchEnv(env, "/d/app"), "");
  auto app = nlohmann::json::parse(get(env, "VCAP_APPLICATION"));
  EXPECT_EQ(app["port"], 9000);
  EXPECT_FALSE(app.contains("instance_index"));
  std::vector<std::string> bad = {"VCAP_APPLICATION={nope"};
  EXPECT_NE(calcLaunchEnv(bad, "/d/app"), "");
}

}  // namespace
}  // namespace foundry::staging
