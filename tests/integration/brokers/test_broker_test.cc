// test-broker: its default OSB behaviour and the admin API the controller's tests drive it
// with (behaviors, request log, catalog replacement, delays, state).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/brokers/osb_client.h"

namespace foundry::test {
namespace {

constexpr const char* kTestService = "f2a1c0de-0000-4000-8000-000000000db0";
constexpr const char* kSync = "f2a1c0de-0000-4000-8000-00000000595c";
constexpr const char* kTestAsync = "f2a1c0de-0000-4000-8000-00000000a5c0";

nlohmann::json testProvisionBody(const char* plan) {
  return {{"service_id", kTestService}, {"plan_id", plan}, {"organization_guid", "o"},
          {"space_guid", "s"}};
}
nlohmann::json testBindBody(const char* plan) {
  return {{"service_id", kTestService}, {"plan_id", plan}, {"app_guid", "app"}};
}
std::string del(const char* plan) {
  return std::string("?service_id=") + kTestService + "&plan_id=" + plan;
}

class TestBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.start()) << broker_.logs(); }
  OsbClient osb() const { return broker_.client(); }
  // Admin calls carry no version header: they are not OSB.
  OsbReply admin(const std::string& method, const std::string& path, const std::string& body = "") {
    return osb().call(method, path, body, {}, /*version=*/"");
  }

  BrokerProcess broker_{"test-broker", TEST_BROKER_BINARY, {"--async-polls", "2"}};
};

TEST_F(TestBrokerTest, WellBehavedByDefault) {
  OsbReply r = osb().call("GET", "/v2/catalog");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["services"][0]["name"], "fake-db");
  EXPECT_EQ(r.body["services"][0]["plans"].size(), 2u);

  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/i1", testProvisionBody(kSync)).status, 201);
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/i1", testProvisionBody(kSync)).status, 200);
  nlohmann::json other = testProvisionBody(kSync);
  other["space_guid"] = "elsewhere";
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/i1", other).status, 409);

  r = osb().call("PUT", "/v2/service_instances/i1/service_bindings/b1", testBindBody(kSync));
  ASSERT_EQ(r.status, 201);
  nlohmann::json creds = r.body["credentials"];
  EXPECT_TRUE(creds.contains("username") && creds.contains("password") && creds.contains("uri"));
  r = osb().call("PUT", "/v2/service_instances/i1/service_bindings/b1", testBindBody(kSync));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["credentials"], creds);
  r = osb().call("PUT", "/v2/service_instances/i1/service_bindings/b2", testBindBody(kSync));
  EXPECT_NE(r.body["credentials"]["password"], creds["password"]);  // random per binding

  EXPECT_EQ(osb().call("DELETE", "/v2/service_instances/i1/service_bindings/b1" + del(kSync)).status, 200);
  EXPECT_EQ(osb().call("DELETE", "/v2/service_instances/i1/service_bindings/b1" + del(kSync)).status, 410);
  EXPECT_EQ(osb().call("DELETE", "/v2/service_instances/i1" + del(kSync)).status, 200);
  EXPECT_EQ(osb().call("DELETE", "/v2/service_instances/i1" + del(kSync)).status, 410);
  EXPECT_EQ(osb().call("GET", "/v2/catalog", "", {}, "").status, 412);
  EXPECT_EQ(osb().callAs("broker", "wrong", "GET", "/v2/catalog").status, 401);
  EXPECT_EQ(osb().callAs("broker", "wrong", "GET", "/admin/state").status, 401);
}

TEST_F(TestBrokerTest, AsyncPlanIsInProgressForTheConfiguredPolls) {
  OsbReply r = osb().call("PUT", "/v2/service_instances/a1", testProvisionBody(kTestAsync));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "AsyncRequired");
  r = osb().call("PUT", "/v2/service_instances/a1?accepts_incomplete=true", testProvisionBody(kTestAsync));
  ASSERT_EQ(r.status, 202);
  std::string op = r.body["operation"];
  r = osb().call("PUT", "/v2/service_instances/a1?accepts_incomplete=true", testProvisionBody(kTestAsync));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body["operation"], op);
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/a1/service_bindings/b", testBindBody(kTestAsync)).body["error"],
            "ConcurrencyError");
  const std::string last = "/v2/service_instances/a1/last_operation?operation=" + op;
  EXPECT_EQ(osb().call("GET", last).body["state"], "in progress");
  EXPECT_EQ(osb().call("GET", last).body["state"], "in progress");
  EXPECT_EQ(osb().call("GET", last).body["state"], "succeeded");

  // Polls are counted from the start of each operation: 0 from now on.
  ASSERT_EQ(admin("PUT", "/admin/config", R"({"async_polls":0})").status, 200);
  r = osb().call("DELETE", "/v2/service_instances/a1" + del(kTestAsync) + "&accepts_incomplete=true");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(osb().call("GET", "/v2/service_instances/a1/last_operation").body["state"], "succeeded");
  EXPECT_EQ(osb().call("GET", "/v2/service_instances/a1/last_operation").status, 410);
}

