// The worker's io_uring event loop: the listener, accepting, the stop/drain eventfd, and the
// loop turn (submit + wait + completions, then due timeouts, then the periodic sweep).

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log/log.h"
#include "router/common/clock.h"
#include "router/http2/h2_upstream.h"
#include "router/proxy/client_session.h"
#include "router/proxy/worker.h"
#include "router/proxy/worker_uring.h"

namespace foundry::router {
namespace {

// Accepts kept queued on the listener: each completion re-queues its own, so up to this many
// connections are taken per loop turn.
constexpr int kAcceptSlots = 16;
// How long shutdown waits for the kernel to give back the requests still in flight.
constexpr int64_t kShutdownWaitNs = 2 * kNanosPerSecond;

}  // namespace

bool Worker::listenUring(const sockaddr* addr, socklen_t len, std::string* error) {
  if (!uring_->init(error)) return false;
  // Blocking, unlike the connection sockets: nothing but io_uring's accept ever reads it.
  int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // Accepted sockets inherit TCP_NODELAY from the listener: no setsockopt per connection.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd, addr, len) != 0 || ::listen(fd, 4096) != 0) {
    *error = "cannot listen on " + config_.ip + ":" + std::to_string(config_.port) + ": " +
             strerror(errno);
    ::close(fd);
    return false;
  }
  uring_listen_fd_ = fd;
  for (int i = 0; i < kAcceptSlots; ++i) {
    accept_slots_.push_back(std::make_unique<AcceptSlot>(this));
  }
  wake_reader_ = std::make_unique<WakeReader>(this);
  return true;
}

void Worker::armAccept(AcceptSlot* slot) {
  if (uring_listen_fd_ < 0 || draining_ || stop_requested_) return;
  slot->arm(uring_.get(), uring_listen_fd_);
}

void Worker::closeUringListener() {
  if (uring_listen_fd_ < 0) return;
  // Cancel the queued accepts, then close (hard link: the close runs whatever the cancel found).
  io_uring_sqe* cancel = uring_->sqe();
  io_uring_prep_cancel_fd(cancel, uring_listen_fd_, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(cancel, 0);
  cancel->flags |= IOSQE_IO_HARDLINK;
  io_uring_sqe* close = uring_->sqe();
  io_uring_prep_close(close, uring_listen_fd_);
  io_uring_sqe_set_data64(close, 0);
  uring_listen_fd_ = -1;
}

void Worker::runUring() {
  std::string error;
  if (!uring_->enable(&error)) {
    log::error("worker", "worker-failed", {{"id", std::to_string(id_)}, {"error", error}});
    return;
  }
  loop_now_ns_ = monotonicNanos();
  next_sweep_ns_ = loop_now_ns_ + kSweepIntervalNs;
  for (auto& slot : accept_slots_) armAccept(slot.get());
  wake_reader_->arm(uring_.get(), stop_fd_);
  while (!stop_requested_) {
    const int64_t wait = deadlines_.nextIn(loop_now_ns_, next_sweep_ns_ - loop_now_ns_);
    uring_->runOnce(wait > 0 ? wait : 0, &loop_now_ns_);
    deadlines_.expire(loop_now_ns_);
    if (loop_now_ns_ >= next_sweep_ns_) {
      sweep();
      next_sweep_ns_ = loop_now_ns_ + kSweepIntervalNs;
    }
  }
  shutdownUring();
}

void Worker::shutdownUring() {
  // On the worker thread, the ring's only submitter: close every connection (their cancels and
  // closes are queued), then run the loop until the kernel has given every request back.
  abortConnections();
  h2_upstreams_->closeAll();
  upstreams_->closeAll();
  closeUringListener();
  const int64_t give_up = monotonicNanos() + kShutdownWaitNs;
  int64_t now = monotonicNanos();
  auto busy = [this] {
    if (uring_->liveSockets() > 0 || wake_reader_->armed()) return true;
    for (auto& slot : accept_slots_) {
      if (slot->armed()) return true;
    }
    return false;
  };
  // The eventfd read is still queued: wake it so its completion arrives.
  uint64_t one = 1;
  do {  // at least once, so the queued closes reach the kernel
    if (wake_reader_->armed()) {
      ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
      (void)ignored;
    }
    uring_->runOnce(busy() ? 10'000'000 : 0, &now);
  } while (busy() && now < give_up);
  if (busy()) {
    log::warn("worker", "uring-shutdown-incomplete",
              {{"sockets", std::to_string(uring_->liveSockets())}});
  }
}

}  // namespace foundry::router
