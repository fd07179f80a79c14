// Managed service instances and bindings against a real broker process (brokers/test): the
// OSB calls the controller sends (headers, bodies, accepts_incomplete), sync and async
// provision / bind / unbind / deprovision with last_operation polling, VCAP_SERVICES, and
// every row of the orphan-mitigation table (PLATFORM-APIS.md A.7), including an async
// operation resumed after a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <tuple>

#include "common/auth/base64url.h"
#include "tests/integration/services/broker_harness.h"

namespace foundry::test {
namespace {

using nlohmann::json;

std::string header(const json& request, const std::string& name) {
  for (const auto& [k, v] : request["headers"].items()) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v.get<std::string>();
    }
  }
  return "";
}

// The requests of one method whose path ends with `suffix` (or any path for "").
std::vector<json> requestsOf(const json& log, const std::string& method,
                             const std::string& contains = "") {
  std::vector<json> out;
  for (const auto& r : log) {
    const std::string path = r["path"];
    if (r["method"] == method && (contains.empty() || path.find(contains) != std::string::npos)) {
      out.push_back(r);
    }
  }
  return out;
}

class ServiceOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h.brokerStarted()) << h.brokerProcess().logs(); }

  control::ServiceInstance instance(const std::string& guid) {
    return *h.api().store().getServiceInstance(guid);
  }
  std::string bind(const std::string& app, const std::string& instance_guid,
                   control::ApiResponse* out = nullptr) {
    auto r = h.call(h.admin(), "POST", "/v3/service_credential_bindings",
                    json{{"type", "app"},
                         {"relationships",
                          {{"app", {{"data", {{"guid", app}}}}},
                           {"service_instance", {{"data", {{"guid", instance_guid}}}}}}}});
    if (out) *out = r;
    auto bindings = h.api().store().listServiceBindings({{}, {}, {}, {instance_guid}, {app}, {}});
    return bindings.empty() ? "" : bindings.back().guid;
  }

  BrokerHarness h{"svc-ops"};
};

TEST_F(ServiceOperationsTest, SyncProvisionSendsOsbHeadersAndContext) {
  auto r = h.call(h.admin(), "POST", "/v3/service_instances",
                  json{{"type", "managed"},
                       {"name", "orders-db"},
                       {"parameters", {{"size", "s"}}},
                       {"tags", {"team-a"}},
                       {"relationships",
                        {{"space", {{"data", {{"guid", h.api().api().defaultSpaceGuid()}}}}},
                         {"service_plan", {{"data", {{"guid", h.planGuid("sync")}}}}}}}});
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(h.job(r)["state"], "PROCESSING");
  h.advance();
  EXPECT_EQ(h.job(r)["state"], "COMPLETE") << h.job(r).dump();
  auto list = h.call(h.admin(), "GET", "/v3/service_instances?names=orders-db");
  ASSERT_EQ(list.body["resources"].size(), 1u);
  EXPECT_EQ(list.body["resources"][0]["last_operation"]["state"], "succeeded");
  EXPECT_EQ(list.body["resources"][0]["last_operation"]["type"], "create");

  auto puts = requestsOf(h.requests(), "PUT", "/v2/service_instances/");
  ASSERT_EQ(puts.size(), 1u);
  const json& put = puts[0];
  EXPECT_EQ(put["query"], "accepts_incomplete=true");
  EXPECT_EQ(header(put, "X-Broker-API-Version"), "2.17");
  EXPECT_FALSE(header(put, "X-Broker-API-Request-Identity").empty());
  // "cloudfoundry <base64 {"user_id": "<admin guid>"}>"
  const std::string identity = header(put, "X-Broker-API-Originating-Identity");
  ASSERT_EQ(identity.rfind("cloudfoundry ", 0), 0u) << identity;
  json body = json::parse(put["body"].get<std::string>());
  EXPECT_EQ(body["service_id"], BrokerHarness::kServiceId);
  EXPECT_EQ(body["plan_id"], BrokerHarness::kSyncPlanId);
  EXPECT_EQ(body["parameters"]["size"], "s");
  EXPECT_EQ(body["context"]["platform"], "cloudfoundry");
  EXPECT_EQ(body["context"]["instance_name"], "orders-db");
  EXPECT_EQ(body["organization_guid"], body["context"]["organization_guid"]);
  EXPECT_EQ(body["space_guid"], h.api().api().defaultSpaceGuid());
}

