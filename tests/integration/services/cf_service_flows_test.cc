// The cf CLI v8's service flows replayed request by request (PLATFORM-APIS.md B.4): the
// exact query strings it sends for marketplace, create-service, services, bind-service and
// cups, and the parts of each answer it reads (included.service_offerings/service_brokers,
// fields[...] partials, job states, the 422 texts it branches on).
#include <gtest/gtest.h>

#include "tests/integration/services/broker_harness.h"

namespace foundry::test {
namespace {

using nlohmann::json;

class CfServiceFlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h.brokerStarted()) << h.brokerProcess().logs();
    space_ = h.api().api().defaultSpaceGuid();
  }
  control::ApiResponse get(const std::string& target) { return h.call(h.admin(), "GET", target); }

  BrokerHarness h{"cf-flows"};
  std::string space_;
};

TEST_F(CfServiceFlowsTest, MarketplaceIsOneCallWithItsIncludes) {
  auto r = get("/v3/service_plans?include=service_offering&fields%5Bservice_offering.service_"
               "broker%5D=name,guid&per_page=5000&space_guids=" + space_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["resources"].size(), 2u);
  ASSERT_TRUE(r.body.contains("included")) << r.body;
  ASSERT_EQ(r.body["included"]["service_offerings"].size(), 1u);
  EXPECT_EQ(r.body["included"]["service_offerings"][0]["name"], "fake-db");
  ASSERT_EQ(r.body["included"]["service_brokers"].size(), 1u);
  EXPECT_EQ(r.body["included"]["service_brokers"][0]["name"], "test-broker");
  for (const auto& plan : r.body["resources"]) {
    EXPECT_EQ(plan["relationships"]["service_offering"]["data"]["guid"],
              r.body["included"]["service_offerings"][0]["guid"]);
  }
}

