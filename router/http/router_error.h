#pragma once
// The router's own responses (ROUTER-PROTOCOL.md 5.4): a closed set of errors, each with its
// status, X-Cf-Routererror value and Cache-Control, rendered the way gorouter renders them:
// "<code> <StatusText>: <message>\n" as text/plain with X-Content-Type-Options: nosniff.

#include <string>
#include <string_view>

namespace foundry::router {

enum class RouterError {
  EmptyHost,              // 400 empty_host
  UnknownRoute,           // 404 unknown_route
  NoEndpoints,            // 503 no_endpoints
  ConnectionLimit,        // 503 Connection Limit Reached
  EndpointFailure,        // 502 endpoint_failure
  BadRequest,             // 400, malformed HTTP (no router-error header, like Go's server)
  HeaderTooLarge,         // 431 max-request-size-exceeded, no body
  UnsupportedProtocol,    // raw "HTTP/1.0 400 Bad Request" (protocol check)
  InvalidAppInstance,     // 400 invalid_cf_app_instance_header
  InvalidProcessInstance, // 400 invalid_cf_process_instance_header
  UnknownInstance,        // 400 unknown_route: the targeted instance is not on the route
  // TLS to a backend failed (5.2, 8.2); all carry endpoint_failure (<detail>).
  BackendTlsHandshake,    // 525 SSL Handshake Failed
  BackendInvalidCert,     // 526 Invalid SSL Certificate (untrusted chain)
  BackendInvalidId,       // 503: the certificate is not for the registered name
  BackendCertRequired,    // 496 SSL Certificate Required (the backend refused ours)
  // Route services (ROUTER-PROTOCOL.md 7 and 5.4).
  RouteServiceUnsupported,      // 502 route_service_unsupported: the route has one, RS disabled
  RouteServiceSignatureInvalid, // 502, no header: a return pass whose signature fails
  RouteServiceSignatureExpired, // 504, no header: a return pass signed too long ago
  InvalidRouteServiceSignature, // 400 invalid_route_service_signature (strict validation)
  ExpiredRouteServiceSignature, // 504 expired_route_service_signature (strict validation)
  RouteServiceRequestFailed,    // 500, no header: the RS request could not be built
};

// Renders a complete HTTP/1.1 response. `host` is the request's Host header as received (used
// in messages); `detail` completes endpoint_failure's header ("endpoint_failure (<detail>)", the
// backend TLS errors too), is
// UnknownInstance's whole message and the reason after "Failed to validate Route Service
// Signature: " for a failed return-pass signature.
// When `close` is true the response carries "Connection: close".
std::string renderRouterError(RouterError error, std::string_view host, std::string_view detail,
                              bool close);

// HTTP status of an error, for logs and metrics.
int routerErrorStatus(RouterError error);
// Its X-Cf-Routererror value ("" for none).
std::string_view routerErrorName(RouterError error);

}  // namespace foundry::router