TEST_F(ServiceOperationsTest, AsyncProvisionPollsUntilSucceededAndJobShowsPolling) {
  auto r = h.call(h.admin(), "POST", "/v3/service_instances",
                  json{{"type", "managed"},
                       {"name", "slow-db"},
                       {"relationships",
                        {{"space", {{"data", {{"guid", h.api().api().defaultSpaceGuid()}}}}},
                         {"service_plan", {{"data", {{"guid", h.planGuid("async")}}}}}}}});
  ASSERT_EQ(r.status, 202);
  h.api().api().advanceServiceOperations();  // the PUT: 202
  EXPECT_EQ(h.job(r)["state"], "POLLING");
  h.api().api().advanceServiceOperations();  // poll 1: in progress
  auto got = h.call(h.admin(), "GET", "/v3/service_instances?names=slow-db");
  EXPECT_EQ(got.body["resources"][0]["last_operation"]["state"], "in progress");
  auto conflict = h.call(h.admin(), "DELETE",
                         "/v3/service_instances/" + got.body["resources"][0]["guid"].get<std::string>());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["errors"][0]["title"], "CF-AsyncServiceInstanceOperationInProgress");
  h.advance();
  EXPECT_EQ(h.job(r)["state"], "COMPLETE");
  auto polls = requestsOf(h.requests(), "GET", "/last_operation");
  ASSERT_GE(polls.size(), 2u);
  EXPECT_NE(polls[0]["query"].get<std::string>().find("service_id=" + std::string(BrokerHarness::kServiceId)),
            std::string::npos);
  EXPECT_NE(polls[0]["query"].get<std::string>().find("plan_id="), std::string::npos);
}

TEST_F(ServiceOperationsTest, RetryAfterIsHonoured) {
  std::string guid;
  {
    auto r = h.call(h.admin(), "POST", "/v3/service_instances",
                    json{{"type", "managed"},
                         {"name", "patient-db"},
                         {"relationships",
                          {{"space", {{"data", {{"guid", h.api().api().defaultSpaceGuid()}}}}},
                           {"service_plan", {{"data", {{"guid", h.planGuid("async")}}}}}}}});
    ASSERT_EQ(r.status, 202);
  }
  ASSERT_TRUE(h.behave({{"endpoint", "instance_last_operation"},
                        {"status", 200},
                        {"body", R"({"state":"in progress"})"},
                        {"retry_after", 3600}}));
  h.api().api().advanceServiceOperations();  // PUT -> 202
  h.api().api().advanceServiceOperations();  // poll -> in progress, Retry-After 3600
  h.clearRequests();
  h.advance();
  EXPECT_TRUE(requestsOf(h.requests(), "GET", "/last_operation").empty())
      << "polled again before Retry-After: " << h.requests().dump();
}

