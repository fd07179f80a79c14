#pragma once
// A worker's io_uring: one ring per worker thread, a ring of provided receive buffers, and the
// bookkeeping that lets requests outlive the objects that issued them.
//
// Why: under load most of the router's CPU is the kernel's, and with epoll every proxied
// request costs 4-5 system calls (epoll_wait's share, two recv, two sendmsg). Here every
// socket operation is a queued request and one io_uring_enter per loop turn submits all of
// them and reaps every completion, however many connections were served in that turn.
//
// Requests carry `user_data` = handler pointer | tag (handlers are 8-byte aligned, so the low
// three bits are free). A handler whose owner is gone must stay alive until its last
// completion arrives: UringSocket (channel.h) counts its requests in flight for that.
//
// Worker thread only. The ring is created with SINGLE_ISSUER | DEFER_TASKRUN when the kernel
// has them (completions are then only run when this thread enters the kernel, no IPIs).

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace foundry::router {

class UringHandler {
 public:
  virtual void onCompletion(unsigned tag, int res, unsigned flags) = 0;

 protected:
  ~UringHandler() = default;
};

class UringLoop {
 public:
  // Provided receive buffers: their size equals IoBuffer's default capacity, so a received
  // block fits a fresh connection buffer.
  static constexpr unsigned kBufferSize = 16 * 1024;
  static constexpr unsigned kBufferCount = 512;  // a power of two; 8 MiB per worker (touched lazily)
  static constexpr unsigned kBufferGroup = 0;

  UringLoop() = default;
  ~UringLoop();
  UringLoop(const UringLoop&) = delete;
  UringLoop& operator=(const UringLoop&) = delete;

  // Creates the ring and registers the buffer ring. False with *error when io_uring is
  // unavailable here (old kernel, kernel.io_uring_disabled, a seccomp profile) or lacks a
  // feature we rely on.
  bool init(std::string* error);
  // Whether this process may use io_uring with the features above (creates and drops a small
  // ring). *why says what failed.
  static bool probe(std::string* why);
  // Called on the thread that will run the loop, which becomes the ring's only submitter.
  bool enable(std::string* error);

  // A submission entry to fill; submits the queue first when it is full. Never null.
  io_uring_sqe* sqe();
  static uint64_t userData(UringHandler* handler, unsigned tag) {
    return reinterpret_cast<uint64_t>(handler) | tag;
  }

  // Submits what is queued and waits up to `timeout_ns` for one completion (0: don't wait),
  // sets *now_ns to the monotonic clock, then hands every completion to its handler and runs
  // what was deferred. Returns the number of completions handled.
  unsigned runOnce(int64_t timeout_ns, int64_t* now_ns);

  // Provided buffers: the data of buffer `bid`, and giving it back to the kernel.
  const char* buffer(unsigned bid) const { return buffers_ + size_t{bid} * kBufferSize; }
  void recycle(unsigned bid);

  // Submits what is queued now (rarely needed: the next runOnce() does it).
  void submitNow() { io_uring_submit(&ring_); }

  // UringSockets still alive (their requests not all completed): the worker runs the loop
  // until this is 0 before it tears the ring down.
  int liveSockets() const { return live_sockets_; }
  void socketCreated() { ++live_sockets_; }
  void socketFreed() { --live_sockets_; }

  // Handlers to call back at the end of this turn (a session that yielded after many steps).
  void defer(UringHandler* handler) { deferred_.push_back(handler); }

 private:
  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  char* buffers_ = nullptr;
  std::vector<UringHandler*> deferred_;
  std::vector<UringHandler*> running_;
  int live_sockets_ = 0;
  bool enter_error_logged_ = false;
};

// Completion tags (the low three bits of user_data). A tag means something only to its
// handler's type; kTagDeferred is the loop's own.
enum UringTag : unsigned {
  kTagRecv = 0,
  kTagSend = 1,
  kTagConnect = 2,
  kTagClose = 3,  // cancel and close requests: only counted, never acted on
  kTagPollIn = 4,
  kTagPollOut = 5,
  kTagAccept = 6,  // the worker's accept slots (and the wake reader, which has its own type)
  kTagWake = 6,
  kTagDeferred = 7,  // not a request: UringLoop::defer()
};

}  // namespace foundry::router
