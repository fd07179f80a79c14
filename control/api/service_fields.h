#pragma once
// The V3 `fields[<path>]=a,b` query (PLATFORM-APIS.md B.1): partial related resources, put in
// the list's `included` under their collection name, each once, reduced to the asked fields.
//
//   fields::Included included(c.query);
//   if (included.wants("service_plan")) included.add("service_plan", "service_plans", plan);
//   list["included"] = included.result();
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "control/api/api.h"
#include "control/api/service_queries.h"

namespace foundry::control::fields {

class Included {
 public:
  explicit Included(const Query& query) {
    for (const auto& [key, values] : query.params) {
      if (key.rfind("fields[", 0) == 0 && key.back() == ']') {
        const auto names = fieldNames(values);  // "a%2Cb" from the cf CLI, too
        wanted_[key.substr(7, key.size() - 8)] = std::set<std::string>(names.begin(), names.end());
      }
    }
  }

  bool wants(const std::string& path) const { return wanted_.count(path) > 0; }

  // Adds `resource` (a full or partial object with a guid) under `collection` when `path` was
  // asked for, keeping only the asked keys ("relationships.x" keeps relationships).
  void add(const std::string& path, const std::string& collection,
           const nlohmann::json& resource) {
    auto w = wanted_.find(path);
    if (w == wanted_.end()) return;
    const std::string guid = resource.value("guid", "");
    if (!seen_[collection].insert(guid).second) return;
    nlohmann::json partial = nlohmann::json::object();
    for (const auto& field : w->second) {
      const std::string top = field.substr(0, field.find('.'));
      if (resource.contains(top)) partial[top] = resource[top];
    }
    result_[collection].push_back(std::move(partial));
  }

  // {"<collection>": [...]} for what was added; empty when nothing was asked for.
  nlohmann::json result() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [collection, items] : result_) out[collection] = items;
    return out;
  }

 private:
  std::map<std::string, std::set<std::string>> wanted_;
  std::map<std::string, std::set<std::string>> seen_;
  std::map<std::string, nlohmann::json> result_;
};

}  // namespace foundry::control::fields