TEST_F(ServiceOperationsTest, BindGivesVcapServicesAndKeysShowCredentials) {
  const std::string si = h.createInstance("orders-db", "sync", {{"tags", {"team-a", "fake"}}});
  h.advance();
  const std::string app = h.createApp("web");
  control::ApiResponse bound;
  const std::string binding = bind(app, si, &bound);
  ASSERT_EQ(bound.status, 202) << bound.body.dump();
  h.advance();
  EXPECT_EQ(h.job(bound)["state"], "COMPLETE");

  auto env = h.call(h.admin(), "GET", "/v3/apps/" + app + "/env");
  const json& vcap = env.body["system_env_json"]["VCAP_SERVICES"];
  ASSERT_TRUE(vcap.contains("fake-db")) << vcap.dump();
  const json& e = vcap["fake-db"][0];
  EXPECT_EQ(e["label"], "fake-db");
  EXPECT_EQ(e["name"], "orders-db");
  EXPECT_EQ(e["instance_name"], "orders-db");
  EXPECT_EQ(e["instance_guid"], si);
  EXPECT_EQ(e["binding_guid"], binding);
  EXPECT_TRUE(e["binding_name"].is_null());
  EXPECT_EQ(e["plan"], "sync");
  EXPECT_TRUE(e["provider"].is_null());
  EXPECT_EQ(e["tags"], json({"fake", "test", "team-a"}));  // offering's, then new ones
  EXPECT_TRUE(e["credentials"].contains("password"));
  EXPECT_EQ(e["volume_mounts"], json::array());

  // The bind carried app_guid, bind_resource and context.
  auto binds = requestsOf(h.requests(), "PUT", "/service_bindings/");
  ASSERT_EQ(binds.size(), 1u);
  json body = json::parse(binds[0]["body"].get<std::string>());
  EXPECT_EQ(body["app_guid"], app);
  EXPECT_EQ(body["bind_resource"]["app_guid"], app);
  EXPECT_EQ(body["context"]["platform"], "cloudfoundry");

  control::ApiResponse again;
  bind(app, si, &again);
  EXPECT_EQ(again.status, 422);
  EXPECT_NE(again.body["errors"][0]["detail"].get<std::string>().find(
                "The app is already bound to the service instance"),
            std::string::npos);

  // Lists never carry credentials; /details does, for those who may read secrets.
  auto listed = h.call(h.admin(), "GET", "/v3/service_credential_bindings?app_guids=" + app);
  EXPECT_EQ(listed.body.dump().find(e["credentials"]["password"].get<std::string>()),
            std::string::npos);
  auto details = h.call(h.admin(), "GET", "/v3/service_credential_bindings/" + binding + "/details");
  EXPECT_EQ(details.body["credentials"], e["credentials"]);

  // A service key.
  auto key = h.call(h.admin(), "POST", "/v3/service_credential_bindings",
                    json{{"type", "key"},
                         {"name", "ci-key"},
                         {"relationships", {{"service_instance", {{"data", {{"guid", si}}}}}}}});
  ASSERT_EQ(key.status, 202);
  h.advance();
  auto keys = h.call(h.admin(), "GET",
                     "/v3/service_credential_bindings?type=key&service_instance_guids=" + si);
  ASSERT_EQ(keys.body["resources"].size(), 1u);
  EXPECT_EQ(keys.body["resources"][0]["name"], "ci-key");
  auto dup = h.call(h.admin(), "POST", "/v3/service_credential_bindings",
                    json{{"type", "key"},
                         {"name", "ci-key"},
                         {"relationships", {{"service_instance", {{"data", {{"guid", si}}}}}}}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_NE(dup.body.dump().find("Key binding names must be unique"), std::string::npos);

  // Unbind and deprovision leave the broker empty.
  for (const auto& b : h.api().store().listServiceBindings({{}, {}, {}, {si}, {}, {}})) {
    auto del = h.call(h.admin(), "DELETE", "/v3/service_credential_bindings/" + b.guid);
    EXPECT_EQ(del.status, 202);
  }
  h.advance();
  EXPECT_TRUE(h.api().store().listServiceBindings({{}, {}, {}, {si}, {}, {}}).empty());
  auto env_after = h.call(h.admin(), "GET", "/v3/apps/" + app + "/env");
  EXPECT_EQ(env_after.body["system_env_json"]["VCAP_SERVICES"], json::object());
  auto del = h.call(h.admin(), "DELETE", "/v3/service_instances/" + si);
  ASSERT_EQ(del.status, 202);
  h.advance();
  EXPECT_FALSE(h.api().store().getServiceInstance(si));
  json state = h.brokerState();
  EXPECT_TRUE(state["instances"].empty()) << state.dump();
  EXPECT_TRUE(state["bindings"].empty()) << state.dump();
}

TEST_F(ServiceOperationsTest, AsyncBindFetchesCredentialsAfterPolling) {
  const std::string si = h.createInstance("slow", "async");
  h.advance();
  ASSERT_EQ(instance(si).last_operation.state, "succeeded");
  const std::string app = h.createApp("worker");
  control::ApiResponse bound;
  const std::string binding = bind(app, si, &bound);
  ASSERT_EQ(bound.status, 202);
  h.advance();
  EXPECT_EQ(h.job(bound)["state"], "COMPLETE") << h.job(bound).dump();
  auto fetched = requestsOf(h.requests(), "GET", "/service_bindings/" + binding);
  bool fetched_binding = false;
  for (const auto& f : fetched) {
    if (f["path"].get<std::string>().find("last_operation") == std::string::npos) {
      fetched_binding = true;
    }
  }
  EXPECT_TRUE(fetched_binding) << "the credentials of an async bind come from GET binding";
  auto details = h.call(h.admin(), "GET", "/v3/service_credential_bindings/" + binding + "/details");
  EXPECT_TRUE(details.body["credentials"].contains("password")) << details.body.dump();
}

// ---- Orphan mitigation (A.7): one test per row ------------------------------------------

struct MitigationCase {
  const char* name;
  json behavior;       // what the broker answers to the request
  bool async_plan;     // provision on the async plan
  bool expect_delete;  // a DELETE (deprovision) follows
};

class ProvisionMitigationTest : public ServiceOperationsTest,
                                public ::testing::WithParamInterface<MitigationCase> {};

TEST_P(ProvisionMitigationTest, FollowsTheTable) {
  const MitigationCase& c = GetParam();
  ASSERT_TRUE(h.behave(c.behavior));
  const std::string si = h.createInstance("m-db", c.async_plan ? "async" : "sync");
  ASSERT_FALSE(si.empty());
  h.advance();
  EXPECT_EQ(instance(si).last_operation.state, "failed") << c.name;
  auto deletes = requestsOf(h.requests(), "DELETE", "/v2/service_instances/" + si);
  if (c.expect_delete) {
    ASSERT_FALSE(deletes.empty()) << c.name << ": no deprovision after " << c.behavior.dump();
    EXPECT_EQ(header(deletes[0], "X-Broker-API-Originating-Identity"), "")
        << "mitigations carry no originating identity";
    EXPECT_NE(deletes[0]["query"].get<std::string>().find("plan_id="), std::string::npos);
  } else {
    EXPECT_TRUE(deletes.empty()) << c.name << ": unexpected deprovision";
  }
  // Nothing left owed either way.
  EXPECT_TRUE(h.api().store().listServiceOperations().empty());
}

INSTANTIATE_TEST_SUITE_P(
    OrphanMitigation, ProvisionMitigationTest,
    ::testing::Values(
        MitigationCase{"500", {{"endpoint", "provision"}, {"status", 500}}, false, true},
        MitigationCase{"201_malformed", {{"endpoint", "provision"}, {"status", 201}, {"body", "not json"}}, false, true},
        MitigationCase{"200_malformed", {{"endpoint", "provision"}, {"status", 200}, {"body", "[1"}}, false, false},
        MitigationCase{"202_malformed", {{"endpoint", "provision"}, {"status", 202}, {"body", "{\"operation\":"}}, false, true},
        MitigationCase{"other_2xx", {{"endpoint", "provision"}, {"status", 204}, {"body", ""}}, false, true},
        MitigationCase{"408", {{"endpoint", "provision"}, {"status", 408}}, false, false},
        MitigationCase{"400", {{"endpoint", "provision"}, {"status", 400}}, false, false},
        MitigationCase{"422_concurrency", {{"endpoint", "provision"}, {"status", 422}, {"body", "{\"error\":\"ConcurrencyError\"}"}}, false, false},
        MitigationCase{"timeout", {{"endpoint", "provision"}, {"delay_ms", 3000}}, false, true},
        MitigationCase{"last_operation_failed", {{"endpoint", "instance_last_operation"}, {"state", "failed"}}, true, true}),
    [](const ::testing::TestParamInfo<MitigationCase>& info) { return std::string(info.param.name); });

class BindMitigationTest : public ServiceOperationsTest,
                           public ::testing::WithParamInterface<MitigationCase> {};

TEST_P(BindMitigationTest, FollowsTheTable) {
  const MitigationCase& c = GetParam();
  const std::string si = h.createInstance("b-db", c.async_plan ? "async" : "sync");
  h.advance();
  ASSERT_EQ(instance(si).last_operation.state, "succeeded");
  const std::string app = h.createApp("b-app");
  ASSERT_TRUE(h.behave(c.behavior));
  const std::string binding = bind(app, si);
  ASSERT_FALSE(binding.empty());
  h.advance();
  auto b = h.api().store().getServiceBinding(binding);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->last_operation.state, "failed") << c.name;
  auto deletes = requestsOf(h.requests(), "DELETE", "/service_bindings/" + binding);
  if (c.expect_delete) {
    EXPECT_FALSE(deletes.empty()) << c.name << ": no unbind after " << c.behavior.dump();
  } else {
    EXPECT_TRUE(deletes.empty()) << c.name << ": unexpected unbind";
  }
  // A failed binding is not in VCAP_SERVICES, and a new bind may replace it.
  auto env = h.call(h.admin(), "GET", "/v3/apps/" + app + "/env");
  EXPECT_EQ(env.body["system_env_json"]["VCAP_SERVICES"], json::object());
  control::ApiResponse again;
  bind(app, si, &again);
  EXPECT_EQ(again.status, 202) << again.body.dump();
}

INSTANTIATE_TEST_SUITE_P(
    OrphanMitigation, BindMitigationTest,
    ::testing::Values(
        MitigationCase{"500", {{"endpoint", "bind"}, {"status", 500}}, false, true},
        MitigationCase{"201_malformed", {{"endpoint", "bind"}, {"status", 201}, {"body", "{\"credentials\":\"x\"}"}}, false, true},
        MitigationCase{"200_malformed", {{"endpoint", "bind"}, {"status", 200}, {"body", "nope"}}, false, false},
        MitigationCase{"202_malformed", {{"endpoint", "bind"}, {"status", 202}, {"body", "]"}}, false, true},
        MitigationCase{"other_2xx", {{"endpoint", "bind"}, {"status", 203}, {"body", "{}"}}, false, true},
        MitigationCase{"408", {{"endpoint", "bind"}, {"status", 408}}, false, false},
        MitigationCase{"409", {{"endpoint", "bind"}, {"status", 409}}, false, false},
        MitigationCase{"timeout", {{"endpoint", "bind"}, {"delay_ms", 3000}}, false, true},
        MitigationCase{"last_operation_failed", {{"endpoint", "binding_last_operation"}, {"state", "failed"}}, true, true}),
    [](const ::testing::TestParamInfo<MitigationCase>& info) { return std::string(info.param.name); });

TEST_F(ServiceOperationsTest, FailedUpdateIsNotMitigated) {
  const std::string si = h.createInstance("u-db", "sync");
  h.advance();
  ASSERT_TRUE(h.behave({{"endpoint", "update"}, {"status", 500}}));
  auto r = h.call(h.admin(), "PATCH", "/v3/service_instances/" + si,
                  json{{"parameters", {{"size", "l"}}}});
  ASSERT_EQ(r.status, 202);
  h.advance();
  EXPECT_EQ(h.job(r)["state"], "FAILED");
  EXPECT_EQ(instance(si).last_operation.type, "update");
  EXPECT_EQ(instance(si).last_operation.state, "failed");
  EXPECT_TRUE(requestsOf(h.requests(), "DELETE").empty());
}

TEST_F(ServiceOperationsTest, MitigationIsRetriedUntilTheBrokerAccepts) {
  // Provision fails with 500; the first two deprovisions fail too; the third succeeds.
  ASSERT_TRUE(h.behave({{"endpoint", "provision"}, {"status", 500}}));
  ASSERT_TRUE(h.behave({{"endpoint", "deprovision"}, {"status", 503}, {"times", 2}}));
  const std::string si = h.createInstance("r-db", "sync");
  h.advance(20);
  auto deletes = requestsOf(h.requests(), "DELETE", "/v2/service_instances/" + si);
  EXPECT_EQ(deletes.size(), 3u) << h.requests().dump();
  EXPECT_TRUE(h.api().store().listServiceOperations().empty());
  // The failed instance stays for the user to see and delete.
  EXPECT_EQ(instance(si).last_operation.state, "failed");
}

TEST_F(ServiceOperationsTest, DeprovisionFailureIsRetriedAndTheInstanceGoesAtLast) {
  const std::string si = h.createInstance("d-db", "sync");
  h.advance();
  ASSERT_TRUE(h.behave({{"endpoint", "deprovision"}, {"status", 500}}));
  auto r = h.call(h.admin(), "DELETE", "/v3/service_instances/" + si);
  ASSERT_EQ(r.status, 202);
  h.advance();
  EXPECT_EQ(h.job(r)["state"], "FAILED");
  EXPECT_FALSE(h.api().store().getServiceInstance(si)) << "the retried delete finished it";
  EXPECT_TRUE(h.brokerState()["instances"].empty());
}

TEST_F(ServiceOperationsTest, AsyncProvisionResumesPollingAfterARestart) {
  const std::string si = h.createInstance("restart-db", "async");
  h.api().api().advanceServiceOperations();  // PUT -> 202, polling starts
  ASSERT_EQ(h.api().store().listServiceOperations().size(), 1u);
  EXPECT_EQ(h.api().store().listServiceOperations()[0].phase, "poll");
  h.api().restartApi();  // nothing in memory survives; the store does
  h.advance();
  EXPECT_EQ(instance(si).last_operation.state, "succeeded");
  EXPECT_TRUE(h.api().store().listServiceOperations().empty());
}

TEST_F(ServiceOperationsTest, PollingGivesUpAtThePlansMaximumDurationAndMitigates) {
  // The async plan allows 600 s; make the deadline pass by editing the stored operation.
  ASSERT_TRUE(h.behave({{"endpoint", "instance_last_operation"},
                        {"status", 200},
                        {"body", R"({"state":"in progress"})"},
                        {"times", 100}}));
  const std::string si = h.createInstance("stuck-db", "async");
  h.api().api().advanceServiceOperations();
  auto ops = h.api().store().listServiceOperations();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_LE(ops[0].poll_deadline - ops[0].next_attempt_at, 600);  // plan's 600 s, not 7 days
  ops[0].poll_deadline = 1;
  h.api().store().updateServiceOperation(ops[0]);
  h.advance();
  EXPECT_EQ(instance(si).last_operation.state, "failed");
  EXPECT_FALSE(requestsOf(h.requests(), "DELETE", "/v2/service_instances/" + si).empty());
}

TEST_F(ServiceOperationsTest, DeletingAnAppUnbindsAtTheBroker) {
  const std::string si = h.createInstance("a-db", "sync");
  h.advance();
  const std::string app = h.createApp("doomed");
  bind(app, si);
  h.advance();
  ASSERT_EQ(h.brokerState()["bindings"].size(), 1u);
  auto del = h.call(h.admin(), "DELETE", "/v3/apps/" + app);
  ASSERT_EQ(del.status, 202);
  h.advance();
  EXPECT_TRUE(h.brokerState()["bindings"].empty()) << h.brokerState().dump();
  EXPECT_TRUE(h.api().store().listServiceBindings({{}, {}, {}, {si}, {}, {}}).empty());
}

TEST_F(ServiceOperationsTest, SecretsAreSealedInTheDatabaseFile) {
  const std::string si = h.createInstance("sealed-db", "sync");
  h.advance();
  const std::string app = h.createApp("reader");
  const std::string binding = bind(app, si);
  h.advance();
  auto details = h.call(h.admin(), "GET", "/v3/service_credential_bindings/" + binding + "/details");
  const std::string password = details.body["credentials"]["password"];
  ASSERT_FALSE(password.empty());
  auto ups = h.call(h.admin(), "POST", "/v3/service_instances",
                    json{{"type", "user-provided"},
                         {"name", "ups"},
                         {"credentials", {{"token", "ups-plaintext-token-123"}}},
                         {"relationships",
                          {{"space", {{"data", {{"guid", h.api().api().defaultSpaceGuid()}}}}}}}});
  ASSERT_EQ(ups.status, 201);
  // Force the WAL into the main file, then read every byte of both.
  h.api().store().atomically([] {});
  std::string bytes;
  for (const char* f : {"/controller.db", "/controller.db-wal"}) {
    std::ifstream in(h.api().dir() + f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes += ss.str();
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(password), std::string::npos) << "binding credentials in plaintext";
  EXPECT_EQ(bytes.find("ups-plaintext-token-123"), std::string::npos);
  EXPECT_EQ(bytes.find("broker-secret-pw"), std::string::npos) << "broker password in plaintext";
}

}  // namespace
}  // namespace foundry::test

