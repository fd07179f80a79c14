#include "router/proxy/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "router/common/clock.h"
#include "common/log/log.h"
#include "router/http2/h2_server_connection.h"
#include "router/http2/h2_upstream.h"
#include "router/proxy/client_session.h"
#include "router/proxy/listen_socket.h"
#include "router/proxy/worker_uring.h"

namespace foundry::router {
namespace {

timeval toTimeval(int64_t ns) {
  timeval tv;
  tv.tv_sec = ns / kNanosPerSecond;
  tv.tv_usec = (ns % kNanosPerSecond) / 1000;
  return tv;
}

}  // namespace

const char* eventBackendName(EventBackend backend) {
  return backend == EventBackend::IoUring ? "io_uring" : "epoll";
}

bool chooseEventBackend(const std::string& setting, EventBackend* backend, std::string* note) {
  note->clear();
  if (setting == "epoll") {
    *backend = EventBackend::Epoll;
    return true;
  }
  std::string why;
  if (UringLoop::probe(&why)) {
    *backend = EventBackend::IoUring;
    return true;
  }
  if (setting == "io_uring") {
    *note = "event_backend io_uring is not available here: " + why;
    return false;
  }
  *backend = EventBackend::Epoll;
  *note = why;
  return true;
}

Worker::Worker(int id, const LiveConfigPublisher& live, const TablePublisher& publisher,
               EventBackend backend)
    : id_(id),
      live_publisher_(live),
      publisher_(publisher),
      backend_(backend),
      rng_(std::random_device{}()) {
  live_publisher_.refresh(&live_generation_, &live_shared_);
  const Config& config = live_shared_->config;
  stop_fd_ = eventfd(0, EFD_CLOEXEC | (backend == EventBackend::Epoll ? EFD_NONBLOCK : 0));
  if (backend == EventBackend::IoUring) {
    uring_ = std::make_unique<UringLoop>();  // set up by listen(), which can report failure
    local_tasks_ = std::make_unique<LocalTasks>(nullptr, uring_.get());
    upstreams_ = std::make_unique<UpstreamPool>(nullptr, uring_.get(),
                                                config.max_idle_conns_per_host,
                                                config.max_idle_conns * 64,
                                                config.backend_idle_timeout_ns);
  } else {
    event_config* cfg = event_config_new();
    // Workers never share their base with another thread.
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    event_config_require_features(cfg, EV_FEATURE_ET | EV_FEATURE_EARLY_CLOSE);
    base_ = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base_ == nullptr) base_ = event_base_new();
    local_tasks_ = std::make_unique<LocalTasks>(base_, nullptr);
    upstreams_ = std::make_unique<UpstreamPool>(base_, nullptr, config.max_idle_conns_per_host,
                                                config.max_idle_conns * 64,
                                                config.backend_idle_timeout_ns);
    stop_event_ = event_new(base_, stop_fd_, EV_READ | EV_PERSIST, &onStop, this);
    event_add(stop_event_, nullptr);
    sweep_timer_ = event_new(base_, -1, EV_PERSIST, &onSweep, this);
    timeval sweep = toTimeval(kSweepIntervalNs);
    event_add(sweep_timer_, &sweep);
  }
  h2_upstreams_ = std::make_unique<H2UpstreamPool>(*this);
  upstreams_->setHttp2(h2_upstreams_.get());
  adoptLiveConfig();
}

