#include "router/proxy/uring_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include "common/log/log.h"
#include "router/common/clock.h"

namespace foundry::router {
namespace {

constexpr unsigned kRingEntries = 4096;
constexpr unsigned kSubmitEvery = 32;

// Every operation the data plane issues.
constexpr int kRequiredOps[] = {IORING_OP_ACCEPT,  IORING_OP_RECV,         IORING_OP_SEND,
                                IORING_OP_SENDMSG, IORING_OP_CONNECT,      IORING_OP_CLOSE,
                                IORING_OP_READ,    IORING_OP_ASYNC_CANCEL};

const char* opName(int op) {
  switch (op) {
    case IORING_OP_ACCEPT: return "accept";
    case IORING_OP_RECV: return "recv";
    case IORING_OP_SEND: return "send";
    case IORING_OP_SENDMSG: return "sendmsg";
    case IORING_OP_CONNECT: return "connect";
    case IORING_OP_CLOSE: return "close";
    case IORING_OP_READ: return "read";
    case IORING_OP_ASYNC_CANCEL: return "async_cancel";
    default: return "?";
  }
}

// Creates `ring` with the cheapest flags this kernel accepts. It starts disabled: the thread
// that enables it (the worker's) becomes its single issuer.
int setupRing(io_uring* ring, unsigned entries) {
  io_uring_params params{};
  params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_R_DISABLED;
  int rc = io_uring_queue_init_params(entries, ring, &params);
  if (rc == -EINVAL) {
    // Before 6.1: no DEFER_TASKRUN / SINGLE_ISSUER.
    params = io_uring_params{};
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_R_DISABLED;
    rc = io_uring_queue_init_params(entries, ring, &params);
  }
  if (rc == 0 && !(params.features & IORING_FEAT_FAST_POLL)) {
    // Without fast poll every socket wait would park a kernel worker thread.
    io_uring_queue_exit(ring);
    return -EOPNOTSUPP;
  }
  if (rc == 0 && !(params.features & IORING_FEAT_EXT_ARG)) {
    io_uring_queue_exit(ring);  // waiting with a timeout would cost an extra request per turn
    return -EOPNOTSUPP;
  }
  return rc;
}

bool checkOps(io_uring* ring, std::string* why) {
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) {
    *why = "io_uring probe failed";
    return false;
  }
  bool ok = true;
  for (int op : kRequiredOps) {
    if (!io_uring_opcode_supported(probe, op)) {
      *why = std::string("io_uring lacks ") + opName(op);
      ok = false;
      break;
    }
  }
  io_uring_free_probe(probe);
  return ok;
}

}  // namespace

bool UringLoop::probe(std::string* why) {
  io_uring ring{};
  int rc = setupRing(&ring, 8);
  if (rc != 0) {
    *why = std::string("io_uring_setup: ") + strerror(-rc);
    return false;
  }
  bool ok = checkOps(&ring, why);
  if (ok) {
    // Provided buffer rings arrived in 5.19, together with cancel-by-fd.
    io_uring_buf_reg reg{};
    void* mem = nullptr;
    if (posix_memalign(&mem, 4096, 4096) != 0) {
      *why = "out of memory";
      ok = false;
    } else {
      reg.ring_addr = reinterpret_cast<uint64_t>(mem);
      reg.ring_entries = 8;
      reg.bgid = 0;
      rc = io_uring_register_buf_ring(&ring, &reg, 0);
      if (rc != 0) {
        *why = std::string("io_uring buffer rings: ") + strerror(-rc);
        ok = false;
      } else {
        io_uring_unregister_buf_ring(&ring, 0);
      }
      free(mem);
    }
  }
  io_uring_queue_exit(&ring);
  return ok;
}

