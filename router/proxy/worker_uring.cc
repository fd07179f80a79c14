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
#include "router/proxy/listen_socket.h"
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

void Worker::listenUring(Listener* listener, int fd) {
  listener->fd = fd;
  for (int i = 0; i < kAcceptSlots; ++i) {
    listener->slots.push_back(std::make_unique<AcceptSlot>(listener));
  }
  if (wake_reader_ == nullptr) wake_reader_ = std::make_unique<WakeReader>(this);
}

void Worker::armAccept(Listener* listener, AcceptSlot* slot) {
  if (listener->fd < 0 || draining_ || stop_requested_) return;
  slot->arm(uring_.get(), listener->fd);
}

void Worker::closeUringListener(Listener* listener) {
  if (listener->fd < 0) return;
  queueListenerClose(listener->fd);
  listener->fd = -1;
}

void Worker::queueListenerClose(int fd) {
  // Cancel the queued accepts, then close (hard link: the close runs whatever the cancel found).
  io_uring_sqe* cancel = uring_->sqe();
  io_uring_prep_cancel_fd(cancel, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(cancel, 0);
  cancel->flags |= IOSQE_IO_HARDLINK;
  io_uring_sqe* close = uring_->sqe();
  io_uring_prep_close(close, fd);
  io_uring_sqe_set_data64(close, 0);
}

void Worker::runUring() {
  std::string error;
  if (!uring_->enable(&error)) {
    log::error("worker", "worker-failed", {{"id", std::to_string(id_)}, {"error", error}});
    return;
  }
  loop_now_ns_ = monotonicNanos();
  next_sweep_ns_ = loop_now_ns_ + kSweepIntervalNs;
  for (auto& listener : listeners_) {
    for (auto& slot : listener->slots) armAccept(listener.get(), slot.get());
  }
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
  closeListeners();
  const int64_t give_up = monotonicNanos() + kShutdownWaitNs;
  int64_t now = monotonicNanos();
  auto busy = [this] {
    if (uring_->liveSockets() > 0 || wake_reader_->armed()) return true;
    for (auto& listener : listeners_) {
      for (auto& slot : listener->slots) {
        if (slot->armed()) return true;
      }
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
