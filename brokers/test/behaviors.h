#pragma once
// Behaviors: canned answers the test broker gives instead of its own, per endpoint, for the
// next N calls (POST /admin/behaviors). Thread-safe.

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "brokers/osb/types.h"

namespace foundry::testbroker {

struct Behavior {
  std::optional<int> status;  // absent: only the delay, then the broker's own answer
  std::string body = "{}";    // sent as-is
  int delay_ms = 0;
  int times = 1;
  std::optional<int> retry_after;  // seconds, as a Retry-After header
};

class Behaviors {
 public:
  // Parses one POST /admin/behaviors body; false with *error on a bad one.
  //   {"endpoint":"provision","status":500,"body":"raw","delay_ms":0,"times":1,"retry_after":null}
  //   {"endpoint":"instance_last_operation","state":"failed","description":"..."} (a 200 whose
  //   body is {"state":...,"description":...})
  bool add(const std::string& json_text, std::string* error);
  void clear();
  // Takes one use of the oldest behavior for `endpoint`, if any.
  std::optional<Behavior> take(osb::Endpoint endpoint);
  nlohmann::json toJson();

 private:
  std::mutex mu_;
  std::map<osb::Endpoint, std::deque<Behavior>> queues_;  // guarded by mu_
};

}  // namespace foundry::testbroker
