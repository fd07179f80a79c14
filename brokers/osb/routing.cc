#include "brokers/osb/routing.h"

#include <vector>

namespace foundry::osb {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) parts.emplace_back();  // a trailing slash is an empty segment
  }
  return parts;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decodeId(std::string_view in, std::string* out) {
  return !in.empty() && percentDecode(in, out) && !out->empty();
}

}  // namespace

bool percentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::optional<Route> matchRoute(std::string_view method, std::string_view path, RouteMiss* miss) {
  *miss = RouteMiss::NotFound;
  std::vector<std::string_view> p = splitPath(path);
  if (p.size() < 2 || p[0] != "v2") return std::nullopt;
  Route route;
  // Picks the endpoint for this method among those sharing the path.
  auto pick = [&](std::initializer_list<std::pair<std::string_view, Endpoint>> options)
      -> std::optional<Route> {
    for (const auto& [m, e] : options) {
      if (m == method) {
        route.endpoint = e;
        return route;
      }
    }
    *miss = RouteMiss::MethodNotAllowed;
    return std::nullopt;
  };
  if (p.size() == 2 && p[1] == "catalog") return pick({{"GET", Endpoint::Catalog}});
  if (p[1] != "service_instances" || p.size() < 3) return std::nullopt;
  if (!decodeId(p[2], &route.instance_id)) return std::nullopt;
  if (p.size() == 3) {
    return pick({{"PUT", Endpoint::Provision},
                 {"GET", Endpoint::FetchInstance},
                 {"PATCH", Endpoint::Update},
                 {"DELETE", Endpoint::Deprovision}});
  }
  if (p.size() == 4 && p[3] == "last_operation") {
    return pick({{"GET", Endpoint::InstanceLastOperation}});
  }
  if (p[3] != "service_bindings" || p.size() < 5) return std::nullopt;
  if (!decodeId(p[4], &route.binding_id)) return std::nullopt;
  if (p.size() == 5) {
    return pick({{"PUT", Endpoint::Bind},
                 {"GET", Endpoint::FetchBinding},
                 {"DELETE", Endpoint::Unbind}});
  }
  if (p.size() == 6 && p[5] == "last_operation") {
    return pick({{"GET", Endpoint::BindingLastOperation}});
  }
  return std::nullopt;
}

}  // namespace foundry::osb
