#include "router/routeservice/route_service_url.h"

#include <cctype>
#include <charconv>

namespace foundry::router {
namespace {

bool hasForbiddenByte(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool parseRouteServiceUrl(std::string_view url, RouteServiceUrl* out, std::string* error) {
  *out = RouteServiceUrl{};
  if (hasForbiddenByte(url)) {
    *error = "route service url contains spaces or control characters";
    return false;
  }
  std::string_view rest;
  // The registry refuses other schemes already (a route service is always reached over TLS).
  if (!startsWithIgnoreCase(url, "https://")) {
    *error = "route service url must be an absolute https URL";
    return false;
  }
  rest = url.substr(8);
  rest = rest.substr(0, rest.find('#'));
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);

  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      *error = "route service url has an unterminated IPv6 host";
      return false;
    }
    std::string_view after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *error = "route service url has a malformed host";
        return false;
      }
      port = after.substr(1);
    }
  } else {
    const size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
  }
  if (host.empty()) {
    *error = "route service url has no host";
    return false;
  }
  out->port = 443;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      *error = "route service url has an invalid port";
      return false;
    }
    out->port = static_cast<uint16_t>(value);
  }
  out->host.assign(host);
  out->authority.assign(authority);

  const size_t query = tail.find('?');
  std::string_view path = tail.substr(0, query);
  out->path = path.empty() ? "/" : std::string(path);
  out->target = out->path;
  if (query != std::string_view::npos && query + 1 < tail.size()) {
    out->target.append(tail.substr(query));
  }
  return true;
}

std::string forwardedUrl(bool recommend_https, std::string_view host,
                         std::string_view request_uri) {
  std::string out = recommend_https ? "https://" : "http://";
  out.append(host.substr(0, host.find(':')));
  out.append(request_uri);
  return out;
}

bool splitForwardedUrl(std::string_view url, std::string* host, std::string* path,
                       std::string* uri) {
  std::string_view rest;
  if (startsWithIgnoreCase(url, "https://")) {
    rest = url.substr(8);
  } else if (startsWithIgnoreCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  const size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view h = authority.substr(0, authority.find(':'));
  if (h.empty()) return false;
  host->clear();
  for (char c : h) host->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  tail = tail.substr(0, tail.find_first_of("?#"));
  path->assign(tail.empty() ? std::string_view("/") : tail);
  if (uri != nullptr) {
    uri->assign(h);
    uri->append(tail);
  }
  return true;
}

}  // namespace foundry::router
