#pragma once
// Query pieces the marketplace lists share (offerings and plans): the `available` filter,
// `fields[...]` of partial parents, and the guids a page of resources points at, which decide
// what goes into `included`.

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "control/api/api.h"

namespace foundry::control {

// ?available=true|false; nullopt when absent (400 CF-BadQueryParameter for anything else).
std::optional<bool> availableFilter(const Query& query);
// The fields asked for a parent, e.g. key "fields[service_broker]" -> {"name", "guid"}; only
// name and guid may be asked (400 otherwise). Empty when absent.
std::vector<std::string> parentFields(const Query& query, const std::string& key);
// The field names of fields[...] values, split on commas whether they came raw or as %2C.
std::vector<std::string> fieldNames(const std::vector<std::string>& values);
// relationships.<name>.data.guid of every resource that has one.
std::set<std::string> relatedGuids(const nlohmann::json& resources, const std::string& name);

}  // namespace foundry::control
