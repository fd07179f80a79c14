#pragma once
// The small JSON pieces every CC V3 presenter repeats (PLATFORM-APIS.md B.3): links, the empty
// metadata block, to-one relationships, nullable fields and JSON kept as text in the store.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace foundry::control::shapes {

using nlohmann::json;

inline json href(const std::string& url) { return {{"href", url}}; }
inline json href(const std::string& url, const std::string& method) {
  return {{"href", url}, {"method", method}};
}
inline json metadata() { return {{"labels", json::object()}, {"annotations", json::object()}}; }
inline json toOne(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }
inline json toOneNull() { return {{"data", nullptr}}; }
inline json toOne(const std::optional<std::string>& guid) {
  return guid ? toOne(*guid) : toOneNull();
}
template <typename T>
json orNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
// A JSON column (kept as text) back to JSON. What the store holds was written by us, so a
// parse failure means "nothing": `fallback`.
inline json parsedOr(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

}  // namespace foundry::control::shapes