TEST_F(TestBrokerTest, BehaviorsAnswerTheNextCallsThenStop) {
  ASSERT_EQ(admin("POST", "/admin/behaviors",
                  R"({"endpoint":"provision","status":500,"body":"{\"error\":\"Boom\"}","times":2})")
                .status,
            201);
  OsbReply r = osb().call("PUT", "/v2/service_instances/x", testProvisionBody(kSync));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body["error"], "Boom");
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/x", testProvisionBody(kSync)).status, 500);
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/x", testProvisionBody(kSync)).status, 201);

  // Malformed bodies are served as-is; Retry-After is set when asked.
  ASSERT_EQ(admin("POST", "/admin/behaviors",
                  R"({"endpoint":"bind","status":201,"body":"{not json","retry_after":7})")
                .status,
            201);
  r = osb().call("PUT", "/v2/service_instances/x/service_bindings/b", testBindBody(kSync));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.raw, "{not json");
  EXPECT_EQ(r.http.header("retry-after"), "7");
  // The canned answer left no binding behind.
  EXPECT_EQ(admin("GET", "/admin/state").body["bindings"].size(), 0u);

  // The "state" shortcut, and DELETE clearing what is left.
  ASSERT_EQ(admin("POST", "/admin/behaviors",
                  R"({"endpoint":"instance_last_operation","state":"failed","description":"disk full"})")
                .status,
            201);
  r = osb().call("GET", "/v2/service_instances/x/last_operation");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["state"], "failed");
  EXPECT_EQ(r.body["description"], "disk full");
  EXPECT_EQ(osb().call("GET", "/v2/service_instances/x/last_operation").body["state"], "succeeded");
  ASSERT_EQ(admin("POST", "/admin/behaviors", R"({"endpoint":"catalog","status":503,"times":5})").status,
            201);
  EXPECT_EQ(osb().call("GET", "/v2/catalog").status, 503);
  EXPECT_EQ(admin("DELETE", "/admin/behaviors").status, 200);
  EXPECT_EQ(osb().call("GET", "/v2/catalog").status, 200);

  EXPECT_EQ(admin("POST", "/admin/behaviors", R"({"endpoint":"nope","status":500})").status, 400);
  EXPECT_EQ(admin("POST", "/admin/behaviors", R"({"endpoint":"bind","status":"x"})").status, 400);
  EXPECT_EQ(admin("POST", "/admin/behaviors", "{bad").status, 400);
}

