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
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "router/config/config.h"
#include "router/config/live_config.h"
#include "router/observe/request_record.h"
#include "router/proxy/deadline_timers.h"
#include "router/proxy/local_tasks.h"
#include "router/proxy/upstream_pool.h"
#include "router/proxy/uring_loop.h"
#include "router/registry/table_publisher.h"
#include "router/routeservice/address_resolver.h"
#include "router/routeservice/route_service_config.h"
#include "router/routeservice/route_service_targets.h"

namespace foundry::router {

class ClientSession;
class H2ServerConnection;
class H2UpstreamPool;

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
  Worker(int id, const LiveConfigPublisher& live, const TablePublisher& publisher,
         EventBackend backend = EventBackend::Epoll);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the data ports, plain (unless disable_http) and TLS (enable_ssl), with SO_REUSEPORT
  // so every worker has its own accept queues; under io_uring also sets up the ring.
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

  // Listener moves (a reload changed ip, port or ssl_port; worker_listener.cc). Any thread:
  // opens a socket of the kind this worker's loop takes, bound to ip:port (-1 with *error).
  int openReplacementListener(const std::string& ip, uint16_t port, std::string* error) const;
  // Thread-safe: hands over such a socket (ownership too) for the plain or the TLS listener.
  // The worker starts accepting on it, takes the connections already waiting in the old
  // listener's queue, then closes the old one; accepted connections are not touched. Closed
  // unused when the worker is draining or has no such listener.
  void replaceListener(bool tls, int fd);

  // Metrics / access log sink; set before start(), may stay null.
  void setObserver(RequestObserver* observer) { observer_ = observer; }
  // Route services (ROUTER-PROTOCOL.md 7; their settings are in the live config): the resolver
  // for their host names, owned by the caller and outliving the worker; set before start().
  void setRouteServiceResolver(AddressResolver* resolver) {
    route_service_targets_ = RouteServiceTargets(resolver);
  }
  RouteServiceTargets& routeServiceTargets() { return route_service_targets_; }
  RequestObserver* observer() const { return observer_; }
  int id() const { return id_; }

  // Worker-thread accessors used by sessions.
  event_base* base() const { return base_; }
  UringLoop* uring() const { return uring_.get(); }
  // The settings in force (live_config.h), refreshed when a reload published newer ones: one
  // acquire load when nothing changed. Sessions keep the result for a whole request.
  const LiveConfigConstSharedPtr& liveConfig() {
    if (live_publisher_.refresh(&live_generation_, &live_shared_)) adoptLiveConfig();
    return live_;
  }
  // The config of the snapshot this worker holds (not refreshed; valid until liveConfig()).
  const Config& config() const { return live_->config; }
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
  // re-arming); io_uring: DeadlineTimers lists, checked once per loop turn. ProxyHeader is
  // gorouter's fixed 100 ms for the PROXY protocol header (enable_proxy). Poll: a short tick
  // for a session waiting on something that cannot wake it (a route service's host name being
  // resolved on the resolver thread).
  // Handshake: tls_handshake_timeout, from the end of the preamble to the end of a TLS
  // handshake on the TLS port (then Header runs for the first request head).
  enum class Timeout {
    Idle = 0, Header = 1, Dial = 2, Endpoint = 3, ProxyHeader = 4, Poll = 5, Handshake = 6
  };
  static constexpr int kTimeoutCount = 7;
  static constexpr int64_t kProxyHeaderTimeoutNs = 100'000'000;
  static constexpr int64_t kPollIntervalNs = 5'000'000;
  const timeval* timeoutValue(Timeout timeout) const {
    return common_timeouts_[static_cast<int>(timeout)];
  }
  void armDeadline(TimerNode* node, Timeout timeout) {
    deadlines_.arm(node, deadline_lists_[static_cast<int>(timeout)], loop_now_ns_);
  }

  void sessionClosed(ClientSession* session);

  // HTTP/2 client connections (router/http2/h2_server_connection.h), kept for drain and
  // shutdown. They count in activeConnections() like sessions.
  void addHttp2Connection(H2ServerConnection* connection);
  void http2ConnectionClosed(H2ServerConnection* connection);
  // Work posted to run from this worker's loop after the current callback (memory links).
  LocalTasks& localTasks() { return *local_tasks_; }
  // Multiplexed connections to endpoints registered with protocol http2.
  H2UpstreamPool& http2Upstreams() { return *h2_upstreams_; }

