// Broker registration against the real test-broker process (brokers/test) through the
// controller's Api (tests/integration/services/broker_harness.h): create-service-broker's
// catalog synchronization over a real OSB connection (version header, basic auth), the
// re-synchronization after the broker's catalog changes, a malformed catalog and wrong
// credentials failing the job.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/services/broker_harness.h"

namespace foundry::test {
namespace {

using nlohmann::json;

class ServiceBrokersIntegrationTest : public ::testing::Test {
 protected:
  json brokerBody(const std::string& password) {
    return {{"name", "real"},
            {"url", h_.url()},
            {"authentication",
             {{"type", "basic"},
              {"credentials", {{"username", "broker-user"}, {"password", password}}}}}};
  }
  json run(const control::ApiResponse& accepted) {
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    h_.advance();
    return h_.job(accepted);
  }
  json plansOf(const std::string& broker) {
    return h_.call(h_.admin(), "GET",
                   "/v3/service_plans?order_by=name&service_broker_names=" + broker)
        .body["resources"];
  }

  BrokerHarness h_{"broker-sync"};
};

TEST_F(ServiceBrokersIntegrationTest, SynchronizesTheRealCatalog) {
  ASSERT_TRUE(h_.brokerStarted());
  h_.clearRequests();
  json job =
      run(h_.call(h_.admin(), "POST", "/v3/service_brokers", brokerBody("broker-secret-pw")));
  ASSERT_EQ(job["state"], "COMPLETE") << job;
  json plans = plansOf("real");
  ASSERT_EQ(plans.size(), 2u) << plans;
  EXPECT_EQ(plans[0]["name"], "async");
  EXPECT_EQ(plans[0]["broker_catalog"]["maximum_polling_duration"], 600);
  EXPECT_EQ(plans[0]["visibility_type"], "admin");
  EXPECT_EQ(plans[1]["name"], "sync");
  const std::string sync_guid = plans[1]["guid"];
  bool fetched = false;
  for (const auto& r : h_.requests()) {
    fetched = fetched || r.value("path", "") == "/v2/catalog";
  }
  EXPECT_TRUE(fetched) << h_.requests();

  // The broker renames `sync` (same id) and drops `async`; a credentials update re-fetches.
  json catalog = {{"services",
                   {{{"id", BrokerHarness::kServiceId},
                     {"name", "fake-db"},
                     {"description", "An in-memory fake database for tests"},
                     {"bindable", true},
                     {"plans", {{{"id", BrokerHarness::kSyncPlanId},
                                 {"name", "instant"},
                                 {"description", "Created at once"}}}}}}}};
  ASSERT_TRUE(h_.brokerSend("PUT", "/admin/catalog", catalog.dump()));
  const std::string guid =
      h_.call(h_.admin(), "GET", "/v3/service_brokers?names=real").body["resources"][0]["guid"];
  job = run(h_.call(h_.admin(), "PATCH", "/v3/service_brokers/" + guid,
                    {{"authentication", brokerBody("broker-secret-pw")["authentication"]}}));
  ASSERT_EQ(job["state"], "COMPLETE") << job;
  plans = plansOf("real");
  ASSERT_EQ(plans.size(), 1u) << plans;
  EXPECT_EQ(plans[0]["name"], "instant");
  EXPECT_EQ(plans[0]["guid"], sync_guid);

  // Malformed on purpose: the job fails with the reason and nothing changes.
  ASSERT_TRUE(h_.brokerSend("PUT", "/admin/catalog", R"({"services":[{"id":"x"}]})"));
  job = run(h_.call(h_.admin(), "PATCH", "/v3/service_brokers/" + guid, {{"url", h_.url()}}));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_NE(job["errors"][0]["detail"].get<std::string>().find(
                "Service broker catalog is invalid"),
            std::string::npos)
      << job;
  EXPECT_EQ(plansOf("real").size(), 1u);
}

TEST_F(ServiceBrokersIntegrationTest, WrongCredentialsFailTheJob) {
  ASSERT_TRUE(h_.brokerStarted());
  json job = run(h_.call(h_.admin(), "POST", "/v3/service_brokers", brokerBody("not-it")));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_NE(job["errors"][0]["detail"].get<std::string>().find("Authentication failed"),
            std::string::npos)
      << job;
  EXPECT_EQ(job.dump().find("not-it"), std::string::npos);
}

}  // namespace
}  // namespace foundry::test