void Worker::adoptLiveConfig() {
  // Every session copies live_ (per connection, and per request after a reload): an alias with
  // a control block of this worker's own keeps those reference counts off a cache line that
  // the other workers write too.
  auto holder = std::make_shared<LiveConfigConstSharedPtr>(live_shared_);
  live_ = LiveConfigConstSharedPtr(holder, holder->get());
  // Connections made from now on use the snapshot's TLS (pooled ones keep theirs).
  upstreams_->setTls(live_->backend_tls, live_->route_service_tls);

  // The timeout durations, in Timeout's order. A changed one gets its own epoll common timeout
  // / io_uring deadline list; timers armed with the old duration keep it.
  const Config& c = live_->config;
  const int64_t durations[kTimeoutCount] = {c.frontend_idle_timeout_ns, c.read_header_timeout_ns,
                                            c.endpoint_dial_timeout_ns, c.endpoint_timeout_ns,
                                            kProxyHeaderTimeoutNs, kPollIntervalNs,
                                            c.tls_handshake_timeout_ns > 0
                                                ? c.tls_handshake_timeout_ns
                                                : c.read_header_timeout_ns};
  for (int i = 0; i < kTimeoutCount; ++i) {
    if (timeouts_set_ && durations[i] == timeout_ns_[i]) continue;
    if (uring_ != nullptr) {
      const size_t list = deadlines_.acquire(durations[i]);
      if (timeouts_set_) deadlines_.release(deadline_lists_[i]);
      deadline_lists_[i] = list;
    } else {
      plain_timeouts_[i] = toTimeval(durations[i]);
      // libevent keeps up to 256 distinct common durations per loop; past that (hundreds of
      // reloads changing timeouts) a timeout is an ordinary heap one.
      const timeval* common = event_base_init_common_timeout(base_, &plain_timeouts_[i]);
      common_timeouts_[i] = common != nullptr ? common : &plain_timeouts_[i];
    }
    timeout_ns_[i] = durations[i];
  }
  timeouts_set_ = true;
}

