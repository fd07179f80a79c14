#pragma once
// One TCP socket of the data plane (a client's or a backend's), the same to the proxy logic
// whichever event backend the worker runs:
//
//  - epoll (libevent): the socket is non-blocking and registered edge-triggered once; an event
//    only records that it became readable / writable, and read() / send() are the system calls.
//  - io_uring: read() and send() never make a system call. read() hands over what a completed
//    receive brought (copied out of a provided buffer) or queues a receive; send() returns what
//    a completed send wrote or queues one (the bytes must then stay where they are until it
//    completes: the session never touches pending output). Everything queued goes to the
//    kernel with the loop's next io_uring_enter.
//
// The flags keep their meaning for the caller in both: `readable` false means "don't call
// read(), an event will come", `writable` false the same for send().
//
// A third kind has no socket: a channel opened on a MemoryLink (memory_link.h) exchanges bytes
// with another part of the router on the same worker (an HTTP/2 stream); it is never quiet(),
// so callers never splice on it, and its fd() is -1.

#include <event2/event.h>
#include <event2/event_struct.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>

#include "router/proxy/io_buffer.h"
#include "router/proxy/tls_stream.h"

namespace foundry::router {

class MemoryLink;
class UringLoop;
struct UringSocket;

class ChannelOwner {
 public:
  // Something happened on the channel (or activateLater() came due).
  virtual void onChannelEvent() = 0;

 protected:
  ~ChannelOwner() = default;
};

class Channel {
 public:
  enum class Read { Progress, WouldBlock, Eof, Error };

  Channel() = default;
  ~Channel() { close(); }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Takes ownership of `fd`, a non-blocking socket (io_uring still waits for readiness on
  // it; direct system calls such as splice() then never block the loop).
  void openEpoll(event_base* base, int fd, ChannelOwner* owner);
  void openUring(UringLoop* loop, int fd, ChannelOwner* owner);
  // Takes one of the link's two references (Channel::close() gives it back).
  void openLink(MemoryLink* link, ChannelOwner* owner);
  bool isLink() const { return link_ != nullptr; }
  int fd() const { return fd_; }

  // Hands the open socket (with its pending state and readiness flags) to `to`, a closed
  // channel, whose owner becomes `owner`: a connection that turned out to speak HTTP/2 moves
  // from its ClientSession to an HTTP/2 connection object. This channel is left closed.
  void transferTo(Channel& to, ChannelOwner* owner);

  // Starts connecting to `addr` (the socket was just created; the address is copied). False
  // with errno on an immediate failure.
  bool connect(const sockaddr* addr, socklen_t len);
  // After a connect: -1 while it is in progress, else its result (0, or an errno value). With
  // TLS the handshake is part of connecting: EPROTO when it failed (tls()->failure() says why).
  int connectResult();

  // TLS from now on (tls_stream.h): the channel takes `ssl`, configured by the caller. A server
  // channel's owner hears nothing until the handshake is over; a client's connectResult() stays
  // -1 until then. Splicing is impossible on a TLS channel. `already_read`: bytes read from the
  // socket before TLS began (after a PROXY header), taken as the handshake's first ciphertext.
  void startTls(SSL* ssl, bool server, IoBuffer* already_read = nullptr);
  TlsStream* tls() const { return tls_.get(); }

  // Appends what the socket has to `buf` (plaintext under TLS). Error leaves errno set.
  Read read(IoBuffer& buf);
  // Writes iov[0..n). Returns the bytes written, 0 when it has to wait (full socket or a send in
  // flight), -1 on error with errno set.
  ssize_t send(const iovec* iov, int n);

  // For a pooled idle connection: false when the peer closed it or sent something (it must be
  // dropped); otherwise makes sure that will be noticed.
  bool idleCheck();
  // Whether input (or EOF) arrived that nobody has read.
  bool hasInput() const;

  // For callers that use the socket directly (splice): after EAGAIN they clear `readable` /
  // `writable` and call these, and the owner hears when the socket is ready again. epoll:
  // nothing to do, the edge comes anyway; io_uring: a one-shot poll is queued.
  void waitReadable();
  void waitWritable();
  // No receive or send of ours is queued or holds unread data: the socket may be read or
  // written directly without reordering bytes.
  bool quiet() const;

  // No more bytes from us (the peer reads EOF after what was sent).
  void shutdownWrite();

  // Calls the owner's onChannelEvent() again soon, from the loop (a session that yielded after
  // many steps while data was still waiting).
  void activateLater();

  // Closes the socket. Under io_uring, requests still in flight are cancelled and the socket's
  // state is freed when the last one completes.
  void close();

  bool readable = false;
  bool writable = false;
  bool peer_closed = false;  // epoll: EV_CLOSED seen, read until recv() returns 0

 private:
  friend struct UringSocket;
  friend class TlsStream;
  friend class MemoryLink;
  static void onEvent(evutil_socket_t fd, short what, void* arg);
  void notify();
  // The socket itself, under TLS as well (the TLS layer moves its ciphertext with these).
  Read rawRead(IoBuffer& buf);
  // What already arrived, never waiting and never queueing a receive (for a failed socket).
  Read rawReadNow(IoBuffer& buf);
  ssize_t rawSend(const iovec* iov, int n);
  int rawConnectResult();

  int fd_ = -1;
  ChannelOwner* owner_ = nullptr;
  bool connecting_ = false;
  event ev_{};  // epoll
  bool ev_added_ = false;
  UringSocket* uring_ = nullptr;  // io_uring
  std::unique_ptr<TlsStream> tls_;
  MemoryLink* link_ = nullptr;    // memory
};

}  // namespace foundry::router