namespace foundry::test {
namespace {

// A manifest's `services` bind the app; the apply_manifest job completes only once the
// managed bindings have (cf push then stages with VCAP_SERVICES in place).
TEST_F(ServiceOperationsTest, ManifestServicesBindAndTheJobWaitsForThem) {
  const std::string si = h.createInstance("orders-db", "async");
  h.advance();
  ASSERT_EQ(instance(si).last_operation.state, "succeeded");
  ASSERT_EQ(h.call(h.admin(), "POST", "/v3/service_instances",
                   json{{"type", "user-provided"},
                        {"name", "ups"},
                        {"credentials", {{"k", "v"}}},
                        {"relationships",
                         {{"space", {{"data", {{"guid", h.api().api().defaultSpaceGuid()}}}}}}}})
                .status,
            201);
  control::ApiRequest r;
  r.method = "POST";
  r.path = "/v3/spaces/" + h.api().api().defaultSpaceGuid() + "/actions/apply_manifest";
  r.base_url = control::test_support::ApiHarness::kBase;
  r.content_type = "application/x-yaml";
  r.authorization = h.admin();
  r.body =
      "applications:\n- name: shop\n  services:\n  - ups\n  - name: orders-db\n"
      "    binding_name: orders\n    parameters: {role: reader, max: 5}\n";
  auto accepted = h.api().api().handle(r);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(h.job(accepted)["state"], "PROCESSING") << "waits for the managed binding";
  h.advance();
  EXPECT_EQ(h.job(accepted)["state"], "COMPLETE") << h.job(accepted).dump();
  const std::string app = h.api().store().listApps({{}, {"shop"}, {}})[0].guid;
  auto env = h.call(h.admin(), "GET", "/v3/apps/" + app + "/env");
  const json& vcap = env.body["system_env_json"]["VCAP_SERVICES"];
  EXPECT_EQ(vcap["fake-db"][0]["binding_name"], "orders") << vcap.dump();
  EXPECT_EQ(vcap["fake-db"][0]["name"], "orders");
  EXPECT_EQ(vcap["user-provided"][0]["name"], "ups");
  auto binds = requestsOf(h.requests(), "PUT", "/service_bindings/");
  ASSERT_EQ(binds.size(), 1u);
  json params = json::parse(binds[0]["body"].get<std::string>())["parameters"];
  EXPECT_EQ(params, json({{"role", "reader"}, {"max", 5}}));
  // Applied again (every push does): nothing new is bound.
  auto again = h.api().api().handle(r);
  h.advance();
  EXPECT_EQ(h.job(again)["state"], "COMPLETE");
  EXPECT_EQ(h.api().store().listServiceBindings({{}, {}, {}, {}, {app}, {}}).size(), 2u);
  // An unknown instance fails the job with CC's words.
  r.body = "applications:\n- name: shop\n  services: [missing-db]\n";
  auto failed = h.api().api().handle(r);
  EXPECT_EQ(h.job(failed)["state"], "FAILED");
  EXPECT_NE(h.job(failed).dump().find("Service instance 'missing-db' not found"), std::string::npos);
}

}  // namespace
}  // namespace foundry::test

