#include "router/proxy/upstream_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "router/common/clock.h"
#include "router/http2/h2_upstream.h"
#include "router/proxy/client_session.h"

namespace foundry::router {

UpstreamPool::UpstreamPool(event_base* base, UringLoop* uring, int max_idle_per_host,
                           int max_idle_total, int64_t idle_timeout_ns)
    : base_(base),
      uring_(uring),
      max_idle_per_host_(max_idle_per_host),
      max_idle_total_(max_idle_total),
      idle_timeout_ns_(idle_timeout_ns) {}

UpstreamPool::~UpstreamPool() {
  closeAll();
  for (auto& [address, session] : tls_sessions_) SSL_SESSION_free(session);
}

void UpstreamPool::setTls(std::shared_ptr<const tls::ClientTls> backends,
                          std::shared_ptr<const tls::ClientTls> route_services) {
  backend_tls_ = std::move(backends);
  route_service_tls_ = std::move(route_services);
}

void UpstreamPool::storeTlsSession(const std::string& address, SSL_SESSION* session) {
  auto [it, inserted] = tls_sessions_.try_emplace(address, session);
  if (!inserted) {
    SSL_SESSION_free(it->second);
    it->second = session;
  }
}

void UpstreamPool::forgetTlsSession(const std::string& address) {
  auto it = tls_sessions_.find(address);
  if (it == tls_sessions_.end()) return;
  SSL_SESSION_free(it->second);
  tls_sessions_.erase(it);
}

void UpstreamConn::storeTlsSession(SSL_SESSION* session) {
  pool->storeTlsSession(endpoint->address(), session);
}

void UpstreamPool::closeAll() {
  for (auto& [address, list] : idle_) {
    while (list.head != nullptr) {
      UpstreamConn* conn = list.head;
      removeIdle(conn);
      delete conn;
    }
  }
  idle_.clear();
}

UpstreamConn* UpstreamPool::takeIdle(const Endpoint& endpoint) {
  auto it = idle_.find(endpoint.address());
  if (it == idle_.end() || it->second.head == nullptr) return nullptr;
  UpstreamConn* conn = it->second.head;
  removeIdle(conn);
  conn->reused = true;
  return conn;
}

UpstreamConn* UpstreamPool::connect(const EndpointSharedPtr& endpoint, ClientSession* session,
                                    int* err, TlsRole role) {
  // HTTP/2 backends (h2c, or h2 over TLS chosen by ALPN): a stream on the address's shared
  // connection.
  if (h2_ != nullptr && endpoint->fields().protocol == "http2") {
    auto* conn = new UpstreamConn;
    conn->endpoint = endpoint;
    conn->session = session;
    conn->pool = this;
    if (!h2_->openStream(conn, err)) {
      delete conn;
      return nullptr;
    }
    conn->connected = conn->ch.connectResult() == 0;
    return conn;
  }
  const sockaddr_storage& sa = endpoint->sockaddr();
  if (sa.ss_family == AF_UNSPEC) {
    *err = EHOSTUNREACH;
    return nullptr;
  }
  int fd = ::socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto* conn = new UpstreamConn;
  conn->endpoint = endpoint;
  conn->session = session;
  conn->pool = this;
  if (uring_ != nullptr) {
    conn->ch.openUring(uring_, fd, conn);
  } else {
    conn->ch.openEpoll(base_, fd, conn);
  }
  if (!conn->ch.connect(reinterpret_cast<const sockaddr*>(&sa), endpoint->sockaddrLen())) {
    *err = errno;
    delete conn;
    return nullptr;
  }
  if (endpoint->fields().tls) {
    const tls::ClientTls* tls =
        role == TlsRole::RouteService ? route_service_tls_.get() : backend_tls_.get();
    auto cached = tls_sessions_.find(endpoint->address());
    SSL* ssl = tls == nullptr ? nullptr
                              : tls->newConnection(*endpoint,
                                                   cached == tls_sessions_.end() ? nullptr
                                                                                 : cached->second,
                                                   conn);
    if (ssl == nullptr) {
      *err = EPROTO;
      delete conn;
      return nullptr;
    }
    conn->ch.startTls(ssl, /*server=*/false);
  }
  conn->connected = conn->ch.connectResult() == 0;
  return conn;
}

void UpstreamPool::release(UpstreamConn* conn) {
  conn->session = nullptr;
  if (conn->ch.isLink()) {
    destroy(conn);  // one stream per exchange; the HTTP/2 connection is what is reused
    return;
  }
  IdleList& list = idle_[conn->endpoint->address()];  // allocates once per address
  if (static_cast<int>(list.size) >= max_idle_per_host_ ||
      static_cast<int>(idle_total_) >= max_idle_total_) {
    destroy(conn);
    return;
  }
  conn->idle_since_ns = monotonicNanos();
  pushIdle(list, conn);
  if (!conn->ch.idleCheck()) destroy(conn);
}

void UpstreamPool::pushIdle(IdleList& list, UpstreamConn* conn) {
  conn->idle_list = &list;
  conn->idle_prev = nullptr;
  conn->idle_next = list.head;
  if (list.head != nullptr) {
    list.head->idle_prev = conn;
  } else {
    list.tail = conn;
  }
  list.head = conn;
  ++list.size;
  ++idle_total_;
}

void UpstreamPool::removeIdle(UpstreamConn* conn) {
  IdleList& list = *conn->idle_list;
  if (conn->idle_prev != nullptr) {
    conn->idle_prev->idle_next = conn->idle_next;
  } else {
    list.head = conn->idle_next;
  }
  if (conn->idle_next != nullptr) {
    conn->idle_next->idle_prev = conn->idle_prev;
  } else {
    list.tail = conn->idle_prev;
  }
  conn->idle_prev = conn->idle_next = nullptr;
  conn->idle_list = nullptr;
  --list.size;
  --idle_total_;
}

void UpstreamPool::destroy(UpstreamConn* conn) {
  if (conn->idle_list != nullptr) removeIdle(conn);
  delete conn;
}

void UpstreamPool::sweep(int64_t now_ns) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    IdleList& list = it->second;
    while (list.tail != nullptr && now_ns - list.tail->idle_since_ns > idle_timeout_ns_) {
      destroy(list.tail);
    }
    if (list.head == nullptr) {
      it = idle_.erase(it);  // an address nobody used for a sweep interval
    } else {
      ++it;
    }
  }
}

void UpstreamConn::onChannelEvent() {
  if (session != nullptr) {
    session->onUpstreamEvent();
    return;
  }
  // Idle: input is the backend closing (or talking out of turn). Drop it.
  if (ch.hasInput()) pool->destroy(this);
}

}  // namespace foundry::router
