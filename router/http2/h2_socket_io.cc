#include "router/http2/h2_socket_io.h"

#include <sys/uio.h>

#include <utility>

namespace foundry::router {

int H2SocketIo::feed(nghttp2_session* session) {
  if (in_.empty()) return 0;
  const ssize_t n =
      nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(in_.data()), in_.size());
  if (n < 0) {
    in_.clear();
    return static_cast<int>(n);
  }
  in_.consume(static_cast<size_t>(n));
  return 0;
}

bool H2SocketIo::flush(bool* failed) {
  bool progress = false;
  for (;;) {
    if (sending_.empty()) {
      if (out_.empty()) break;
      std::swap(sending_, out_);
    }
    if (!socket_.writable) break;
    iovec iov{const_cast<char*>(sending_.data()), sending_.size()};
    const ssize_t w = socket_.send(&iov, 1);
    if (w < 0) {
      *failed = true;
      return true;
    }
    if (w == 0) break;  // a full socket, or (io_uring) queued: the completion wakes the owner
    sending_.consume(static_cast<size_t>(w));
    progress = true;
  }
  return progress;
}

Channel::Read H2SocketIo::read() {
  if (!socket_.readable || !in_.empty() || out_.size() + sending_.size() >= kHighWater) {
    return Channel::Read::WouldBlock;
  }
  return socket_.read(in_);
}

}  // namespace foundry::router
