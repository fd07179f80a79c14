#pragma once
// What the data plane knows about one finished request: filled in by ClientSession as the
// request moves along and handed to RequestObserver::onRequestDone() exactly once per request
// that got a head (router errors, backend responses, truncated responses alike).
// Fields are plain copies so the record outlives the connection's buffers. The string fields
// of the request (host ... request_id) are filled only when the observer asks for details
// (an access log is on): metrics alone need just status, timing and the endpoint.

#include <cstdint>
#include <string>

#include "router/route/endpoint.h"

namespace foundry::router {

struct RequestRecord {
  // Timing: wall clock for the access log's timestamp, monotonic for durations.
  int64_t start_wall_ns = 0;
  int64_t start_mono_ns = 0;
  int64_t end_mono_ns = 0;
  int64_t backend_ns = 0;  // time spent waiting on backends (connect to response head)
  int64_t head_mono_ns = 0;     // the backend's final response head arrived (0: none did)
  int64_t route_lookup_ns = 0;  // RouteTable::lookup() for this request (0: not looked up)

  // Request, as received.
  std::string host;
  std::string method;
  std::string target;
  std::string proto;  // "HTTP/1.1"
  std::string referer;
  std::string user_agent;
  std::string client_addr;  // "ip:port"
  // As sent to the backend.
  std::string x_forwarded_for;
  std::string x_forwarded_proto;
  std::string request_id;

  // Routing outcome. The endpoint of the last attempt (null when none was reached) carries the
  // backend address, app id, instance index and id, and tags.component.
  EndpointSharedPtr endpoint;
  std::string router_error;  // X-Cf-Routererror value, "" when none
  int status = 0;            // 0: no response was sent (client gone, truncated before head)
  int attempts = 0;
  // Attempts that failed TLS to the endpoint (ROUTER-PROTOCOL.md 9.4): handshake failures,
  // untrusted certificates, certificates for another name.
  uint16_t backend_tls_handshake_failed = 0;
  uint16_t backend_invalid_tls_cert = 0;
  uint16_t backend_invalid_id = 0;
  bool truncated = false;  // the response was cut (backend died, timeout mid-body)

  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
};

// Why a connection was closed before its first request.
enum class ConnectionRejection {
  ProxyHeaderInvalid,  // enable_proxy: the PROXY protocol header broke the spec
  ProxyHeaderTimeout,  // enable_proxy: a PROXY signature came, the rest not within 100 ms
};

// Implemented by the observability layer (metrics, access log). Called on the worker thread
// that served the request; must not block.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void onRequestDone(int worker_id, const RequestRecord& record) = 0;
  // Whether the request's strings (host, method, headers...) are needed.
  virtual bool wantsDetails() const = 0;
  // A connection refused before any request (no RequestRecord exists for it).
  virtual void onConnectionRejected(int worker_id, ConnectionRejection why) {
    (void)worker_id;
    (void)why;
  }
};

}  // namespace foundry::router
