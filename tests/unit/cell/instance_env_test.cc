#include "scheduler/cell/instance_env.h"

#include <gtest/gtest.h>

#include <map>

namespace foundry::cell {
namespace {

std::map<std::string, std::string> asMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& entry : env) {
    size_t eq = entry.find('=');
    EXPECT_NE(eq, std::string::npos) << entry;
    EXPECT_EQ(out.count(entry.substr(0, eq)), 0u) << "duplicate " << entry;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

sched::LrpStart sampleStart() {
  sched::LrpStart start;
  start.index = 2;
  start.instance_guid = "ig-1";
  auto& d = start.desired;
  d.process_guid = "6f1c0b9e-1111-2222-3333-444455556666-0a1b2c3d-aaaa-bbbb-cccc-ddddeeeeffff";
  d.app_guid = "app-1";
  d.app_name = "demo";
  d.process_type = "web";
  d.space_guid = "space-1";
  d.space_name = "dev";
  d.organization_guid = "org-1";
  d.organization_name = "acme";
  d.memory_mb = 256;
  d.disk_mb = 1024;
  d.routes = {{"demo.apps.internal", "", "r1", 8080}, {"www.example.com", "/shop", "r2", 8080}};
  d.environment = {{"GREETING", "hi"}, {"PORT", "1"}, {"PATH", "/app/bin"}};
  return start;
}

InstancePlacement samplePlacement() {
  return {"10.0.0.5", 61007, "/work/instances/ig-1", "/usr/bin:/bin"};
}

TEST(CellInstanceEnvTest, PlatformVariablesFollowTheProtocol) {
  auto env = asMap(instanceEnvironment(sampleStart(), samplePlacement()));
  EXPECT_EQ(env["PORT"], "61007");
  EXPECT_EQ(env["VCAP_APP_PORT"], "61007");
  EXPECT_EQ(env["VCAP_APP_HOST"], "0.0.0.0");
  EXPECT_EQ(env["VCAP_SERVICES"], "{}");
  EXPECT_EQ(env["CF_INSTANCE_INDEX"], "2");
  EXPECT_EQ(env["INSTANCE_INDEX"], "2");
  EXPECT_EQ(env["CF_INSTANCE_GUID"], "ig-1");
  EXPECT_EQ(env["INSTANCE_GUID"], "ig-1");
  EXPECT_EQ(env["CF_INSTANCE_IP"], "10.0.0.5");
  EXPECT_EQ(env["CF_INSTANCE_INTERNAL_IP"], "10.0.0.5");
  EXPECT_EQ(env["CF_INSTANCE_PORT"], "61007");
  EXPECT_EQ(env["CF_INSTANCE_ADDR"], "10.0.0.5:61007");
  EXPECT_EQ(nlohmann::json::parse(env["CF_INSTANCE_PORTS"]),
            nlohmann::json::parse(R"([{"external":61007,"internal":61007}])"));
  EXPECT_EQ(env["MEMORY_LIMIT"], "256m");
  EXPECT_EQ(env["HOME"], "/work/instances/ig-1/app");
  EXPECT_EQ(env["TMPDIR"], "/work/instances/ig-1/tmp");
  EXPECT_EQ(env["LANG"], "en_US.UTF-8");
  EXPECT_EQ(env["USER"], "vcap");
}

TEST(CellInstanceEnvTest, AppEnvironmentIsKeptButCannotMovePlatformVariables) {
  auto env = asMap(instanceEnvironment(sampleStart(), samplePlacement()));
  EXPECT_EQ(env["GREETING"], "hi");
  EXPECT_EQ(env["PORT"], "61007") << "the router only knows the port the cell gave";
  EXPECT_EQ(env["PATH"], "/app/bin") << "an app's own PATH wins over the cell's";
  auto start = sampleStart();
  start.desired.environment.clear();
  EXPECT_EQ(asMap(instanceEnvironment(start, samplePlacement()))["PATH"], "/usr/bin:/bin");
}

TEST(CellInstanceEnvTest, VcapApplicationDescribesTheApp) {
  auto env = asMap(instanceEnvironment(sampleStart(), samplePlacement()));
  auto vcap = nlohmann::json::parse(env["VCAP_APPLICATION"]);
  EXPECT_EQ(vcap["application_id"], "app-1");
  EXPECT_EQ(vcap["application_name"], "demo");
  EXPECT_EQ(vcap["name"], "demo");
  EXPECT_EQ(vcap["application_uris"],
            nlohmann::json::parse(R"(["demo.apps.internal","www.example.com/shop"])"));
  EXPECT_EQ(vcap["uris"], vcap["application_uris"]);
  EXPECT_EQ(vcap["space_id"], "space-1");
  EXPECT_EQ(vcap["space_name"], "dev");
  EXPECT_EQ(vcap["organization_id"], "org-1");
  EXPECT_EQ(vcap["organization_name"], "acme");
  EXPECT_EQ(vcap["process_id"], "6f1c0b9e-1111-2222-3333-444455556666");
  EXPECT_EQ(vcap["process_type"], "web");
  EXPECT_EQ(vcap["limits"]["mem"], 256);
  EXPECT_EQ(vcap["limits"]["disk"], 1024);
  EXPECT_EQ(vcap["limits"]["fds"], 16384);
  EXPECT_EQ(vcap["instance_index"], 2);
  EXPECT_EQ(vcap["instance_id"], "ig-1");
  EXPECT_EQ(vcap["port"], 61007);
  EXPECT_EQ(vcap["host"], "0.0.0.0");
}

TEST(CellInstanceEnvTest, NoRoutesGiveEmptyUris) {
  auto start = sampleStart();
  start.desired.routes.clear();
  auto vcap = vcapApplication(start, samplePlacement());
  EXPECT_TRUE(vcap["application_uris"].is_array());
  EXPECT_TRUE(vcap["application_uris"].empty());
}

TEST(CellInstanceEnvTest, ProcessIdStripsOnlyAVersionUuid) {
  EXPECT_EQ(processIdOf("abc-0a1b2c3d-aaaa-bbbb-cccc-ddddeeeeffff"), "abc");
  EXPECT_EQ(processIdOf("plain-guid-3"), "plain-guid-3");
  EXPECT_EQ(processIdOf(""), "");
}

TEST(CellInstanceEnvTest, NamesThatCannotBeInAnEnvironmentAreDropped) {
  auto start = sampleStart();
  start.desired.environment = {{"A=B", "x"}, {"", "y"}, {"OK", "z"}};
  auto env = asMap(instanceEnvironment(start, samplePlacement()));
  EXPECT_EQ(env["OK"], "z");
  EXPECT_EQ(env.count("A"), 0u);
  EXPECT_EQ(env.count(""), 0u);
}

TEST(CellInstanceEnvTest, MemoryLimitText) {
  EXPECT_EQ(memoryLimitText(256), "256m");
  EXPECT_EQ(memoryLimitText(1024), "1024m");
}

}  // namespace
}  // namespace foundry::cell
