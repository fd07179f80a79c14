#include "control/api/service_queries.h"

namespace foundry::control {

std::optional<bool> availableFilter(const Query& query) {
  const auto* v = query.find("available");
  if (!v) return std::nullopt;
  if (v->size() == 1 && ((*v)[0] == "true" || (*v)[0] == "false")) return (*v)[0] == "true";
  throw badQuery("The query parameter is invalid: Available only accepts values 'true' or 'false'");
}

std::vector<std::string> fieldNames(const std::vector<std::string>& values) {
  // The cf CLI sends the list as one url.Values value, so its commas arrive percent-encoded
  // ("name%2Cguid"): split what parseQuery kept whole (field names never hold a comma).
  std::vector<std::string> fields;
  for (const auto& value : values) {
    size_t start = 0;
    for (size_t comma; (comma = value.find(',', start)) != std::string::npos; start = comma + 1) {
      fields.push_back(value.substr(start, comma - start));
    }
    fields.push_back(value.substr(start));
  }
  return fields;
}

std::vector<std::string> parentFields(const Query& query, const std::string& key) {
  const auto* given = query.find(key);
  if (!given) return {};
  std::vector<std::string> fields = fieldNames(*given);
  for (const auto& f : fields) {
    if (f != "name" && f != "guid") {
      const std::string parent = key.substr(key.find('[') + 1, key.size() - key.find('[') - 2);
      throw badQuery("The query parameter is invalid: Fields valid keys for '" + parent +
                     "' are: 'name', 'guid'");
    }
  }
  return fields;
}

std::set<std::string> relatedGuids(const nlohmann::json& resources, const std::string& name) {
  std::set<std::string> out;
  for (const auto& r : resources) {
    if (!r.contains("relationships") || !r.at("relationships").contains(name)) continue;
    const auto& data = r.at("relationships").at(name).value("data", nlohmann::json());
    if (data.is_object() && data.contains("guid")) out.insert(data.at("guid").get<std::string>());
  }
  return out;
}

}  // namespace foundry::control
