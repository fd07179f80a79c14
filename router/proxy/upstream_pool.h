#pragma once
// Per-worker connections to backends. A connection is either in use by exactly one
// ClientSession or idle in this pool, keyed by endpoint address. Idle connections stay
// watched for input (epoll: registered for read events; io_uring: a receive stays queued) so that
// a backend closing one is noticed, and the connection dropped, before a request is ever
// written to it. Worker thread only.

#include <event2/event.h>
#include <event2/event_struct.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "router/proxy/channel.h"
#include "router/route/endpoint.h"
#include "router/tls/client_tls.h"

namespace foundry::router {

class ClientSession;
class H2UpstreamPool;
class UpstreamPool;
struct UpstreamConn;

// The idle connections to one address, most recently released first. Intrusive, and the
// pool keeps an address's list while it has connections or until the next sweep, so taking
// and returning a connection per request allocates nothing.
struct IdleList {
  UpstreamConn* head = nullptr;
  UpstreamConn* tail = nullptr;
  size_t size = 0;
};

class UringLoop;

// Which client TLS configuration a connection uses: backends (route integrity) or route
// services (their own client certificate, skip_ssl_validation).
enum class TlsRole { Backend, RouteService };

struct UpstreamConn final : ChannelOwner, tls::TlsSessionStore {
  // In use: the session's; idle: input means the backend closed it, so it is dropped.
  void onChannelEvent() override;
  // A session the backend issued, kept for the next connection to this address.
  void storeTlsSession(SSL_SESSION* session) override;

  Channel ch;
  EndpointSharedPtr endpoint;
  bool connected = false;
  bool reused = false;              // taken from the idle pool
  ClientSession* session = nullptr;  // null while idle
  UpstreamPool* pool = nullptr;
  int64_t idle_since_ns = 0;
  IdleList* idle_list = nullptr;  // set exactly while the connection is idle in the pool
  UpstreamConn* idle_prev = nullptr;
  UpstreamConn* idle_next = nullptr;
};

class UpstreamPool {
 public:
  // Exactly one of `base` (epoll) and `uring` is set.
  UpstreamPool(event_base* base, UringLoop* uring, int max_idle_per_host, int max_idle_total,
               int64_t idle_timeout_ns);
  ~UpstreamPool();

  // Endpoints registered with protocol http2 are reached through `h2` (h2_upstream.h): their
  // connections are memory links to streams, never pooled here.
  void setHttp2(H2UpstreamPool* h2) { h2_ = h2; }

  // An idle connection to `endpoint`'s address, or nullptr.
  UpstreamConn* takeIdle(const Endpoint& endpoint);
  // Starts a non-blocking connect, with a TLS handshake after it for TLS endpoints (the
  // connection reports connected once the handshake is done). Returns nullptr with *err set
  // to errno on an immediate failure (refused, unresolvable).
  UpstreamConn* connect(const EndpointSharedPtr& endpoint, ClientSession* session, int* err,
                        TlsRole role = TlsRole::Backend);
  // The client TLS contexts (set by the worker; replaced on reload).
  void setTls(std::shared_ptr<const tls::ClientTls> backends,
              std::shared_ptr<const tls::ClientTls> route_services);
  // The backends' client TLS (HTTP/2 backends over TLS dial with it too); null before setTls.
  const std::shared_ptr<const tls::ClientTls>& backendTls() const { return backend_tls_; }
  // Forgets the TLS session for `address` (its last handshake failed).
  void forgetTlsSession(const std::string& address);
  void storeTlsSession(const std::string& address, SSL_SESSION* session);
  // Returns a healthy connection for reuse (closes it when the pool is full).
  void release(UpstreamConn* conn);
  // Closes and frees a connection (in use or idle).
  void destroy(UpstreamConn* conn);
  // Closes every idle connection (worker shutdown).
  void closeAll();
  // Closes idle connections unused for longer than the idle timeout.
  void sweep(int64_t now_ns);

  size_t idleCount() const { return idle_total_; }

 private:
  void removeIdle(UpstreamConn* conn);
  void pushIdle(IdleList& list, UpstreamConn* conn);

  event_base* base_;
  UringLoop* uring_;
  H2UpstreamPool* h2_ = nullptr;
  int max_idle_per_host_;
  int max_idle_total_;
  int64_t idle_timeout_ns_;
  size_t idle_total_ = 0;
  // Most recently released at the front: reuse the warmest connection.
  std::unordered_map<std::string, IdleList> idle_;
  std::shared_ptr<const tls::ClientTls> backend_tls_;
  std::shared_ptr<const tls::ClientTls> route_service_tls_;
  // The newest TLS session per backend address, offered by the next handshake there.
  std::unordered_map<std::string, SSL_SESSION*> tls_sessions_;
};

}  // namespace foundry::router
