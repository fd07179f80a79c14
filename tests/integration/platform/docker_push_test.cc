// `foundry push APP --docker-image` end to end: a private registry on loopback (Debian's
// docker-registry behind basic auth, test images pushed with skopeo), the controller staging
// the image, the cells pulling and running it in containers, the router serving it; scaling it;
// a one-off task in the image; and each bad input failing the push with a clear error while the
// running app keeps serving.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/integration/platform/platform.h"
#include "tests/test_common/registry_process.h"
#include "tests/test_common/test_images.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRegistryPassword = "s3cret-pw-42";

class DockerPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.start()) << registry_.lastError();
    char tmpl[] = "/tmp/docker-push-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string layout;
    ASSERT_EQ(buildTestImageLayout(dir_ + "/image", &layout), "");
    for (const char* tag : {"web", "nocmd"}) {
      ASSERT_EQ(pushTestImage(layout, tag, image(tag),
                              {.creds = std::string("alice:") + kRegistryPassword}),
                "");
    }
    ASSERT_TRUE(platform_.start()) << platform_.logs();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string image(const std::string& tag) const {
    return registry_.address() + "/test/app:" + tag;
  }
  CliResult push(const std::string& app, const std::string& tag, const std::string& password,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"push", app, "--docker-image", image(tag), "--docker-username",
                                  "alice", "-m", "64M"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> env;
    if (!password.empty()) env.push_back("CF_DOCKER_PASSWORD=" + password);
    return platform_.cli(args, 180s, env);
  }
  bool waitBody(const std::string& host, const std::string& path, const std::string& body) {
    for (int i = 0; i < 300; ++i) {
      auto r = platform_.get(host, path);
      if (r && r->status == 200 && r->body == body) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  RegistryProcess registry_{{"alice", kRegistryPassword}};
  Platform platform_;
  std::string dir_;
};

TEST_F(DockerPushTest, PrivateImageIsStagedRunRoutedAndScaledAndBadImagesFailClearly) {
  CliResult pushed = push("dock", "web", kRegistryPassword, {"-i", "2"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output << platform_.logs();
  EXPECT_NE(pushed.output.find("Staging complete"), std::string::npos) << pushed.output;
  ASSERT_TRUE(platform_.waitRunning("dock", 2)) << platform_.stats("dock").dump()
                                                << platform_.logs();
  // The image's own CMD (busybox httpd on $PORT over its /etc), through the router.
  EXPECT_TRUE(waitBody("dock.apps.internal", "/hello.txt", "hello")) << platform_.logs();
  // The droplet pins the digest; the package never shows the password.
  nlohmann::json apps = platform_.api("/v3/apps?names=dock");
  ASSERT_EQ(apps["resources"].size(), 1u) << apps.dump();
  const std::string app = apps["resources"][0]["guid"];
  EXPECT_EQ(apps["resources"][0]["lifecycle"]["type"], "docker");
  nlohmann::json droplet = platform_.api("/v3/apps/" + app + "/droplets/current");
  EXPECT_EQ(droplet.value("image", "").rfind(registry_.address() + "/test/app@sha256:", 0), 0u)
      << droplet.dump();
  nlohmann::json packages = platform_.api("/v3/apps/" + app + "/packages");
  EXPECT_EQ(packages["resources"][0]["data"]["password"], "***") << packages.dump();

  CliResult scaled = platform_.cli({"scale", "dock", "-i", "3"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.output;
  EXPECT_TRUE(platform_.waitRunning("dock", 3)) << platform_.stats("dock").dump();

  // A one-off task runs in the image too, pulled with the same credentials.
  CliResult task =
      platform_.cli({"run-task", "dock", "--command", "test \"$(cat /etc/hello.txt)\" = hello"});
  ASSERT_EQ(task.exit_code, 0) << task.output;
  std::string task_state;
  for (int i = 0; i < 300 && task_state != "SUCCEEDED" && task_state != "FAILED"; ++i) {
    std::this_thread::sleep_for(200ms);
    nlohmann::json tasks = platform_.api("/v3/apps/" + app + "/tasks");
    if (tasks.is_object() && !tasks["resources"].empty()) {
      task_state = tasks["resources"][0].value("state", "");
    }
  }
  EXPECT_EQ(task_state, "SUCCEEDED") << platform_.api("/v3/apps/" + app + "/tasks").dump();

  // Bad input: each push fails with its reason; the running app keeps serving.
  CliResult wrong = push("bad-password", "web", "not-the-password");
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.output.find("unauthorized"), std::string::npos) << wrong.output;
  EXPECT_EQ(wrong.output.find("not-the-password"), std::string::npos) << wrong.output;
  CliResult missing = push("missing", "no-such-tag", kRegistryPassword);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("image not found"), std::string::npos) << missing.output;
  CliResult nocmd = push("nocmd", "nocmd", kRegistryPassword);
  EXPECT_NE(nocmd.exit_code, 0);
  EXPECT_NE(nocmd.output.find("has no command"), std::string::npos) << nocmd.output;
  CliResult no_password = push("nopw", "web", "");
  EXPECT_NE(no_password.exit_code, 0);
  EXPECT_NE(no_password.output.find("CF_DOCKER_PASSWORD not set"), std::string::npos)
      << no_password.output;
  EXPECT_TRUE(waitBody("dock.apps.internal", "/hello.txt", "hello"));

  // The registry password appears in no component's log.
  EXPECT_EQ(platform_.logs().find(kRegistryPassword), std::string::npos);
}

}  // namespace
}  // namespace foundry::test
