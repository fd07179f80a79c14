#pragma once
// route_services_hairpinning_allowlist (gorouter handlers/routeservice.go
// CreateDomainAllowlist): which route-service hosts may be served in-process. Entries are FQDNs
// ("rs.example.com") or one leading wildcard ("*.example.com", matching exactly one more label);
// an empty list allows every host (CVE-2019-3789 is why the list exists).

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace foundry::router {

class HairpinAllowlist {
 public:
  // False with *error naming the first invalid entry (gorouter logs it and then allows every
  // host; we refuse the config instead).
  static bool parse(const std::vector<std::string>& entries, HairpinAllowlist* out,
                    std::string* error);

  // `host` is a route's host as registered (lower case; "*.domain" for a wildcard route).
  bool allows(std::string_view host) const;
  bool empty() const { return names_.empty(); }

 private:
  // FQDNs as given, wildcards stored as their suffix (".example.com").
  std::unordered_set<std::string> names_;
};

}  // namespace foundry::router
