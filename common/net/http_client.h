#pragma once
// A small blocking HTTP client (libcurl) for the platform's low-rate calls: controller ->
// scheduler, scheduler -> cells, cells -> scheduler/controller, the CLI -> controller. One easy
// handle per call, so it is safe from any thread. Never throws; transport failures come back
// with status 0 and `error` set.
//
// Internal calls are signed (common/auth/internal_credentials.h): give a request an
// `authorize` function and its value for (method, request-target) goes out as the
// Authorization header; request-target is the URL's path plus "?query", as curl sends it.
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace foundry::net {

struct HttpResponse {
  long status = 0;                  // 0: no answer (error says why)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error;
  bool timed_out = false;  // no answer within the request's timeout (the peer may have acted)
  bool ok() const { return status >= 200 && status < 300; }
  std::string header(const std::string& lower_name) const;
};

// (method, request-target) -> the Authorization header value.
using Authorizer = std::function<std::string(const std::string& method, const std::string& target)>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "application/json"}
  long timeout_ms = 10000;
  long connect_timeout_ms = 2000;
  // When set, the response body is written here as it arrives (downloads) instead of `body`;
  // returning false aborts the transfer.
  std::function<bool(const char* data, size_t size)> on_body;
  // When set (with body_size >= 0), the request body is read from here as it is sent (uploads
  // of big files) instead of `body`: fill at most `size` bytes of `buffer`, return how many
  // (0 at the end), or -1 to abort the transfer.
  std::function<long(char* buffer, size_t size)> read_body;
  long long body_size = -1;
  // When set, adds "Authorization: authorize(method, requestTarget(url))".
  Authorizer authorize;
};

// The origin-form request-target curl sends for `url`: path (at least "/") plus "?query" when
// the URL has one; "" when the URL does not parse.
std::string requestTarget(const std::string& url);

HttpResponse perform(const HttpRequest& request);

// Shorthands for JSON APIs: Content-Type application/json when a body is given.
HttpResponse getJson(const std::string& url, long timeout_ms = 10000,
                     const Authorizer& authorize = {});
HttpResponse sendJson(const std::string& method, const std::string& url, const std::string& body,
                      long timeout_ms = 10000, const Authorizer& authorize = {});

}  // namespace foundry::net
