#include "router/proxy/upstream_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "router/common/clock.h"
#include "router/proxy/client_session.h"

namespace foundry::router {

UpstreamPool::UpstreamPool(event_base* base, int max_idle_per_host, int max_idle_total,
                           int64_t idle_timeout_ns)
    : base_(base),
      max_idle_per_host_(max_idle_per_host),
      max_idle_total_(max_idle_total),
      idle_timeout_ns_(idle_timeout_ns) {}

UpstreamPool::~UpstreamPool() {
  for (auto& [address, conns] : idle_) {
    for (UpstreamConn* conn : conns) {
      event_del(&conn->ev);
      ::close(conn->fd);
      delete conn;
    }
  }
}

UpstreamConn* UpstreamPool::takeIdle(const Endpoint& endpoint) {
  auto it = idle_.find(endpoint.address());
  if (it == idle_.end() || it->second.empty()) return nullptr;
  UpstreamConn* conn = it->second.front();
  removeIdle(conn);
  conn->reused = true;
  return conn;
}

UpstreamConn* UpstreamPool::connect(const EndpointSharedPtr& endpoint, ClientSession* session,
                                    int* err) {
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
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), endpoint->sockaddrLen());
  if (rc != 0 && errno != EINPROGRESS) {
    *err = errno;
    ::close(fd);
    return nullptr;
  }
  auto* conn = new UpstreamConn;
  conn->fd = fd;
  conn->endpoint = endpoint;
  conn->connected = (rc == 0);
  conn->writable = false;
  conn->session = session;
  conn->pool = this;
  event_assign(&conn->ev, base_, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST,
               &onEvent, conn);
  event_add(&conn->ev, nullptr);
  return conn;
}

void UpstreamPool::release(UpstreamConn* conn) {
  conn->session = nullptr;
  auto& list = idle_[conn->endpoint->address()];
  if (static_cast<int>(list.size()) >= max_idle_per_host_ ||
      static_cast<int>(idle_total_) >= max_idle_total_) {
    destroy(conn);
    return;
  }
  conn->idle_since_ns = monotonicNanos();
  conn->idle = true;
  list.push_front(conn);
  conn->idle_pos = list.begin();
  ++idle_total_;
  // A backend that closed while we were busy has left the socket readable (EOF): an edge may
  // already have been consumed, so check now instead of waiting for one.
  if (conn->readable) {
    char byte;
    ssize_t n = ::recv(conn->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || n > 0) {
      destroy(conn);
      return;
    }
    conn->readable = false;
  }
}

void UpstreamPool::removeIdle(UpstreamConn* conn) {
  auto it = idle_.find(conn->endpoint->address());
  if (it == idle_.end()) return;
  it->second.erase(conn->idle_pos);
  conn->idle = false;
  --idle_total_;
  if (it->second.empty()) idle_.erase(it);
}

void UpstreamPool::destroy(UpstreamConn* conn) {
  if (conn->idle) removeIdle(conn);
  event_del(&conn->ev);
  ::close(conn->fd);
  delete conn;
}

void UpstreamPool::sweep(int64_t now_ns) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    while (!list.empty() && now_ns - list.back()->idle_since_ns > idle_timeout_ns_) {
      UpstreamConn* conn = list.back();
      list.pop_back();
      --idle_total_;
      event_del(&conn->ev);
      ::close(conn->fd);
      delete conn;
    }
    if (list.empty()) {
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
}

void UpstreamPool::onEvent(evutil_socket_t, short what, void* arg) {
  auto* conn = static_cast<UpstreamConn*>(arg);
  if (what & (EV_READ | EV_CLOSED)) conn->readable = true;
  if (what & EV_CLOSED) conn->peer_closed = true;
  if (what & EV_WRITE) conn->writable = true;
  if (conn->session != nullptr) {
    conn->session->onUpstreamEvent();
    return;
  }
  // Idle: any readable event is the backend closing (or talking out of turn). Drop it.
  if (what & (EV_READ | EV_CLOSED)) conn->pool->destroy(conn);
}

}  // namespace foundry::router
