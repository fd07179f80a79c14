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
#include "router/proxy/client_session.h"
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

Worker::Worker(int id, const Config& config, const TablePublisher& publisher,
               EventBackend backend)
    : id_(id),
      config_(config),
      publisher_(publisher),
      backend_(backend),
      rng_(std::random_device{}()) {
  rewrite_options_.force_forwarded_proto_https = config.force_forwarded_proto_https;
  rewrite_options_.sanitize_forwarded_proto = config.sanitize_forwarded_proto;
  rewrite_options_.keep_alive_100_continue_requests = config.keep_alive_100_continue_requests;
  rewrite_options_.hop_by_hop_headers_to_filter = config.hop_by_hop_headers_to_filter;
  rewrite_options_.enable_zipkin = config.tracing_enable_zipkin;
  rewrite_options_.enable_w3c = config.tracing_enable_w3c;
  rewrite_options_.w3c_tenant_id = config.tracing_w3c_tenant_id;

  // In Timeout's order.
  const int64_t durations[kTimeoutKinds] = {
      config.frontend_idle_timeout_ns, config.read_header_timeout_ns,
      config.endpoint_dial_timeout_ns, config.endpoint_timeout_ns, kPollIntervalNs};
  stop_fd_ = eventfd(0, EFD_CLOEXEC | (backend == EventBackend::Epoll ? EFD_NONBLOCK : 0));
  if (backend == EventBackend::IoUring) {
    uring_ = std::make_unique<UringLoop>();  // set up by listen(), which can report failure
    for (int64_t ns : durations) deadlines_.addDuration(ns);
    upstreams_ = std::make_unique<UpstreamPool>(nullptr, uring_.get(),
                                                config.max_idle_conns_per_host,
                                                config.max_idle_conns * 64,
                                                config.backend_idle_timeout_ns);
    return;
  }

  event_config* cfg = event_config_new();
  // Workers never share their base with another thread.
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  event_config_require_features(cfg, EV_FEATURE_ET | EV_FEATURE_EARLY_CLOSE);
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (base_ == nullptr) base_ = event_base_new();

  for (int i = 0; i < kTimeoutKinds; ++i) {
    timeval tv = toTimeval(durations[i]);
    common_timeouts_[i] = event_base_init_common_timeout(base_, &tv);
  }
  upstreams_ = std::make_unique<UpstreamPool>(base_, nullptr, config.max_idle_conns_per_host,
                                              config.max_idle_conns * 64,
                                              config.backend_idle_timeout_ns);
  stop_event_ = event_new(base_, stop_fd_, EV_READ | EV_PERSIST, &onStop, this);
  event_add(stop_event_, nullptr);
  sweep_timer_ = event_new(base_, -1, EV_PERSIST, &onSweep, this);
  timeval sweep = toTimeval(kSweepIntervalNs);
  event_add(sweep_timer_, &sweep);
}

Worker::~Worker() {
  stop();
  while (sessions_ != nullptr) sessions_->abort();
  if (listener_ != nullptr) evconnlistener_free(listener_);
  upstreams_.reset();
  // io_uring: the worker thread already closed everything (shutdownUring); a worker that never
  // ran has only its listener.
  if (uring_listen_fd_ >= 0) ::close(uring_listen_fd_);
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

bool Worker::listen(std::string* error) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, config_.ip.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(config_.port);
    len = sizeof *sin;
  } else if (inet_pton(AF_INET6, config_.ip.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(config_.port);
    len = sizeof *sin6;
  } else {
    *error = "invalid listen address '" + config_.ip + "'";
    return false;
  }
  if (uring_ != nullptr) return listenUring(reinterpret_cast<sockaddr*>(&ss), len, error);
  listener_ = evconnlistener_new_bind(
      base_, &onAccept, this,
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE |
          LEV_OPT_REUSEABLE_PORT,
      4096, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len));
  if (listener_ == nullptr) {
    *error = "cannot listen on " + config_.ip + ":" + std::to_string(config_.port) + ": " +
             strerror(errno);
    return false;
  }
  return true;
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
  // eventfd adds up what was written: 1 (stop) or 2 (drain), or 3 for both.
  if (value & 2) drainNow();
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
  if (listener_ != nullptr) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
  }
  if (uring_ != nullptr) closeUringListener();
  // Idle connections go now; the others close when their current request is done.
  ClientSession* s = sessions_;
  while (s != nullptr) {
    ClientSession* next = s->next_;
    s->closeIfIdle();
    s = next;
  }
}

void Worker::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  static_cast<Worker*>(arg)->addSession(fd, addr);
}

void Worker::addSession(int fd, const sockaddr* peer) {
  auto* session = new ClientSession(*this, fd, peer);
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
  // Keep the table reference fresh even when idle, so old generations are freed.
  publisher_.refresh(&table_generation_, &table_);
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
