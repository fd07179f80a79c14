#include "control/api/route_options.h"

#include <re2/re2.h>

#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// The router refuses longer patterns too (router/route/path_regex.h keeps them bounded).
constexpr size_t kMaxPathRegexLength = 1024;
// And compiles with the same memory budget (PathRegex::kMaxProgramBytes), so that a pattern
// accepted here is never refused there.
constexpr int64_t kPathRegexMaxMem = 1 << 20;

void checkLoadbalancing(const json& value) {
  if (!value.is_string() ||
      (value != "round-robin" && value != "least-connection")) {
    throw unprocessable(
        "Options Loadbalancing must be one of 'round-robin, least-connection' if present");
  }
}

void checkPathRegex(const json& value, bool route_has_path) {
  if (!value.is_string() || value.get<std::string>().empty()) {
    throw unprocessable("Options Path regex must be a non-empty string");
  }
  const std::string pattern = value.get<std::string>();
  if (pattern.size() > kMaxPathRegexLength) {
    throw unprocessable("Options Path regex is too long (maximum is " +
                        std::to_string(kMaxPathRegexLength) + " characters)");
  }
  if (route_has_path) {
    throw unprocessable("Options Path regex cannot be set on a route with a path");
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kPathRegexMaxMem);
  RE2 re(pattern, options);
  if (!re.ok()) {
    throw unprocessable("Options Path regex is not a valid RE2 pattern: " + re.error());
  }
}

int64_t integerIn(const json& check, const char* key, int64_t fallback, int64_t min, int64_t max) {
  const std::string label = std::string("Options Health check ") + key;
  auto value = body::optInteger(check, key, label);
  int64_t v = value.value_or(fallback);
  if (v < min || v > max) {
    throw unprocessable(label + " must be between " + std::to_string(min) + " and " +
                        std::to_string(max));
  }
  return v;
}

json normalizedHealthCheck(const json& value) {
  if (!value.is_object()) {
    throw unprocessable("Options Health check must be an object");
  }
  body::allowOnly(value, {"path", "interval_ms", "timeout_ms", "unhealthy_threshold",
                          "healthy_threshold"});
  std::string path = body::optString(value, "path", "Options Health check path").value_or("/");
  if (path.empty() || path[0] != '/' || path.size() > 1024 ||
      path.find_first_of(" \r\n\t") != std::string::npos) {
    throw unprocessable("Options Health check path must be an absolute path without spaces");
  }
  int64_t interval = integerIn(value, "interval_ms", 2000, 100, 3'600'000);
  int64_t timeout = integerIn(value, "timeout_ms", std::min<int64_t>(1000, interval), 1, 3'600'000);
  if (timeout > interval) {
    throw unprocessable("Options Health check timeout_ms cannot exceed interval_ms");
  }
  return {{"path", path},
          {"interval_ms", interval},
          {"timeout_ms", timeout},
          {"unhealthy_threshold", integerIn(value, "unhealthy_threshold", 2, 1, 100)},
          {"healthy_threshold", integerIn(value, "healthy_threshold", 2, 1, 100)}};
}

}  // namespace

json mergeRouteOptions(const json& current, const json& update, bool route_has_path) {
  if (!update.is_object()) {
    throw unprocessable("Options must be an object");
  }
  body::allowOnly(update, {"loadbalancing", "path_regex", "health_check"});
  json merged = current.is_object() ? current : json::object();
  for (const auto& [key, value] : update.items()) {
    if (value.is_null()) {
      merged.erase(key);
      continue;
    }
    if (key == "loadbalancing") {
      checkLoadbalancing(value);
      merged[key] = value;
    } else if (key == "path_regex") {
      checkPathRegex(value, route_has_path);
      merged[key] = value;
    } else {
      merged[key] = normalizedHealthCheck(value);
    }
  }
  return merged;
}

}  // namespace foundry::control
