#pragma once
// Per-worker connections to backends. A connection is either in use by exactly one
// ClientSession or idle in this pool, keyed by endpoint address. Idle connections stay
// registered for read events so that a backend closing one is noticed (and the connection
// dropped) before a request is ever written to it. Worker thread only.

#include <event2/event.h>
#include <event2/event_struct.h>

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "router/route/endpoint.h"

namespace foundry::router {

class ClientSession;
class UpstreamPool;

struct UpstreamConn {
  int fd = -1;
  EndpointSharedPtr endpoint;
  event ev{};  // EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST
  bool readable = false;
  bool writable = false;
  bool connected = false;
  bool peer_closed = false;         // EV_CLOSED seen: read until recv() returns 0
  bool reused = false;              // taken from the idle pool
  bool idle = false;                // in the pool's idle list
  ClientSession* session = nullptr;  // null while idle
  UpstreamPool* pool = nullptr;
  int64_t idle_since_ns = 0;
  std::list<UpstreamConn*>::iterator idle_pos;
};

class UpstreamPool {
 public:
  UpstreamPool(event_base* base, int max_idle_per_host, int max_idle_total,
               int64_t idle_timeout_ns);
  ~UpstreamPool();

  // An idle connection to `endpoint`'s address, or nullptr.
  UpstreamConn* takeIdle(const Endpoint& endpoint);
  // Starts a non-blocking connect. Returns nullptr with *err set to errno on an immediate
  // failure (refused, unresolvable).
  UpstreamConn* connect(const EndpointSharedPtr& endpoint, ClientSession* session, int* err);
  // Returns a healthy connection for reuse (closes it when the pool is full).
  void release(UpstreamConn* conn);
  // Closes and frees a connection (in use or idle).
  void destroy(UpstreamConn* conn);
  // Closes idle connections unused for longer than the idle timeout.
  void sweep(int64_t now_ns);

  size_t idleCount() const { return idle_total_; }

 private:
  static void onEvent(evutil_socket_t fd, short what, void* arg);
  void removeIdle(UpstreamConn* conn);

  event_base* base_;
  int max_idle_per_host_;
  int max_idle_total_;
  int64_t idle_timeout_ns_;
  size_t idle_total_ = 0;
  // Most recently released at the front: reuse the warmest connection.
  std::unordered_map<std::string, std::list<UpstreamConn*>> idle_;
};

}  // namespace foundry::router
