#pragma once
// A route service URL taken apart for the first pass (ROUTER-PROTOCOL.md 7): the request goes
// to exactly that host and path, with Host set to the URL's authority, as Go's reverse proxy
// sends it after `request.URL = routeServiceURL; request.Host = routeServiceURL.Host`.

#include <cstdint>
#include <string>
#include <string_view>

namespace foundry::router {

struct RouteServiceUrl {
  std::string host;       // as written, without brackets for IPv6 literals, no port
  uint16_t port = 443;    // the URL's port, else 443
  std::string authority;  // Host header value: "host" or "host:port" as written
  std::string path;       // "/..." ("/" when the URL has none), query excluded
  std::string target;     // request-target: path plus "?query" when the URL has one
};

// Parses "https://host[:port][/path][?query][#fragment]" (userinfo dropped). False with
// *error for anything else: another scheme, an empty or malformed host, a bad port, spaces
// or control characters.
bool parseRouteServiceUrl(std::string_view url, RouteServiceUrl* out, std::string* error);

// gorouter's forwarded URL: "<scheme>://<Host without port><request-uri>", the scheme https
// when route_services_recommend_https, else http. `host` is the request's Host header as
// received; `request_uri` its origin-form target (path and query).
std::string forwardedUrl(bool recommend_https, std::string_view host,
                         std::string_view request_uri);

// The host (port cut, lower case) and path (query cut) of a forwarded URL, for the route
// lookup that checks it on the return pass; `uri` (optional) gets gorouter's spelling of that
// route for error messages: the host as written, then the path. False when it is not an
// absolute http(s) URL.
bool splitForwardedUrl(std::string_view url, std::string* host, std::string* path,
                       std::string* uri = nullptr);

}  // namespace foundry::router