  // Pipes for splice(2), pooled so a spliced body costs no pipe()/close() syscalls.
  static constexpr size_t kPipeCapacity = 256 * 1024;
  bool takePipe(int fds[2]);
  // `reusable` false when bytes may still sit in it: then it is closed instead.
  void returnPipe(int fds[2], bool reusable);

 private:
  // One listening socket: the plain or the TLS port.
  class AcceptSlot;
  struct Listener {
    Worker* worker = nullptr;
    bool tls = false;
    uint16_t port = 0;
    evconnlistener* ev = nullptr;  // epoll
    int fd = -1;                   // io_uring
    std::vector<std::unique_ptr<AcceptSlot>> slots;
    ~Listener();
  };
  bool listenOn(uint16_t port, bool tls, std::string* error);
  // Accepts on `fd` (owned from now on) for `listener`.
  bool attach(Listener* listener, int fd, std::string* error);
  void closeListeners();
  static void onAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                       void* arg);
  static void onSweep(evutil_socket_t, short, void* arg);
  static void onStop(evutil_socket_t fd, short, void* arg);
  void onWake(uint64_t value);
  void adoptLiveConfig();
  void adoptPendingListener();
  void moveListener(Listener* listener, int fd);
  void takeBacklog(int listen_fd, bool tls);
  void drainNow();
  void sweep();
  void addSession(int fd, const sockaddr* peer, bool tls);
  // Closes every client connection, HTTP/2 ones first (with their streams' sessions): worker
  // shutdown.
  void abortConnections();

  // io_uring (worker_uring.cc).
  class WakeReader;
  void listenUring(Listener* listener, int fd);
  void runUring();
  void armAccept(Listener* listener, AcceptSlot* slot);
  void closeUringListener(Listener* listener);
  void queueListenerClose(int fd);
  void shutdownUring();

  int id_;
  const LiveConfigPublisher& live_publisher_;
  uint64_t live_generation_ = ~uint64_t{0};
  LiveConfigConstSharedPtr live_shared_;  // as published
  LiveConfigConstSharedPtr live_;         // the same snapshot, counted by this worker alone
  const TablePublisher& publisher_;
  EventBackend backend_;
  event_base* base_ = nullptr;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<UringLoop> uring_;
  std::unique_ptr<WakeReader> wake_reader_;
  bool stop_requested_ = false;  // io_uring loop, worker thread only
  DeadlineTimers deadlines_;
  int64_t loop_now_ns_ = 0;
  int64_t next_sweep_ns_ = 0;
  event* sweep_timer_ = nullptr;
  // eventfd: 1 = stop the loop, 2 = drain, 4 = a new listener waits (sums of 4 keep bit 0-1
  // clear, so they read as "bits above 1 set").
  int stop_fd_ = -1;
  std::mutex listener_mutex_;
  int pending_listen_fds_[2] = {-1, -1};  // [tls], guarded by listener_mutex_
  bool draining_ = false;  // worker thread only
  event* stop_event_ = nullptr;
  std::unique_ptr<UpstreamPool> upstreams_;
  uint64_t table_generation_ = ~uint64_t{0};
  RouteTableConstSharedPtr table_;
  std::mt19937_64 rng_;
  WorkerStats stats_;
  // Per Timeout: the duration in force, and its epoll common timeout / io_uring deadline list.
  int64_t timeout_ns_[kTimeoutCount] = {};
  bool timeouts_set_ = false;
  const timeval* common_timeouts_[kTimeoutCount] = {};
  timeval plain_timeouts_[kTimeoutCount] = {};
  size_t deadline_lists_[kTimeoutCount] = {};
  static_assert(DeadlineTimers::kMaxLists > static_cast<size_t>(kTimeoutCount),
                "a reload needs lists beyond those in use");
  static constexpr int64_t kSweepIntervalNs = 5'000'000'000;
  ClientSession* sessions_ = nullptr;  // intrusive list, for shutdown
  H2ServerConnection* h2_connections_ = nullptr;  // intrusive list, for drain and shutdown
  std::unique_ptr<LocalTasks> local_tasks_;
  std::unique_ptr<H2UpstreamPool> h2_upstreams_;
  std::vector<std::pair<int, int>> idle_pipes_;
  RequestObserver* observer_ = nullptr;
  RouteServiceTargets route_service_targets_{nullptr};
  std::thread thread_;
  friend class ClientSession;
};

}  // namespace foundry::router