namespace foundry::test {
namespace {

// As CC: deleting a bound instance unbinds its bindings and keys first, then deprovisions.
TEST_F(ServiceOperationsTest, DeletingABoundInstanceUnbindsFirst) {
  const std::string si = h.createInstance("bound-db", "sync");
  h.advance();
  const std::string app = h.createApp("user");
  bind(app, si);
  ASSERT_EQ(h.call(h.admin(), "POST", "/v3/service_credential_bindings",
                   json{{"type", "key"},
                        {"name", "k"},
                        {"relationships", {{"service_instance", {{"data", {{"guid", si}}}}}}}})
                .status,
            202);
  h.advance();
  h.clearRequests();
  auto del = h.call(h.admin(), "DELETE", "/v3/service_instances/" + si);
  ASSERT_EQ(del.status, 202) << del.body;
  h.advance();
  EXPECT_EQ(h.job(del)["state"], "COMPLETE") << h.job(del).dump();
  EXPECT_FALSE(h.api().store().getServiceInstance(si));
  json log = h.requests();
  std::vector<std::string> deletes;
  for (const auto& r : log) {
    if (r["method"] == "DELETE") deletes.push_back(r["path"]);
  }
  ASSERT_EQ(deletes.size(), 3u) << log.dump();
  EXPECT_NE(deletes[0].find("/service_bindings/"), std::string::npos);
  EXPECT_NE(deletes[1].find("/service_bindings/"), std::string::npos);
  EXPECT_EQ(deletes[2], "/v2/service_instances/" + si) << "deprovision last";
  EXPECT_TRUE(h.brokerState()["instances"].empty());
  EXPECT_TRUE(h.brokerState()["bindings"].empty());
}

TEST_F(ServiceOperationsTest, AFailedUnbindStopsTheInstanceDelete) {
  const std::string si = h.createInstance("sticky-db", "sync");
  h.advance();
  bind(h.createApp("user"), si);
  h.advance();
  ASSERT_TRUE(h.behave({{"endpoint", "unbind"}, {"status", 422}, {"body", R"({"error":"ConcurrencyError"})"}}));
  h.clearRequests();
  auto del = h.call(h.admin(), "DELETE", "/v3/service_instances/" + si);
  ASSERT_EQ(del.status, 202);
  h.advance();
  EXPECT_EQ(h.job(del)["state"], "FAILED");
  ASSERT_TRUE(h.api().store().getServiceInstance(si));
  EXPECT_EQ(instance(si).last_operation.type, "delete");
  EXPECT_EQ(instance(si).last_operation.state, "failed");
  EXPECT_TRUE(requestsOf(h.requests(), "DELETE", "/v2/service_instances/" + si + "?").empty());
  for (const auto& r : h.requests()) {
    EXPECT_FALSE(r["method"] == "DELETE" && r["path"] == "/v2/service_instances/" + si)
        << "deprovisioned although a binding remains";
  }
  EXPECT_EQ(h.brokerState()["instances"].size(), 1u);
}

}  // namespace
}  // namespace foundry::test

