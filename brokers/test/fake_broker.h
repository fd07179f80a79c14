#pragma once
// FakeBroker: the test broker's well-behaved OSB handler, all in memory (A.4 codes: 201, 200
// identical, 409 different, 202 async, 410 unknown on delete, 422 AsyncRequired and
// ConcurrencyError). A plan is async when the served catalog names it "async" (or it is the
// default async plan): provision and deprovision then answer 202 and last_operation reports
// "in progress" for `async_polls` polls, then "succeeded"; binds and unbinds on it are async
// only when the platform sends accepts_incomplete=true. Thread-safe (one mutex).

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "brokers/osb/handler.h"

namespace foundry::testbroker {

extern const char* const kDefaultCatalog;

class FakeBroker : public osb::Handler {
 public:
  explicit FakeBroker(int async_polls) : async_polls_(async_polls) {}

  void setCatalog(std::string raw);  // served as-is, even when it is not JSON
  std::string catalogText();
  void setAsyncPolls(int polls);
  // {"instances":{id:{...}},"bindings":{id:{...}}}
  nlohmann::json stateJson();

  // osb::Handler
  osb::OsbResponse catalog(const osb::OsbRequest& req) override;
  osb::OsbResponse provision(const osb::OsbRequest& req) override;
  osb::OsbResponse fetchInstance(const osb::OsbRequest& req) override;
  osb::OsbResponse update(const osb::OsbRequest& req) override;
  osb::OsbResponse deprovision(const osb::OsbRequest& req) override;
  osb::OsbResponse instanceLastOperation(const osb::OsbRequest& req) override;
  osb::OsbResponse bind(const osb::OsbRequest& req) override;
  osb::OsbResponse fetchBinding(const osb::OsbRequest& req) override;
  osb::OsbResponse unbind(const osb::OsbRequest& req) override;
  osb::OsbResponse bindingLastOperation(const osb::OsbRequest& req) override;

 private:
  // An operation in flight: answered "in progress" until polls_left reaches 0.
  struct Operation {
    std::string id;
    std::string kind;  // "provision", "update", "deprovision", "bind", "unbind"
    int polls_left = 0;
  };
  struct Instance {
    nlohmann::json attributes;  // service_id, plan_id, organization_guid, space_guid, parameters
    std::optional<Operation> op;
  };
  struct Binding {
    std::string instance_id;
    nlohmann::json attributes;  // service_id, plan_id, app_guid, parameters
    nlohmann::json credentials;
    std::optional<Operation> op;
  };

  bool planIsAsync(const std::string& plan_id);  // caller holds mu_
  Operation newOperation(const char* kind);      // caller holds mu_
  // One poll of `op`: "in progress" while polls are left, then "succeeded" (op is reset).
  nlohmann::json poll(std::optional<Operation>& op, std::string* finished_kind);

  std::mutex mu_;
  std::string catalog_ = kDefaultCatalog;      // guarded by mu_
  int async_polls_;                            // guarded by mu_
  int next_op_ = 1;                            // guarded by mu_
  std::map<std::string, Instance> instances_;  // guarded by mu_
  std::map<std::string, Binding> bindings_;    // guarded by mu_
  std::set<std::string> deprovisioned_;        // async deprovisions done: last_operation 410
  std::set<std::string> unbound_;              // async unbinds done: last_operation 410
};

}  // namespace foundry::testbroker
