// The config RouterProcess writes: defaults, merged extra YAML and dotted overrides. Spawning the
// router itself is covered by the integration tests.

#include "tests/test_common/router_process.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace foundry::test {
namespace {

TEST(RouterProcessTest, DefaultConfigUsesGorouterKeys) {
  RouterOptions o;
  o.nats_port = 4333;
  o.port = 8001;
  o.status_port = 8002;
  o.routes_port = 8003;
  YAML::Node c = YAML::Load(routerConfigYaml(o));
  EXPECT_EQ(c["port"].as<int>(), 8001);
  EXPECT_EQ(c["status"]["port"].as<int>(), 8002);
  EXPECT_EQ(c["status"]["user"].as<std::string>(), "user");
  EXPECT_EQ(c["status"]["pass"].as<std::string>(), "pass");
  EXPECT_EQ(c["status"]["routes"]["port"].as<int>(), 8003);
  ASSERT_EQ(c["nats"]["hosts"].size(), 1u);
  EXPECT_EQ(c["nats"]["hosts"][0]["hostname"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(c["nats"]["hosts"][0]["port"].as<int>(), 4333);
  EXPECT_EQ(c["start_response_delay_interval"].as<std::string>(), "0s");
  EXPECT_EQ(c["logging"]["level"].as<std::string>(), "info");
  EXPECT_EQ(c["workers"].as<int>(), 1);
}

TEST(RouterProcessTest, ExtraYamlMergesAndSetOverrides) {
  RouterOptions o;
  o.nats_port = 4222;
  o.extra_yaml = R"(
status:
  pass: secret
  routes:
    port: 9999
balancing_algorithm: least-connection
nats:
  hosts:
  - {hostname: 127.0.0.1, port: 1}
  - {hostname: 127.0.0.1, port: 2}
)";
  o.set = {{"status.user", "admin"}, {"backends.max_conns", "7"}, {"disable_keep_alives", "true"}};
  YAML::Node c = YAML::Load(routerConfigYaml(o));
  EXPECT_EQ(c["status"]["port"].as<int>(), 0);  // kept from the defaults
  EXPECT_EQ(c["status"]["user"].as<std::string>(), "admin");
  EXPECT_EQ(c["status"]["pass"].as<std::string>(), "secret");
  EXPECT_EQ(c["status"]["routes"]["port"].as<int>(), 9999);
  EXPECT_EQ(c["balancing_algorithm"].as<std::string>(), "least-connection");
  ASSERT_EQ(c["nats"]["hosts"].size(), 2u);  // sequences replace
  EXPECT_EQ(c["nats"]["hosts"][1]["port"].as<int>(), 2);
  EXPECT_EQ(c["backends"]["max_conns"].as<int>(), 7);
  EXPECT_TRUE(c["disable_keep_alives"].as<bool>());
}

}  // namespace
}  // namespace foundry::test
