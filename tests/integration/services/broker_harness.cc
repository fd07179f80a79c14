#include "tests/integration/services/broker_harness.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <fstream>
#include <tuple>

#include "common/net/http_client.h"
#include "tests/test_common/ports.h"

namespace foundry::test {

using nlohmann::json;

control::ApiConfig BrokerHarness::fastConfig(long broker_timeout_ms) {
  control::ApiConfig c;
  c.broker_timeout_ms = broker_timeout_ms;
  c.broker_poll_interval_s = 0;  // due again at once: tests call advance()
  c.mitigation_retry_s = 0;
  return c;
}

BrokerHarness::BrokerHarness(const std::string& name, long broker_timeout_ms)
    : api_(name, fastConfig(broker_timeout_ms)) {
  dir_ = api_.dir();
  {
    std::ofstream(dir_ + "/broker-password") << password_;
  }
  const uint16_t port = freeTcpPort();
  url_ = "http://127.0.0.1:" + std::to_string(port);
  broker_ = std::make_unique<ChildProcess>(
      "test-broker", TEST_BROKER_BINARY,
      std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port), "--username",
                               "broker-user", "--password-file", dir_ + "/broker-password",
                               "--async-polls", "2"},
      dir_);
  // /admin/state needs basic auth (waitHttpOk would see 401): poll it, for up to 10 s.
  if (broker_->start()) {
    for (int i = 0; i < 200 && !started_; ++i) {
      started_ = !brokerGet("/admin/state").is_null();
      if (!started_) usleep(50 * 1000);
    }
  }

  // The broker's default catalog, as a catalog synchronization would store it.
  auto& store = api_.store();
  const std::string now = control::nowIso8601();
  control::ServiceBroker broker;
  broker.guid = broker_guid_ = control::newGuid();
  broker.name = "test-broker";
  broker.url = url_;
  broker.username = "broker-user";
  broker.password = auth::Secret(password_);
  broker.state = "AVAILABLE";
  broker.created_at = broker.updated_at = now;
  store.createServiceBroker(broker);
  control::ServiceOffering offering;
  offering.guid = offering_guid_ = control::newGuid();
  offering.broker_guid = broker.guid;
  offering.broker_catalog_id = kServiceId;
  offering.name = "fake-db";
  offering.description = "An in-memory fake database for tests";
  offering.tags = {"fake", "test"};
  offering.plan_updateable = true;
  offering.created_at = offering.updated_at = now;
  store.createServiceOffering(offering);
  for (auto [plan_name, id, guid] :
       {std::tuple{"sync", kSyncPlanId, &sync_plan_guid_},
        std::tuple{"async", kAsyncPlanId, &async_plan_guid_}}) {
    control::ServicePlan plan;
    plan.guid = *guid = control::newGuid();
    plan.offering_guid = offering.guid;
    plan.broker_catalog_id = id;
    plan.name = plan_name;
    plan.description = plan_name;
    plan.plan_updateable = true;
    plan.visibility_type = "public";
    if (*guid == async_plan_guid_) plan.maximum_polling_duration = 600;  // as its catalog says
    plan.created_at = plan.updated_at = now;
    store.createServicePlan(plan);
  }
}

std::string BrokerHarness::basicAuth() const {
  const std::string plain = "broker-user:" + password_;
  std::string out(4 * ((plain.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(plain.data()),
                  static_cast<int>(plain.size()));
  return "Basic " + out;
}

BrokerHarness::~BrokerHarness() {
  if (broker_) broker_->stop();
}

json BrokerHarness::brokerGet(const std::string& path) {
  net::HttpRequest r;
  r.url = url_ + path;
  r.headers = {{"X-Broker-API-Version", "2.17"}};
  r.authorize = [this](const std::string&, const std::string&) { return basicAuth(); };
  auto resp = net::perform(r);
  if (resp.status != 200) return nullptr;
  auto j = json::parse(resp.body, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

bool BrokerHarness::brokerSend(const std::string& method, const std::string& path,
                               const std::string& body) {
  net::HttpRequest r;
  r.method = method;
  r.url = url_ + path;
  r.body = body;
  r.headers = {{"X-Broker-API-Version", "2.17"}, {"Content-Type", "application/json"}};
  r.authorize = [this](const std::string&, const std::string&) { return basicAuth(); };
  auto resp = net::perform(r);
  return resp.ok();
}

void BrokerHarness::advance(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    if (api_.api().advanceServiceOperations() == 0) return;
  }
}

std::string BrokerHarness::createInstance(const std::string& name, const std::string& plan,
                                          const json& extra) {
  json body = {{"type", "managed"},
               {"name", name},
               {"relationships",
                {{"space", {{"data", {{"guid", api_.api().defaultSpaceGuid()}}}}},
                 {"service_plan", {{"data", {{"guid", planGuid(plan)}}}}}}}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  auto r = call(admin(), "POST", "/v3/service_instances", body);
  if (r.status != 202) return "";
  for (const auto& i : api_.store().listServiceInstances({{}, {name}, {}, {}, {}})) return i.guid;
  return "";
}

std::string BrokerHarness::createApp(const std::string& name) {
  auto r = call(admin(), "POST", "/v3/apps",
                json{{"name", name},
                     {"relationships",
                      {{"space", {{"data", {{"guid", api_.api().defaultSpaceGuid()}}}}}}}});
  return r.status == 201 ? r.body["guid"].get<std::string>() : "";
}

json BrokerHarness::job(const control::ApiResponse& accepted) {
  auto r = call(admin(), "GET", control::test_support::ApiHarness::jobPath(accepted));
  return r.body;
}

}  // namespace foundry::test
