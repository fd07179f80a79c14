#include "control/api/body.h"

#include <algorithm>

namespace foundry::control::body {

using nlohmann::json;

void allowOnly(const json& object, const std::vector<std::string>& allowed) {
  std::string unknown;
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      unknown += (unknown.empty() ? "'" : ", '") + key + "'";
    }
  }
  if (!unknown.empty()) {
    throw unprocessable("Unknown field(s): " + unknown);
  }
}

std::optional<std::string> relationshipGuid(const json& body, const std::string& name) {
  if (!body.contains("relationships")) {
    return std::nullopt;
  }
  const json& rel = body["relationships"];
  if (!rel.is_object()) {
    throw unprocessable("Relationships must be an object");
  }
  if (!rel.contains(name)) {
    return std::nullopt;
  }
  const json& r = rel[name];
  if (!r.is_object() || !r.contains("data") || !r["data"].is_object() ||
      !r["data"].contains("guid") || !r["data"]["guid"].is_string()) {
    throw unprocessable("Relationships " + name + " must be structured like {\"data\": {\"guid\": \"...\"}}");
  }
  return r["data"]["guid"].get<std::string>();
}

std::optional<std::string> optString(const json& body, const std::string& key,
                                     const std::string& label) {
  if (!body.contains(key)) {
    return std::nullopt;
  }
  if (!body[key].is_string()) {
    throw unprocessable(label + " must be a string");
  }
  return body[key].get<std::string>();
}

std::optional<int64_t> optInteger(const json& body, const std::string& key,
                                  const std::string& label) {
  if (!body.contains(key) || body[key].is_null()) {
    return std::nullopt;
  }
  if (!body[key].is_number_integer()) {
    throw unprocessable(label + " must be an integer");
  }
  return body[key].get<int64_t>();
}

void checkEnvironment(const json& env) {
  if (!env.is_object()) {
    throw unprocessable("Environment variables must be an object");
  }
  for (const auto& [k, v] : env.items()) {
    if (k.empty()) {
      throw unprocessable("Environment variables key must not be empty");
    }
    if (k.rfind("VCAP_", 0) == 0) {
      throw unprocessable("Environment variables cannot start with VCAP_");
    }
    if (k == "PORT") {
      throw unprocessable("Environment variables cannot set PORT");
    }
    if (v.is_object() || v.is_array()) {
      throw unprocessable("Environment variables value for '" + k + "' must be a scalar");
    }
  }
}

}  // namespace foundry::control::body
