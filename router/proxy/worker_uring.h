#pragma once
// The io_uring worker's two standing requests: the queued accepts on the listener and the
// queued read of the stop/drain eventfd. Included by worker.cc (for ~Worker) and
// worker_uring.cc.

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log/log.h"
#include "router/proxy/worker.h"

namespace foundry::router {

// One queued accept and the address it fills.
class Worker::AcceptSlot final : public UringHandler {
 public:
  explicit AcceptSlot(Listener* listener) : listener_(listener), worker_(listener->worker) {}

  void arm(UringLoop* loop, int listen_fd) {
    addr_len_ = sizeof addr_;
    io_uring_sqe* sqe = loop->sqe();
    io_uring_prep_accept(sqe, listen_fd, reinterpret_cast<sockaddr*>(&addr_), &addr_len_,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(sqe, UringLoop::userData(this, kTagAccept));
    armed_ = true;
  }
  bool armed() const { return armed_; }

  void onCompletion(unsigned, int res, unsigned) override {
    armed_ = false;
    if (res >= 0 && worker_->stop_requested_) {
      ::close(res);  // shutting down: nobody would serve it
    } else if (res >= 0) {
      worker_->addSession(res, reinterpret_cast<const sockaddr*>(&addr_), listener_->tls);
    } else if (res != -ECANCELED && res != -EBADF && res != -EINVAL && res != -EAGAIN) {
      // (EAGAIN: a listener being moved was made non-blocking to take its queue.)
      // EMFILE and friends: the connection waits in the backlog; try again next turn.
      log::warn("worker", "accept-failed", {{"error", strerror(-res)}});
    }
    worker_->armAccept(listener_, this);
  }

 private:
  Listener* listener_;
  Worker* worker_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  bool armed_ = false;
};

// The queued read of the stop/drain eventfd.
class Worker::WakeReader final : public UringHandler {
 public:
  explicit WakeReader(Worker* worker) : worker_(worker) {}

  void arm(UringLoop* loop, int fd) {
    io_uring_sqe* sqe = loop->sqe();
    io_uring_prep_read(sqe, fd, &value_, sizeof value_, 0);
    io_uring_sqe_set_data64(sqe, UringLoop::userData(this, kTagWake));
    armed_ = true;
  }
  bool armed() const { return armed_; }

  void onCompletion(unsigned, int res, unsigned) override {
    armed_ = false;
    if (res == sizeof value_) worker_->onWake(value_);
    if (!worker_->stop_requested_ && res != -ECANCELED) arm(worker_->uring_.get(), worker_->stop_fd_);
  }

 private:
  Worker* worker_;
  uint64_t value_ = 0;
  bool armed_ = false;
};

}  // namespace foundry::router
