#pragma once
// The controller's Api (no HTTP; tests/unit/control/api_harness.h) beside a real test-broker
// process (brokers/test), with that broker's default catalog already in the store: offering
// `fake-db` with plans `sync` and `async`, public. Broker calls run inline (no offloader), so
// a test drives them with advance(); broker timing is shortened so polls are due at once.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/test_common/child_process.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::test {

class BrokerHarness {
 public:
  explicit BrokerHarness(const std::string& name, long broker_timeout_ms = 2000);
  ~BrokerHarness();

  bool brokerStarted() const { return started_; }
  control::test_support::ApiHarness& api() { return api_; }
  const std::string& admin() { return api_.tokens().admin; }

  // The test broker's admin API (JSON).
  nlohmann::json brokerGet(const std::string& path);
  bool brokerSend(const std::string& method, const std::string& path, const std::string& body);
  // Queues a canned answer: {"endpoint":"provision","status":500,...}.
  bool behave(const nlohmann::json& behavior) {
    return brokerSend("POST", "/admin/behaviors", behavior.dump());
  }
  // The OSB requests the broker received since the last clearRequests().
  nlohmann::json requests() { return brokerGet("/admin/requests"); }
  void clearRequests() { brokerSend("DELETE", "/admin/requests", ""); }
  nlohmann::json brokerState() { return brokerGet("/admin/state"); }

  // Runs owed broker calls until none is due (bounded).
  void advance(int rounds = 10);

  control::ApiResponse call(const std::string& auth, const std::string& method,
                            const std::string& target,
                            const nlohmann::json& body = nullptr) {
    return api_.call(auth, method, target, body);
  }
  // A managed instance of `plan` ("sync"/"async") in the default space, as admin; its guid.
  std::string createInstance(const std::string& name, const std::string& plan,
                             const nlohmann::json& extra = nlohmann::json::object());
  // An app in the default space; its guid.
  std::string createApp(const std::string& name);
  nlohmann::json job(const control::ApiResponse& accepted);

  std::string planGuid(const std::string& plan) const {
    return plan == "async" ? async_plan_guid_ : sync_plan_guid_;
  }
  std::string brokerGuid() const { return broker_guid_; }
  std::string url() const { return url_; }
  ChildProcess& brokerProcess() { return *broker_; }

  static constexpr const char* kServiceId = "f2a1c0de-0000-4000-8000-000000000db0";
  static constexpr const char* kSyncPlanId = "f2a1c0de-0000-4000-8000-00000000595c";
  static constexpr const char* kAsyncPlanId = "f2a1c0de-0000-4000-8000-00000000a5c0";

 private:
  static control::ApiConfig fastConfig(long broker_timeout_ms);
  std::string basicAuth() const;

  control::test_support::ApiHarness api_;
  std::string dir_, url_, password_ = "broker-secret-pw";
  std::unique_ptr<ChildProcess> broker_;
  bool started_ = false;
  std::string broker_guid_, offering_guid_, sync_plan_guid_, async_plan_guid_;
};

}  // namespace foundry::test