TEST_F(CfServiceFlowsTest, CreateServiceServicesBindService) {
  // create-service fake-db sync orders-db: find the plan, create, poll the job.
  auto plans = get("/v3/service_plans?names=sync&service_offering_names=fake-db&space_guids=" +
                   space_ + "&include=service_offering&fields%5Bservice_offering.service_broker%5D=name,guid");
  ASSERT_EQ(plans.body["resources"].size(), 1u) << plans.body;
  const std::string plan = plans.body["resources"][0]["guid"];
  auto created = h.call(h.admin(), "POST", "/v3/service_instances",
                        json{{"type", "managed"},
                             {"name", "orders-db"},
                             {"tags", {"t1"}},
                             {"parameters", {{"a", 1}}},
                             {"relationships",
                              {{"space", {{"data", {{"guid", space_}}}}},
                               {"service_plan", {{"data", {{"guid", plan}}}}}}}});
  ASSERT_EQ(created.status, 202);
  const std::string job = control::test_support::ApiHarness::jobPath(created);
  ASSERT_EQ(job.rfind("/v3/jobs/", 0), 0u);
  EXPECT_EQ(get(job).body["operation"], "service_instance.create");
  h.advance();
  EXPECT_EQ(get(job).body["state"], "COMPLETE");

  // services: one list with fields for plan, offering and broker, then the app bindings.
  auto list = get("/v3/service_instances?fields%5Bservice_plan%5D=guid,name,relationships.service_"
                  "offering&fields%5Bservice_plan.service_offering%5D=guid,name,relationships."
                  "service_broker&fields%5Bservice_plan.service_offering.service_broker%5D=guid,"
                  "name&order_by=name&per_page=5000&space_guids=" + space_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.body["resources"].size(), 1u);
  const json& inc = list.body["included"];
  ASSERT_EQ(inc["service_plans"].size(), 1u) << inc;
  EXPECT_EQ(inc["service_plans"][0]["name"], "sync");
  EXPECT_FALSE(inc["service_plans"][0].contains("description")) << "only the asked fields";
  EXPECT_EQ(inc["service_plans"][0]["relationships"]["service_offering"]["data"]["guid"],
            inc["service_offerings"][0]["guid"]);
  EXPECT_EQ(inc["service_offerings"][0]["name"], "fake-db");
  EXPECT_EQ(inc["service_brokers"][0]["name"], "test-broker");
  const std::string si = list.body["resources"][0]["guid"];
  // The cf CLI percent-encodes the commas of a fields list: the same partials come back.
  auto encoded = get("/v3/service_instances?fields%5Bservice_plan%5D=guid%2Cname%2C"
                     "relationships.service_offering&space_guids=" + space_);
  ASSERT_EQ(encoded.status, 200) << encoded.body;
  EXPECT_EQ(encoded.body["included"]["service_plans"][0]["name"], "sync") << encoded.body;
  EXPECT_EQ(encoded.body["included"]["service_plans"][0]["relationships"]["service_offering"],
            inc["service_plans"][0]["relationships"]["service_offering"]);

  // bind-service web orders-db
  const std::string app = h.createApp("web");
  auto apps = get("/v3/apps?names=web&space_guids=" + space_);
  ASSERT_EQ(apps.body["resources"].size(), 1u);
  auto instances = get("/v3/service_instances?names=orders-db&space_guids=" + space_);
  ASSERT_EQ(instances.body["resources"].size(), 1u);
  json bind_body = {{"type", "app"},
                    {"relationships",
                     {{"service_instance", {{"data", {{"guid", si}}}}},
                      {"app", {{"data", {{"guid", app}}}}}}}};
  auto bound = h.call(h.admin(), "POST", "/v3/service_credential_bindings", bind_body);
  ASSERT_EQ(bound.status, 202);
  EXPECT_EQ(get(control::test_support::ApiHarness::jobPath(bound)).body["operation"],
            "service_bindings.create");
  h.advance();
  auto again = h.call(h.admin(), "POST", "/v3/service_credential_bindings", bind_body);
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(again.body["errors"][0]["title"], "CF-UnprocessableEntity");
  EXPECT_EQ(again.body["errors"][0]["detail"], "The app is already bound to the service instance.");

  auto bindings = get("/v3/service_credential_bindings?service_instance_guids=" + si +
                      "&include=app&type=app&per_page=5000");
  ASSERT_EQ(bindings.body["resources"].size(), 1u) << bindings.body;
  EXPECT_EQ(bindings.body["included"]["apps"][0]["name"], "web");
  EXPECT_EQ(bindings.body["resources"][0]["last_operation"]["state"], "succeeded");

  // unbind-service: find the binding by app and instance, delete, poll.
  auto found = get("/v3/service_credential_bindings?app_guids=" + app +
                   "&service_instance_guids=" + si + "&type=app");
  ASSERT_EQ(found.body["resources"].size(), 1u);
  auto del = h.call(h.admin(), "DELETE",
                    "/v3/service_credential_bindings/" +
                        found.body["resources"][0]["guid"].get<std::string>());
  ASSERT_EQ(del.status, 202);
  EXPECT_EQ(get(control::test_support::ApiHarness::jobPath(del)).body["operation"],
            "service_bindings.delete");
  h.advance();
  EXPECT_EQ(get(control::test_support::ApiHarness::jobPath(del)).body["state"], "COMPLETE");
}

TEST_F(CfServiceFlowsTest, CupsAndNameTaken) {
  json body = {{"type", "user-provided"},
               {"name", "my-ups"},
               {"credentials", {{"user", "u"}}},
               {"syslog_drain_url", "syslog://logs.example.com:514"},
               {"route_service_url", "https://proxy.example.com"},
               {"tags", {"x"}},
               {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}};
  auto r = h.call(h.admin(), "POST", "/v3/service_instances", body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body["route_service_url"], "https://proxy.example.com");
  EXPECT_EQ(r.body["links"]["credentials"]["href"],
            std::string(control::test_support::ApiHarness::kBase) + "/v3/service_instances/" +
                r.body["guid"].get<std::string>() + "/credentials");
  auto dup = h.call(h.admin(), "POST", "/v3/service_instances", body);
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(dup.body["errors"][0]["detail"], "The service instance name is taken: my-ups.");
}

}  // namespace
}  // namespace foundry::test