bool UringLoop::init(std::string* error) {
  int rc = setupRing(&ring_, kRingEntries);
  if (rc != 0) {
    *error = std::string("io_uring_setup: ") + strerror(-rc);
    return false;
  }
  ring_ready_ = true;
  if (!checkOps(&ring_, error)) return false;

  const size_t ring_bytes = kBufferCount * sizeof(io_uring_buf);
  void* ring_mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
  void* data = mmap(nullptr, size_t{kBufferCount} * kBufferSize, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring_mem == MAP_FAILED || data == MAP_FAILED) {
    *error = std::string("mmap: ") + strerror(errno);
    if (ring_mem != MAP_FAILED) munmap(ring_mem, ring_bytes);
    if (data != MAP_FAILED) munmap(data, size_t{kBufferCount} * kBufferSize);
    return false;
  }
  buf_ring_ = static_cast<io_uring_buf_ring*>(ring_mem);
  buffers_ = static_cast<char*>(data);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
  reg.ring_entries = kBufferCount;
  reg.bgid = kBufferGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc != 0) {
    *error = std::string("io_uring_register_buf_ring: ") + strerror(-rc);
    return false;
  }
  io_uring_buf_ring_init(buf_ring_);
  const int mask = io_uring_buf_ring_mask(kBufferCount);
  for (unsigned bid = 0; bid < kBufferCount; ++bid) {
    io_uring_buf_ring_add(buf_ring_, buffers_ + size_t{bid} * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(bid), mask, static_cast<int>(bid));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(kBufferCount));
  return true;
}

UringLoop::~UringLoop() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (buf_ring_ != nullptr) munmap(buf_ring_, kBufferCount * sizeof(io_uring_buf));
  if (buffers_ != nullptr) munmap(buffers_, size_t{kBufferCount} * kBufferSize);
}

io_uring_sqe* UringLoop::sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

bool UringLoop::enable(std::string* error) {
  // liburing 2.3 declares io_uring_enable_rings() but does not export it: register directly.
  long rc = syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr,
                    0);
  if (rc != 0) {
    *error = std::string("io_uring enable: ") + strerror(errno);
    return false;
  }
  return true;
}

void UringLoop::recycle(unsigned bid) {
  io_uring_buf_ring_add(buf_ring_, const_cast<char*>(buffer(bid)), kBufferSize,
                        static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBufferCount),
                        0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

unsigned UringLoop::runOnce(int64_t timeout_ns, int64_t* now_ns) {
  io_uring_cqe* cqe = nullptr;
  if (!deferred_.empty()) timeout_ns = 0;  // someone is waiting to run: don't sleep
  __kernel_timespec ts;
  ts.tv_sec = timeout_ns / 1'000'000'000;
  ts.tv_nsec = timeout_ns % 1'000'000'000;
  int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, timeout_ns > 0 ? 1 : 0, &ts, nullptr);
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY &&
      !enter_error_logged_) {
    // Not expected once the ring works; said once instead of once per turn.
    log::error("worker", "io-uring-enter-failed", {{"error", strerror(-rc)}});
    enter_error_logged_ = true;
  }
  *now_ns = monotonicNanos();
  unsigned handled = 0;
  unsigned head;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++handled;
    const uint64_t data = cqe->user_data;
    auto* handler = reinterpret_cast<UringHandler*>(data & ~uint64_t{7});
    const unsigned tag = static_cast<unsigned>(data & 7);
    const int res = cqe->res;
    const unsigned flags = cqe->flags;
    // Mark it seen before the handler runs: handlers may queue requests (and so submit) but
    // never reap.
    io_uring_cqe_seen(&ring_, cqe);
    if (handler != nullptr) handler->onCompletion(tag, res, flags);
    // A turn can bring hundreds of completions: hand the kernel what the first ones queued
    // (their responses) instead of holding it until the whole batch was handled.
    if (handled % kSubmitEvery == 0) io_uring_submit(&ring_);
  }
  if (!deferred_.empty()) {
    running_.swap(deferred_);
    for (UringHandler* handler : running_) handler->onCompletion(kTagDeferred, 0, 0);
    running_.clear();
  }
  return handled;
}

}  // namespace foundry::router
