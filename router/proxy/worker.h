#pragma once
// One data-plane thread: its own event loop (io_uring, or libevent over epoll), its own
// SO_REUSEPORT listener, its own idle upstream connections and its own reference to the
// current RouteTable. Nothing here is shared with other workers except the table (read-only)
// and the endpoints' atomic counters.

#include <event2/event.h>
#include <event2/listener.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "router/config/config.h"
#include "router/http/head_rewriter.h"
#include "router/observe/request_record.h"
#include "router/proxy/deadline_timers.h"
#include "router/proxy/upstream_pool.h"
#include "router/proxy/uring_loop.h"
#include "router/registry/table_publisher.h"
#include "router/routeservice/address_resolver.h"
#include "router/routeservice/route_service_config.h"
#include "router/routeservice/route_service_targets.h"

namespace foundry::router {

class ClientSession;

enum class EventBackend { Epoll, IoUring };
const char* eventBackendName(EventBackend backend);
// Resolves the `event_backend` setting: "auto" probes io_uring and falls back to epoll (*note
// says why), "io_uring" fails (false, *note) when this kernel or sandbox does not allow it.
bool chooseEventBackend(const std::string& setting, EventBackend* backend, std::string* note);

// Counters a worker keeps (relaxed atomics so the control thread can read them).
struct WorkerStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bad_gateways{0};
  std::atomic<uint64_t> active_sessions{0};
};

class Worker {
 public:
  Worker(int id, const Config& config, const TablePublisher& publisher,
         EventBackend backend = EventBackend::Epoll);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the data port (SO_REUSEPORT, so every worker has its own accept queue); under
  // io_uring also sets up the ring.
  bool listen(std::string* error);
  void start();
  // Thread-safe: asks the loop to exit and joins the thread.
  void stop();
  // Thread-safe: starts a graceful drain. The worker closes its listener and its idle
  // keep-alive connections; connections busy with a request finish it and then close.
  void beginDrain();
  // Thread-safe: client connections still open (0 once a drain has finished).
  uint64_t activeConnections() const {
    return stats_.active_sessions.load(std::memory_order_relaxed);
  }
  bool draining() const { return draining_; }

  // Metrics / access log sink; set before start(), may stay null.
  void setObserver(RequestObserver* observer) { observer_ = observer; }
  // Route services (ROUTER-PROTOCOL.md 7): the shared settings and name resolver, both owned by
  // the caller and outliving the worker; set before start(). Unset: route services disabled.
  void setRouteServices(const RouteServiceConfig* config, AddressResolver* resolver) {
    route_services_ = config;
    route_service_targets_ = RouteServiceTargets(resolver);
  }
  const RouteServiceConfig* routeServices() const { return route_services_; }
  RouteServiceTargets& routeServiceTargets() { return route_service_targets_; }
  RequestObserver* observer() const { return observer_; }
  int id() const { return id_; }

  // Worker-thread accessors used by sessions.
  event_base* base() const { return base_; }
  UringLoop* uring() const { return uring_.get(); }
  const Config& config() const { return config_; }
  const HeadRewriteOptions& rewriteOptions() const { return rewrite_options_; }
  UpstreamPool& upstreams() { return *upstreams_; }
  WorkerStats& stats() { return stats_; }
  const RouteTable& table() {
    publisher_.refresh(&table_generation_, &table_);
    return *table_;
  }
  // A random (v4) UUID for X-Vcap-Request-Id.
  void newRequestId(char out[36]);
  uint64_t random64() { return rng_(); }
  // The fixed timeout durations a session uses. epoll: libevent "common timeouts" (O(1)
  // re-arming); io_uring: DeadlineTimers lists, checked once per loop turn.
  // Poll: a short tick for a session waiting on something that cannot wake it (a route
  // service's host name being resolved on the resolver thread).
  enum class Timeout { Idle = 0, Header = 1, Dial = 2, Endpoint = 3, Poll = 4 };
  static constexpr int kTimeoutKinds = 5;
  static constexpr int64_t kPollIntervalNs = 5'000'000;
  const timeval* timeoutValue(Timeout timeout) const {
    return common_timeouts_[static_cast<int>(timeout)];
  }
  void armDeadline(TimerNode* node, Timeout timeout) {
    deadlines_.arm(node, static_cast<size_t>(timeout), loop_now_ns_);
  }

  void sessionClosed(ClientSession* session);

  // Pipes for splice(2), pooled so a spliced body costs no pipe()/close() syscalls.
  static constexpr size_t kPipeCapacity = 256 * 1024;
  bool takePipe(int fds[2]);
  // `reusable` false when bytes may still sit in it: then it is closed instead.
  void returnPipe(int fds[2], bool reusable);

 private:
  static void onAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                       void* arg);
  static void onSweep(evutil_socket_t, short, void* arg);
  static void onStop(evutil_socket_t fd, short, void* arg);
  void onWake(uint64_t value);
  void drainNow();
  void sweep();
  void addSession(int fd, const sockaddr* peer);

  // io_uring (worker_uring.cc).
  class AcceptSlot;
  class WakeReader;
  bool listenUring(const sockaddr* addr, socklen_t len, std::string* error);
  void runUring();
  void armAccept(AcceptSlot* slot);
  void closeUringListener();
  void shutdownUring();

  int id_;
  const Config& config_;
  const TablePublisher& publisher_;
  HeadRewriteOptions rewrite_options_;
  EventBackend backend_;
  event_base* base_ = nullptr;
  evconnlistener* listener_ = nullptr;
  std::unique_ptr<UringLoop> uring_;
  int uring_listen_fd_ = -1;
  std::vector<std::unique_ptr<AcceptSlot>> accept_slots_;
  std::unique_ptr<WakeReader> wake_reader_;
  bool stop_requested_ = false;  // io_uring loop, worker thread only
  DeadlineTimers deadlines_;
  int64_t loop_now_ns_ = 0;
  int64_t next_sweep_ns_ = 0;
  event* sweep_timer_ = nullptr;
  int stop_fd_ = -1;  // eventfd: 1 = stop the loop, 2 = drain
  bool draining_ = false;  // worker thread only
  event* stop_event_ = nullptr;
  std::unique_ptr<UpstreamPool> upstreams_;
  uint64_t table_generation_ = ~uint64_t{0};
  RouteTableConstSharedPtr table_;
  std::mt19937_64 rng_;
  WorkerStats stats_;
  const timeval* common_timeouts_[kTimeoutKinds] = {};
  static constexpr int64_t kSweepIntervalNs = 5'000'000'000;
  ClientSession* sessions_ = nullptr;  // intrusive list, for shutdown
  std::vector<std::pair<int, int>> idle_pipes_;
  RequestObserver* observer_ = nullptr;
  const RouteServiceConfig* route_services_ = nullptr;
  RouteServiceTargets route_service_targets_{nullptr};
  std::thread thread_;
  friend class ClientSession;
};

}  // namespace foundry::router
