#include "router/route/route_key.h"

namespace foundry::router {
namespace {

void appendLower(std::string_view in, std::string* out) {
  out->reserve(out->size() + in.size());
  for (char c : in) {
    out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c);
  }
}

}  // namespace

bool parseRegisteredUri(std::string_view uri, RouteKey* key) {
  // gorouter's Uri.RouteKey(): cut the query, then trim one trailing '/', then split host and
  // context path at the first '/'. Case folding does not change any of these positions, so the
  // original-case path is cut at the same offsets.
  if (size_t q = uri.find('?'); q != std::string_view::npos) {
    uri = uri.substr(0, q);
  }
  if (!uri.empty() && uri.back() == '/') {
    uri.remove_suffix(1);
  }
  size_t slash = uri.find('/');
  std::string_view host = uri.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : uri.substr(slash);
  key->host.clear();
  key->path.clear();
  key->path_original_case.assign(path);
  if (host.empty()) {
    return false;
  }
  appendLower(host, &key->host);
  appendLower(path, &key->path);
  return true;
}

bool normalizeRequestHost(std::string_view host, std::string* out) {
  // hostWithoutPort: the first ':' ends the host, so IPv6 literal Hosts are not supported
  // (gorouter behaves the same way).
  if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  out->clear();
  appendLower(host, out);
  return !out->empty();
}

}  // namespace foundry::router
