#include "brokers/test/behaviors.h"

namespace foundry::testbroker {
namespace {

// An optional integer field in [lo, hi]; false (with *error) when present and not one.
bool readInt(const nlohmann::json& j, const char* field, int lo, int hi, std::optional<int>* out,
             std::string* error) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_integer() || *it < lo || *it > hi) {
    *error = std::string("'") + field + "' must be an integer in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "]";
    return false;
  }
  *out = it->get<int>();
  return true;
}

}  // namespace

bool Behaviors::add(const std::string& json_text, std::string* error) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the body must be a JSON object";
    return false;
  }
  auto endpoint_field = j.find("endpoint");
  std::optional<osb::Endpoint> endpoint;
  if (endpoint_field != j.end() && endpoint_field->is_string()) {
    endpoint = osb::endpointFromName(endpoint_field->get<std::string>());
  }
  if (!endpoint) {
    *error = "'endpoint' must name an OSB endpoint (provision, bind, instance_last_operation, ...)";
    return false;
  }
  Behavior b;
  std::optional<int> delay, times;
  if (!readInt(j, "status", 100, 599, &b.status, error) ||
      !readInt(j, "delay_ms", 0, 600000, &delay, error) ||
      !readInt(j, "times", 1, 1000000, &times, error) ||
      !readInt(j, "retry_after", 0, 86400, &b.retry_after, error)) {
    return false;
  }
  b.delay_ms = delay.value_or(0);
  b.times = times.value_or(1);
  if (auto it = j.find("body"); it != j.end() && !it->is_null()) {
    // A string is sent verbatim (so it may be malformed on purpose); other JSON is serialized.
    b.body = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (auto it = j.find("state"); it != j.end()) {
    if (!it->is_string()) {
      *error = "'state' must be a string";
      return false;
    }
    b.status = b.status.value_or(200);
    nlohmann::json body = {{"state", *it}};
    if (auto d = j.find("description"); d != j.end() && d->is_string()) body["description"] = *d;
    b.body = body.dump();
  }
  std::lock_guard lock(mu_);
  queues_[*endpoint].push_back(std::move(b));
  return true;
}

void Behaviors::clear() {
  std::lock_guard lock(mu_);
  queues_.clear();
}

std::optional<Behavior> Behaviors::take(osb::Endpoint endpoint) {
  std::lock_guard lock(mu_);
  auto it = queues_.find(endpoint);
  if (it == queues_.end() || it->second.empty()) return std::nullopt;
  Behavior b = it->second.front();
  if (--it->second.front().times <= 0) it->second.pop_front();
  return b;
}

nlohmann::json Behaviors::toJson() {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [endpoint, queue] : queues_) {
    for (const Behavior& b : queue) {
      out.push_back({{"endpoint", osb::endpointName(endpoint)},
                     {"status", b.status ? nlohmann::json(*b.status) : nlohmann::json()},
                     {"body", b.body},
                     {"delay_ms", b.delay_ms},
                     {"times", b.times}});
    }
  }
  return out;
}

}  // namespace foundry::testbroker
