#pragma once
// Rewrites heads on their way through the router (ROUTER-PROTOCOL.md section 6):
//  toward the backend: hop-by-hop headers stripped (and every header named in Connection, save
//  those in hop_by_hop_headers_to_filter), X-Forwarded-For appended, X-Forwarded-Proto,
//  X-Request-Start (if absent), X-Vcap-Request-Id (always replaced), X-CF-ApplicationID /
//  InstanceID / InstanceIndex (per attempt), X-CF-App-Instance removed, Upgrade kept for
//  upgrades, Connection: close on Expect: 100-continue; Host and the request-target verbatim;
//  toward the client: hop-by-hop stripped, X-Vcap-Request-Id added when absent,
//  X-CF-Proxy-Signature stripped, Connection set by the router's own keep-alive decision.
// Framing headers (Content-Length, Transfer-Encoding) pass unchanged since bodies are forwarded
// byte for byte.

#include <string>
#include <string_view>
#include <vector>

#include "router/config/config.h"
#include "router/http/message_parser.h"
#include "router/route/endpoint.h"

namespace foundry::router {

// forwarded_client_cert (ROUTER-PROTOCOL.md 6.3).
enum class XfccMode { AlwaysForward, Forward, SanitizeSet };

struct HeadRewriteOptions {
  XfccMode forwarded_client_cert = XfccMode::AlwaysForward;
  bool force_forwarded_proto_https = false;
  bool sanitize_forwarded_proto = false;
  bool keep_alive_100_continue_requests = false;
  std::vector<std::string> hop_by_hop_headers_to_filter;
  // tracing.enable_zipkin / enable_w3c / w3c_tenant_id (appendTraceHeaders).
  bool enable_zipkin = false;
  bool enable_w3c = false;
  std::string w3c_tenant_id;
};

// What the client's connection says about the request: its scheme and client certificate.
struct ClientConnection {
  std::string_view client_ip;
  bool tls = false;
  // The verified client certificate (leaf), base64 DER; empty when none was presented.
  std::string_view client_cert_b64;
};

struct RequestFacts {
  bool expect_continue = false;  // Expect: 100-continue
  bool upgrade = false;          // an Upgrade request (WebSocket...)
  bool backend_close = false;    // the backend connection must not be reused after this request
};

// How a route-service leg changes the head (ROUTER-PROTOCOL.md 7).
struct RouteServiceRewrite {
  enum class Pass {
    ToRouteService,    // first pass: sent to the route service
    FromRouteService,  // validated return pass: sent on to the app
  };
  Pass pass = Pass::ToRouteService;
  // First pass: the route service URL's request-target and authority replace the request's,
  // and the three headers below replace any the client sent.
  std::string_view target;
  std::string_view host;
  std::string_view forwarded_url;  // X-CF-Forwarded-Url
  std::string_view signature;      // X-CF-Proxy-Signature
  std::string_view metadata;       // X-CF-Proxy-Metadata
};

// Writes the request line and every header that is the same for all attempts into *out
// (cleared first). The head is not terminated: appendAttemptHeaders() finishes it.
// `request_id` is the new X-Vcap-Request-Id; `now_ms` the wall-clock for X-Request-Start.
// `route_service` (null for an ordinary request): on the first pass the request-target, Host
// and the route-service headers are replaced; on a validated return pass the three
// route-service headers are dropped and X-Forwarded-Proto is left as the route service sent it
// (the first pass set it: force_forwarded_proto_https / sanitize_forwarded_proto do not apply).
void buildBackendRequestBase(const MessageHead& head, const HeadRewriteOptions& options,
                             const ClientConnection& connection, std::string_view request_id,
                             int64_t now_ms, std::string* out, RequestFacts* facts,
                             const RouteServiceRewrite* route_service = nullptr);

// Appends just the blank line ending the head: the route-service leg carries no X-CF-App*
// headers (the route service is not an app instance).
void endHeadWithoutAttemptHeaders(std::string* out);

// Tracing (ROUTER-PROTOCOL.md 6.4), appended after buildBackendRequestBase (which drops the
// client's traceparent / tracestate when W3C is on, since they are rewritten here):
//  Zipkin: a client "b3" header is kept; else X-B3-TraceId + X-B3-SpanId are kept and "b3"
//  synthesized from them; else a trace id (from the request id) and a random span id are set.
//  W3C: a valid traceparent keeps its trace id and flags with a new random parent id; else a
//  new sampled one; tracestate gets "gorouter=<parent>" (or "<tenant>@gorouter") in front,
//  replacing an older entry of that key; a tracestate over 2048 characters is dropped.
// `random` supplies the new span / parent ids.
void appendTraceHeaders(const MessageHead& head, const HeadRewriteOptions& options,
                        std::string_view request_id, uint64_t random, std::string* out);

// Appends the per-endpoint headers and the blank line ending the head.
void appendAttemptHeaders(const Endpoint& endpoint, std::string* out);

// Writes the head sent to the client. `status_line` is the backend's first line without its
// line end. `request_id` is added as X-Vcap-Request-Id when the backend did not set one.
// `keep_alive` is the router's decision for the client connection; `client_http10` adds an
// explicit "Connection: keep-alive" for HTTP/1.0 clients kept open.
void buildClientResponseHead(const MessageHead& head, std::string_view status_line,
                             std::string_view request_id, bool keep_alive, bool client_http10,
                             std::string* out);

// http_rewrite on a serialized head (ending in the blank line): drops every header named in
// `remove`, then appends each of `add` whose name is absent. No-op when both are empty.
// A router error (head + body) is handled too: only its head is rewritten.
void applyResponseRewrite(std::string* head, const std::vector<std::string>& remove,
                          const std::vector<HeaderNameValue>& add);

// Inserts "Name: value" before the blank line that ends a serialized head.
void insertHeader(std::string* head, std::string_view name, std::string_view value);

// Case-insensitive ASCII comparison.
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// True when the comma-separated header value contains `token` (case-insensitive).
bool headerHasToken(std::string_view value, std::string_view token);

}  // namespace foundry::router
