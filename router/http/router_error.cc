#include "router/http/router_error.h"

#include <ctime>

namespace foundry::router {
namespace {

struct ErrorSpec {
  int status;
  std::string_view reason;
  std::string_view router_error;   // "" = no X-Cf-Routererror header
  std::string_view cache_control;  // "" = none
};

// Go's invalid-response cache header vs the no-cache one (handlers/helpers.go).
constexpr std::string_view kInvalidCache = "public,max-age=2";
constexpr std::string_view kNoCache = "no-cache, no-store";

ErrorSpec specOf(RouterError error) {
  switch (error) {
    case RouterError::EmptyHost: return {400, "Bad Request", "empty_host", kInvalidCache};
    case RouterError::UnknownRoute: return {404, "Not Found", "unknown_route", kNoCache};
    case RouterError::NoEndpoints:
      return {503, "Service Unavailable", "no_endpoints", kInvalidCache};
    case RouterError::ConnectionLimit:
      return {503, "Service Unavailable", "Connection Limit Reached", ""};
    case RouterError::EndpointFailure: return {502, "Bad Gateway", "endpoint_failure", ""};
    case RouterError::BadRequest: return {400, "Bad Request", "", ""};
    case RouterError::HeaderTooLarge:
      return {431, "Request Header Fields Too Large", "max-request-size-exceeded", ""};
    case RouterError::UnsupportedProtocol: return {400, "Bad Request", "", ""};
    case RouterError::InvalidAppInstance:
      return {400, "Bad Request", "invalid_cf_app_instance_header", kNoCache};
    case RouterError::InvalidProcessInstance:
      return {400, "Bad Request", "invalid_cf_process_instance_header", kNoCache};
    case RouterError::UnknownInstance: return {400, "Bad Request", "unknown_route", kNoCache};
    case RouterError::BackendTlsHandshake:
      return {525, "SSL Handshake Failed", "endpoint_failure", ""};
    case RouterError::BackendInvalidCert:
      return {526, "Invalid SSL Certificate", "endpoint_failure", ""};
    case RouterError::BackendInvalidId:
      return {503, "Service Unavailable", "endpoint_failure", ""};
    case RouterError::BackendCertRequired:
      return {496, "SSL Certificate Required", "endpoint_failure", ""};
    case RouterError::RouteServiceUnsupported:
      return {502, "Bad Gateway", "route_service_unsupported", ""};
    case RouterError::RouteServiceSignatureInvalid: return {502, "Bad Gateway", "", ""};
    case RouterError::RouteServiceSignatureExpired: return {504, "Gateway Timeout", "", ""};
    case RouterError::InvalidRouteServiceSignature:
      return {400, "Bad Request", "invalid_route_service_signature", ""};
    case RouterError::ExpiredRouteServiceSignature:
      return {504, "Gateway Timeout", "expired_route_service_signature", ""};
    case RouterError::RouteServiceRequestFailed:
      return {500, "Internal Server Error", "", ""};
  }
  return {500, "Internal Server Error", "", ""};
}

std::string messageOf(RouterError error, std::string_view host, std::string_view detail) {
  std::string h(host);
  switch (error) {
    case RouterError::InvalidAppInstance: return "Invalid X-CF-App-Instance Header";
    case RouterError::InvalidProcessInstance: return "Invalid X-CF-Process-Instance Header";
    case RouterError::UnknownInstance: return std::string(detail);
    case RouterError::EmptyHost: return "Request had empty Host header";
    case RouterError::UnknownRoute: return "Requested route ('" + h + "') does not exist.";
    case RouterError::NoEndpoints:
      return "Requested route ('" + h + "') has no available endpoints.";
    case RouterError::ConnectionLimit:
      return "Requested route ('" + h + "') has reached the connection limit.";
    case RouterError::EndpointFailure: return "Registered endpoint failed to handle the request.";
    case RouterError::BadRequest: return "Malformed HTTP request";
    case RouterError::RouteServiceUnsupported: return "Support for route services is disabled.";
    case RouterError::RouteServiceSignatureInvalid:
    case RouterError::RouteServiceSignatureExpired:
    case RouterError::ExpiredRouteServiceSignature:
      return "Failed to validate Route Service Signature: " + std::string(detail);
    case RouterError::InvalidRouteServiceSignature:
      return "invalid route service signature detected";
    case RouterError::RouteServiceRequestFailed: return "Route service request failed.";
    default: return "";
  }
}

void appendDate(std::string& out) {
  char buf[64];
  time_t now = time(nullptr);
  tm gmt;
  gmtime_r(&now, &gmt);
  strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &gmt);
  out += buf;
}

}  // namespace

int routerErrorStatus(RouterError error) { return specOf(error).status; }

std::string_view routerErrorName(RouterError error) { return specOf(error).router_error; }

std::string renderRouterError(RouterError error, std::string_view host, std::string_view detail,
                              bool close) {
  if (error == RouterError::UnsupportedProtocol) {
    return "HTTP/1.0 400 Bad Request\r\n\r\n";
  }
  const ErrorSpec spec = specOf(error);
  std::string body;
  if (error != RouterError::HeaderTooLarge) {
    const std::string message = messageOf(error, host, detail);
    body = std::to_string(spec.status) + " " + std::string(spec.reason) +
           (message.empty() ? "" : ": " + message) + "\n";
  }
  std::string out;
  out.reserve(256 + body.size());
  out += "HTTP/1.1 " + std::to_string(spec.status) + " " + std::string(spec.reason) + "\r\n";
  if (!spec.cache_control.empty()) {
    out += "Cache-Control: " + std::string(spec.cache_control) + "\r\n";
  }
  if (!body.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\n";
  }
  appendDate(out);
  out += "X-Content-Type-Options: nosniff\r\n";
  if (!spec.router_error.empty()) {
    out += "X-Cf-Routererror: " + std::string(spec.router_error);
    if (spec.router_error == "endpoint_failure" && !detail.empty()) {
      out += " (" + std::string(detail) + ")";
    }
    out += "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace foundry::router