namespace foundry::test {
namespace {

// purge=true: the operator's way out of a dead broker — rows go, the broker is not asked.
TEST_F(ServiceOperationsTest, PurgeForgetsWithoutTheBrokerAndOnlyForAdmins) {
  const std::string si = h.createInstance("dead-db", "sync");
  h.advance();
  const std::string app = h.createApp("orphan");
  bind(app, si);
  h.advance();
  std::string dev_guid;
  const std::string dev = h.api().tokens().newUser("devon", &dev_guid);
  for (auto [type, kind, where] :
       {std::tuple{"organization_user", "organization", h.api().store().getSpace(
                                                            h.api().api().defaultSpaceGuid())
                                                            ->organization_guid},
        std::tuple{"space_developer", "space", h.api().api().defaultSpaceGuid()}}) {
    json rel = {{"user", {{"data", {{"guid", dev_guid}}}}}, {kind, {{"data", {{"guid", where}}}}}};
    ASSERT_EQ(h.call(h.admin(), "POST", "/v3/roles", json{{"type", type}, {"relationships", rel}}).status,
              201);
  }
  EXPECT_EQ(h.call(dev, "DELETE", "/v3/service_instances/" + si + "?purge=true").status, 403);
  h.clearRequests();
  EXPECT_EQ(h.call(h.admin(), "DELETE", "/v3/service_instances/" + si + "?purge=true").status, 204);
  h.advance();
  EXPECT_FALSE(h.api().store().getServiceInstance(si));
  EXPECT_TRUE(h.api().store().listServiceBindings({{}, {}, {}, {}, {app}, {}}).empty());
  EXPECT_TRUE(h.requests().empty()) << "purge asks the broker nothing: " << h.requests().dump();
  EXPECT_TRUE(h.api().store().listServiceOperations().empty());
}

}  // namespace
}  // namespace foundry::test
