#pragma once
// JSON shapes of the V3 resources (PLATFORM-APIS.md B.3), one function per resource, plus the
// error body and the list wrapper with its pagination object. `base` is the URL prefix of
// every href ("http://127.0.0.1:9022").

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/api/api.h"
#include "control/store/store.h"

namespace foundry::control {

nlohmann::json presentError(const ApiError& error);
// A blob streamed to a cell (a droplet, a package, a build cache): the file at `path` as
// application/gzip, with X-Checksum-Sha256 when `sha256` is not empty.
ApiResponse blobDownload(const std::string& path, const std::string& sha256);
nlohmann::json presentOrganization(const std::string& base, const Organization& org);
nlohmann::json presentSpace(const std::string& base, const Space& space);
nlohmann::json presentDomain(const std::string& base, const Domain& domain);
nlohmann::json presentApp(const std::string& base, const App& app);
nlohmann::json presentProcess(const std::string& base, const Process& process,
                              const std::string& space_guid);
nlohmann::json presentDestination(const Destination& destination);
nlohmann::json presentJob(const std::string& base, const Job& job);
// Users, roles, quotas, audit events (tenancy_presenters.cc).
nlohmann::json presentUser(const std::string& base, const User& user);
nlohmann::json presentRole(const std::string& base, const Role& role);
nlohmann::json presentOrganizationQuota(const std::string& base, const OrganizationQuota& quota,
                                        const std::vector<std::string>& organization_guids);
nlohmann::json presentSpaceQuota(const std::string& base, const SpaceQuota& quota,
                                 const std::vector<std::string>& space_guids);
nlohmann::json presentAuditEvent(const std::string& base, const AuditEvent& event);
// Packages, builds, droplets (staging_presenters.cc).
nlohmann::json presentPackage(const std::string& base, const Package& package);
nlohmann::json presentBuild(const std::string& base, const Build& build);
nlohmann::json presentDroplet(const std::string& base, const Droplet& droplet);

// Sorting and paging of a list endpoint's result.
struct PageRequest {
  int64_t page = 1;
  int64_t per_page = 50;
  std::string order_by = "created_at";  // field name
  bool descending = false;
};
// Reads page, per_page and order_by from the query (400 CF-BadQueryParameter when out of
// range or when order_by is not in `order_fields`).
PageRequest readPageRequest(const Query& query, const std::vector<std::string>& order_fields);

// {"pagination":{...},"resources":[...]} for items[page] after sorting. `path` is the list
// URL path ("/v3/apps"); the hrefs keep the other query parameters as they came.
template <typename T>
nlohmann::json presentList(const std::string& base, const std::string& path,
                           const std::string& raw_query, const PageRequest& page,
                           std::vector<T> items,
                           const std::function<std::string(const T&)>& sort_key,
                           const std::function<nlohmann::json(const T&)>& present);

nlohmann::json paginationObject(const std::string& base, const std::string& path,
                                const std::string& raw_query, const PageRequest& page,
                                int64_t total_results);

template <typename T>
nlohmann::json presentList(const std::string& base, const std::string& path,
                           const std::string& raw_query, const PageRequest& page,
                           std::vector<T> items,
                           const std::function<std::string(const T&)>& sort_key,
                           const std::function<nlohmann::json(const T&)>& present) {
  // Stable: equal keys keep creation order (the store returns items in creation order).
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) {
    return page.descending ? sort_key(b) < sort_key(a) : sort_key(a) < sort_key(b);
  });
  nlohmann::json resources = nlohmann::json::array();
  const int64_t total = static_cast<int64_t>(items.size());
  const int64_t first = (page.page - 1) * page.per_page;
  for (int64_t i = first; i < total && i < first + page.per_page; ++i) {
    resources.push_back(present(items[static_cast<size_t>(i)]));
  }
  return {{"pagination", paginationObject(base, path, raw_query, page, total)},
          {"resources", std::move(resources)}};
}

}  // namespace foundry::control