Worker::~Worker() {
  stop();
  abortConnections();
  h2_upstreams_.reset();
  // io_uring: the worker thread already closed everything (shutdownUring); a worker that never
  // ran has only its listeners.
  listeners_.clear();
  for (int fd : pending_listen_fds_) {
    if (fd >= 0) ::close(fd);
  }
  upstreams_.reset();
  local_tasks_.reset();  // its libevent event goes before the base
  uring_.reset();
  if (sweep_timer_ != nullptr) event_free(sweep_timer_);
  if (stop_event_ != nullptr) event_free(stop_event_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
  for (auto [r, w] : idle_pipes_) {
    ::close(r);
    ::close(w);
  }
  if (base_ != nullptr) event_base_free(base_);
}

Worker::Listener::~Listener() {
  if (ev != nullptr) evconnlistener_free(ev);
  if (fd >= 0) ::close(fd);
}

bool Worker::listen(std::string* error) {
  if (uring_ != nullptr && !uring_->init(error)) return false;
  const Config& c = config();
  if (!c.disable_http && !listenOn(c.port, false, error)) return false;
  if (c.enable_ssl) {
    if (live_->server_tls == nullptr) {
      *error = "enable_ssl is set but no TLS configuration was built";
      return false;
    }
    if (!listenOn(c.ssl_port, true, error)) return false;
  }
  return true;
}

bool Worker::listenOn(uint16_t port, bool tls, std::string* error) {
  const int fd = openReplacementListener(config().ip, port, error);
  if (fd < 0) return false;
  auto listener = std::make_unique<Listener>();
  listener->worker = this;
  listener->tls = tls;
  listener->port = port;
  if (!attach(listener.get(), fd, error)) return false;
  listeners_.push_back(std::move(listener));
  return true;
}

bool Worker::attach(Listener* listener, int fd, std::string* error) {
  if (uring_ != nullptr) {
    listenUring(listener, fd);
    return true;
  }
  listener->ev = evconnlistener_new(base_, &onAccept, listener, LEV_OPT_CLOSE_ON_FREE, 0, fd);
  if (listener->ev == nullptr) {
    *error = "cannot accept on " + config().ip + ":" + std::to_string(listener->port);
    ::close(fd);
    return false;
  }
  return true;
}

void Worker::closeListeners() {
  for (auto& listener : listeners_) {
    if (listener->ev != nullptr) {
      evconnlistener_free(listener->ev);
      listener->ev = nullptr;
    }
    if (uring_ != nullptr) closeUringListener(listener.get());
  }
}

void Worker::start() {
  thread_ = std::thread([this] {
    log::debug("worker", "worker-started",
               {{"id", std::to_string(id_)}, {"event_backend", eventBackendName(backend_)}});
    if (uring_ != nullptr) {
      runUring();
    } else {
      event_base_dispatch(base_);
    }
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  // The base is lock-free (NOLOCK), so other threads may not touch it: they signal the
  // worker's eventfd and the worker breaks its own loop.
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void Worker::beginDrain() {
  uint64_t two = 2;
  ssize_t ignored = ::write(stop_fd_, &two, sizeof two);
  (void)ignored;
}

void Worker::onStop(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  uint64_t value = 0;
  ssize_t ignored = ::read(fd, &value, sizeof value);
  (void)ignored;
  self->onWake(value);
}

void Worker::onWake(uint64_t value) {
  // eventfd adds up what was written: 1 (stop), 2 (drain), 4 per listener handed over.
  if (value & 2) drainNow();
  if (value & ~uint64_t{3}) adoptPendingListener();
  if (value & 1) {
    if (uring_ != nullptr) {
      stop_requested_ = true;
    } else {
      event_base_loopbreak(base_);
    }
  }
}

void Worker::drainNow() {
  if (draining_) return;
  draining_ = true;
  closeListeners();
  // Idle connections go now; the others close when their current request is done.
  ClientSession* s = sessions_;
  while (s != nullptr) {
    ClientSession* next = s->next_;
    s->closeIfIdle();
    s = next;
  }
  // HTTP/2: GOAWAY; each connection closes once its streams are done.
  H2ServerConnection* h = h2_connections_;
  while (h != nullptr) {
    H2ServerConnection* next = h->next_;
    h->beginDrain();
    h = next;
  }
}

void Worker::abortConnections() {
  while (h2_connections_ != nullptr) h2_connections_->abort();
  while (sessions_ != nullptr) sessions_->abort();
}

void Worker::addHttp2Connection(H2ServerConnection* connection) {
  connection->next_ = h2_connections_;
  if (h2_connections_ != nullptr) h2_connections_->prev_ = connection;
  h2_connections_ = connection;
}

void Worker::http2ConnectionClosed(H2ServerConnection* connection) {
  if (connection->prev_ != nullptr) {
    connection->prev_->next_ = connection->next_;
  } else if (h2_connections_ == connection) {
    h2_connections_ = connection->next_;
  }
  if (connection->next_ != nullptr) connection->next_->prev_ = connection->prev_;
  connection->prev_ = connection->next_ = nullptr;
}

void Worker::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  auto* listener = static_cast<Listener*>(arg);
  listener->worker->addSession(fd, addr, listener->tls);
}

void Worker::addSession(int fd, const sockaddr* peer, bool tls) {
  auto* session = new ClientSession(*this, fd, peer, tls);
  session->next_ = sessions_;
  if (sessions_ != nullptr) sessions_->prev_ = session;
  sessions_ = session;
  // io_uring reports nothing until a receive is queued: start reading the first head now.
  if (uring_ != nullptr) session->onChannelEvent();
}

void Worker::sessionClosed(ClientSession* session) {
  if (session->prev_ != nullptr) {
    session->prev_->next_ = session->next_;
  } else if (sessions_ == session) {
    sessions_ = session->next_;
  }
  if (session->next_ != nullptr) session->next_->prev_ = session->prev_;
  session->prev_ = session->next_ = nullptr;
}

void Worker::onSweep(evutil_socket_t, short, void* arg) { static_cast<Worker*>(arg)->sweep(); }

void Worker::sweep() {
  upstreams_->sweep(monotonicNanos());
  h2_upstreams_->sweep(monotonicNanos());
  // Keep the table and settings fresh even when idle, so old generations are freed.
  publisher_.refresh(&table_generation_, &table_);
  liveConfig();
}

bool Worker::takePipe(int fds[2]) {
  if (!idle_pipes_.empty()) {
    fds[0] = idle_pipes_.back().first;
    fds[1] = idle_pipes_.back().second;
    idle_pipes_.pop_back();
    return true;
  }
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  // Large enough for a whole 64 KiB+ body per splice round trip; fails harmlessly if the
  // system limit is lower.
  fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(kPipeCapacity));
  return true;
}

void Worker::returnPipe(int fds[2], bool reusable) {
  constexpr size_t kMaxIdlePipes = 64;
  if (reusable && idle_pipes_.size() < kMaxIdlePipes) {
    idle_pipes_.emplace_back(fds[0], fds[1]);
  } else {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  fds[0] = fds[1] = -1;
}

void Worker::newRequestId(char out[36]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  // Version 4, variant 10xx.
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  int o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[bytes[i] >> 4];
    out[o++] = kHex[bytes[i] & 0xF];
  }
}

}  // namespace foundry::router
