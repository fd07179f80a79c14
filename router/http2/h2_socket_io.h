#pragma once
// Bytes between an nghttp2 session and a socket, for both ends of the router's HTTP/2 (client
// connections, h2_server_connection.h; backend connections, h2_upstream.h), on either event
// backend.
//
// Output is bounded: frames are taken from nghttp2 only while less than kHighWater bytes wait
// for the socket, and the owner reads the socket only then (canRead()), so a peer that does not
// read holds a fixed amount of memory. Two buffers, because under io_uring a queued send's
// bytes must not move until it completes: `sending_` is what the socket has, `out_` collects
// behind it, and they swap when the socket took everything. Worker thread only.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstring>

#include "router/proxy/channel.h"
#include "router/proxy/io_buffer.h"

namespace foundry::router {

class H2SocketIo {
 public:
  static constexpr size_t kHighWater = 64 * 1024;

  Channel& socket() { return socket_; }
  IoBuffer& input() { return in_; }

  // Hands the buffered input to nghttp2. Returns nghttp2's error (<0) or 0; on an error the
  // input is dropped.
  int feed(nghttp2_session* session);
  // Takes frames from nghttp2 up to the high-water mark; `after_each` runs after every chunk
  // (sending may have made room for more). <0: nghttp2's error.
  template <typename AfterEach>
  int fill(nghttp2_session* session, AfterEach&& after_each);
  // Writes what is buffered. True when bytes went out; *failed on a socket error.
  bool flush(bool* failed);
  // Reads from the socket when it may (readable, input consumed, output below the mark).
  // Progress / WouldBlock / Eof / Error as Channel::read; WouldBlock also when it may not.
  Channel::Read read();

  bool outputEmpty() const { return out_.empty() && sending_.empty(); }

 private:
  Channel socket_;
  IoBuffer in_;
  IoBuffer out_;
  IoBuffer sending_;
};

template <typename AfterEach>
int H2SocketIo::fill(nghttp2_session* session, AfterEach&& after_each) {
  while (out_.size() < kHighWater && nghttp2_session_want_write(session)) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n < 0) return static_cast<int>(n);
    if (n == 0) break;
    std::memcpy(out_.writable(static_cast<size_t>(n)), data, static_cast<size_t>(n));
    out_.commit(static_cast<size_t>(n));
    after_each();
  }
  return 0;
}

}  // namespace foundry::router