TEST_F(TestBrokerTest, DelayLongerThanTheCallersTimeoutLooksLikeATimeout) {
  ASSERT_EQ(admin("POST", "/admin/behaviors",
                  R"({"endpoint":"provision","delay_ms":1500,"status":201})")
                .status,
            201);
  auto start = std::chrono::steady_clock::now();
  OsbReply r = osb().call("PUT", "/v2/service_instances/slow", testProvisionBody(kSync).dump(), {},
                          "2.17", /*timeout_ms=*/300);
  EXPECT_EQ(r.status, 0) << "expected a client timeout, got " << r.status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
  // The broker keeps serving other calls meanwhile...
  EXPECT_EQ(osb().call("GET", "/v2/catalog").status, 200);
  // ...and survives answering on the connection the caller gave up on.
  std::this_thread::sleep_until(start + std::chrono::milliseconds(1800));
  EXPECT_EQ(osb().call("GET", "/v2/catalog").status, 200);
  EXPECT_EQ(admin("GET", "/admin/state").body["instances"].size(), 0u);  // canned: nothing made

  // A delay without a status delays the broker's own answer.
  ASSERT_EQ(admin("POST", "/admin/behaviors", R"({"endpoint":"provision","delay_ms":300})").status,
            201);
  start = std::chrono::steady_clock::now();
  r = osb().call("PUT", "/v2/service_instances/late", testProvisionBody(kSync));
  EXPECT_EQ(r.status, 201);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(TestBrokerTest, RequestLogRecordsEveryOsbRequestInOrder) {
  ASSERT_EQ(admin("DELETE", "/admin/requests").status, 200);  // start() polled the catalog
  osb().call("GET", "/v2/catalog", "",
             {{"X-Broker-API-Originating-Identity", "cloudfoundry eyJ1c2VyX2lkIjoidSJ9"},
              {"X-Broker-API-Request-Identity", "rid-1"}});
  osb().call("PUT", "/v2/service_instances/i?accepts_incomplete=true", testProvisionBody(kSync));
  osb().callAs("broker", "wrong", "GET", "/v2/catalog");
  admin("GET", "/admin/state");  // not OSB: not logged

  OsbReply r = admin("GET", "/admin/requests");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), 3u) << r.raw;
  EXPECT_EQ(r.body[0]["method"], "GET");
  EXPECT_EQ(r.body[0]["path"], "/v2/catalog");
  EXPECT_EQ(r.body[0]["headers"]["X-Broker-API-Version"], "2.17");
  EXPECT_EQ(r.body[0]["headers"]["X-Broker-API-Originating-Identity"],
            "cloudfoundry eyJ1c2VyX2lkIjoidSJ9");
  EXPECT_EQ(r.body[0]["headers"]["X-Broker-API-Request-Identity"], "rid-1");
  EXPECT_EQ(r.body[0]["headers"]["Authorization"], "Basic ***");
  EXPECT_TRUE(r.body[0]["at"].is_string());
  EXPECT_EQ(r.body[1]["method"], "PUT");
  EXPECT_EQ(r.body[1]["path"], "/v2/service_instances/i");
  EXPECT_EQ(r.body[1]["query"], "accepts_incomplete=true");
  EXPECT_EQ(nlohmann::json::parse(r.body[1]["body"].get<std::string>())["plan_id"], kSync);
  EXPECT_EQ(admin("DELETE", "/admin/requests").status, 200);
  EXPECT_EQ(admin("GET", "/admin/requests").body.size(), 0u);
}

TEST_F(TestBrokerTest, CatalogCanBeReplacedEvenWithGarbage) {
  const std::string catalog =
      R"({"services":[{"id":"s2","name":"other","description":"d","bindable":false,)"
      R"("plans":[{"id":"p2","name":"async","description":"d"}]}]})";
  ASSERT_EQ(admin("PUT", "/admin/catalog", catalog).status, 200);
  OsbReply r = osb().call("GET", "/v2/catalog");
  EXPECT_EQ(r.raw, catalog);
  // Its plan named "async" is async.
  nlohmann::json body = {{"service_id", "s2"}, {"plan_id", "p2"}, {"organization_guid", "o"},
                         {"space_guid", "s"}};
  EXPECT_EQ(osb().call("PUT", "/v2/service_instances/z", body).status, 422);
  ASSERT_EQ(admin("PUT", "/admin/catalog", "{\"services\": [").status, 200);
  r = osb().call("GET", "/v2/catalog");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.raw, "{\"services\": [");
  EXPECT_TRUE(r.body.is_discarded());
}

TEST_F(TestBrokerTest, StateShowsWhatTheBrokerHolds) {
  ASSERT_EQ(osb().call("PUT", "/v2/service_instances/s1", testProvisionBody(kSync)).status, 201);
  ASSERT_EQ(osb().call("PUT", "/v2/service_instances/s1/service_bindings/sb", testBindBody(kSync)).status,
            201);
  OsbReply r = admin("GET", "/admin/state");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["instances"]["s1"]["plan_id"], kSync);
  EXPECT_EQ(r.body["bindings"]["sb"]["instance_id"], "s1");
  // Orphan mitigation as a platform does it: delete binding and instance, state is empty.
  osb().call("DELETE", "/v2/service_instances/s1/service_bindings/sb" + del(kSync));
  osb().call("DELETE", "/v2/service_instances/s1" + del(kSync));
  r = admin("GET", "/admin/state");
  EXPECT_EQ(r.body["instances"].size(), 0u);
  EXPECT_EQ(r.body["bindings"].size(), 0u);
}

}  // namespace
}  // namespace foundry::test
