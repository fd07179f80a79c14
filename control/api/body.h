#pragma once
// Request-body checks shared by the handlers; each failure is a 422 naming the field, in the
// wording Cloud Controller uses where the cf CLI depends on it.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "control/api/api.h"

namespace foundry::control::body {

// 422 "Unknown field(s): 'a', 'b'" unless every key of `object` is in `allowed`.
void allowOnly(const nlohmann::json& object, const std::vector<std::string>& allowed);

// The guid in relationships.<name>.data.guid; nullopt when relationships.<name> is absent.
// 422 when present but malformed.
// 422 unless `env` is an object of scalar values whose keys are not empty, VCAP_* or PORT.
void checkEnvironment(const nlohmann::json& env);

std::optional<std::string> relationshipGuid(const nlohmann::json& body, const std::string& name);

// body[key] as a string when present (422 "<Label> must be a string" otherwise).
std::optional<std::string> optString(const nlohmann::json& body, const std::string& key,
                                     const std::string& label);
// body[key] as an integer when present and not null (422 "<Label> must be an integer").
std::optional<int64_t> optInteger(const nlohmann::json& body, const std::string& key,
                                  const std::string& label);

}  // namespace foundry::control::body
