#include "router/proxy/channel.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "router/proxy/memory_link.h"
#include "router/proxy/uring_loop.h"

namespace foundry::router {

// A socket's io_uring state. It outlives its Channel while requests are in flight: the kernel
// still owns them, and their completions must find something to land on.
struct UringSocket final : UringHandler {
  UringLoop* loop = nullptr;
  Channel* channel = nullptr;  // null once the channel closed
  int fd = -1;
  int refs = 0;  // requests in flight, plus a pending defer()

  bool rx_inflight = false;
  bool rx_ready = false;  // a receive completed and nobody took its result yet
  int rx_res = 0;
  unsigned rx_flags = 0;

  bool tx_inflight = false;
  bool tx_ready = false;
  int tx_res = 0;
  msghdr msg{};
  iovec iov[2]{};

  bool poll_in_inflight = false;
  bool poll_out_inflight = false;

  bool connect_inflight = false;
  int connect_res = -1;  // -1 pending, else 0 or an errno value
  sockaddr_storage peer{};

  explicit UringSocket(UringLoop* owner_loop) : loop(owner_loop) { loop->socketCreated(); }
  ~UringSocket() { loop->socketFreed(); }

  void armRecv() {
    io_uring_sqe* sqe = loop->sqe();
    io_uring_prep_recv(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = UringLoop::kBufferGroup;
    io_uring_sqe_set_data64(sqe, UringLoop::userData(this, kTagRecv));
    rx_inflight = true;
    ++refs;
  }

  void dropHeldBuffer() {
    if (rx_ready && (rx_flags & IORING_CQE_F_BUFFER)) {
      loop->recycle(rx_flags >> IORING_CQE_BUFFER_SHIFT);
    }
    rx_ready = false;
  }

  void onCompletion(unsigned tag, int res, unsigned flags) override {
    --refs;
    switch (tag) {
      case kTagRecv:
        rx_inflight = false;
        rx_ready = true;
        rx_res = res;
        rx_flags = flags;
        if (channel == nullptr) {
          dropHeldBuffer();
        } else {
          channel->readable = true;
          channel->notify();
        }
        break;
      case kTagSend:
        tx_inflight = false;
        tx_ready = true;
        tx_res = res;
        if (channel != nullptr) {
          channel->writable = true;
          channel->notify();
        }
        break;
      case kTagConnect:
        connect_inflight = false;
        connect_res = res < 0 ? -res : 0;
        if (channel != nullptr) {
          channel->writable = true;
          channel->notify();
        }
        break;
      case kTagPollIn:
        poll_in_inflight = false;
        if (channel != nullptr) {
          channel->readable = true;  // ready, or an error / hang-up the next call will see
          channel->notify();
        }
        break;
      case kTagPollOut:
        poll_out_inflight = false;
        if (channel != nullptr) {
          channel->writable = true;
          channel->notify();
        }
        break;
      case kTagDeferred:
        if (channel != nullptr) channel->notify();
        break;
      default:  // cancel / close
        break;
    }
    // Channel::close() always leaves a close request in flight, so this cannot run while the
    // channel is still being closed further up the stack.
    if (channel == nullptr && refs == 0) delete this;
  }
};

void Channel::openEpoll(event_base* base, int fd, ChannelOwner* owner) {
  fd_ = fd;
  owner_ = owner;
  readable = false;
  writable = true;
  event_assign(&ev_, base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST, &onEvent,
               this);
  event_add(&ev_, nullptr);
  ev_added_ = true;
}

void Channel::openUring(UringLoop* loop, int fd, ChannelOwner* owner) {
  fd_ = fd;
  owner_ = owner;
  uring_ = new UringSocket(loop);
  uring_->channel = this;
  uring_->fd = fd;
  // Here the flags mean "may call": no request is in flight yet.
  readable = true;
  writable = true;
}

void Channel::openLink(MemoryLink* link, ChannelOwner* owner) {
  link_ = link;
  owner_ = owner;
  link->attachChannel(this);
  readable = link->hasInput();
  writable = link->connectResult() >= 0;
  connecting_ = link->connectResult() < 0;
}

void Channel::transferTo(Channel& to, ChannelOwner* owner) {
  to.fd_ = fd_;
  to.owner_ = owner;
  to.readable = readable;
  to.writable = writable;
  to.peer_closed = peer_closed;
  to.connecting_ = connecting_;
  to.tls_ = std::move(tls_);  // a TLS connection stays one (ALPN chose h2)
  if (uring_ != nullptr) {
    to.uring_ = uring_;
    uring_->channel = &to;
    uring_ = nullptr;
  } else if (ev_added_) {
    event_base* base = event_get_base(&ev_);
    event_del(&ev_);
    ev_added_ = false;
    event_assign(&to.ev_, base, fd_, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST,
                 &onEvent, &to);
    event_add(&to.ev_, nullptr);
    to.ev_added_ = true;
  }
  fd_ = -1;
  owner_ = nullptr;
}

void Channel::onEvent(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<Channel*>(arg);
  if (what & (EV_READ | EV_CLOSED)) self->readable = true;
  if (what & EV_CLOSED) self->peer_closed = true;
  if (what & EV_WRITE) self->writable = true;
  self->notify();
}

void Channel::notify() {
  if (owner_ == nullptr) return;
  if (tls_ != nullptr && !tls_->onEvent(*this)) return;  // the handshake is still going
  owner_->onChannelEvent();
}

void Channel::startTls(SSL* ssl, bool server, IoBuffer* already_read) {
  tls_ = std::make_unique<TlsStream>(ssl, server);
  if (already_read != nullptr) tls_->adoptCiphertext(already_read);
  // Start the handshake from the loop: a server may already have the ClientHello, a client's
  // connect may have completed at once.
  activateLater();
}

bool Channel::connect(const sockaddr* addr, socklen_t len) {
  connecting_ = true;
  if (uring_ != nullptr) {
    UringSocket* u = uring_;
    memcpy(&u->peer, addr, len);
    io_uring_sqe* sqe = u->loop->sqe();
    io_uring_prep_connect(sqe, fd_, reinterpret_cast<sockaddr*>(&u->peer), len);
    io_uring_sqe_set_data64(sqe, UringLoop::userData(u, kTagConnect));
    u->connect_inflight = true;
    u->connect_res = -1;
    ++u->refs;
    writable = false;
    return true;
  }
  writable = false;
  int rc = ::connect(fd_, addr, len);
  if (rc == 0) {
    connecting_ = false;  // loopback may connect at once
    writable = true;
    return true;
  }
  return errno == EINPROGRESS;
}

int Channel::connectResult() {
  if (tls_ == nullptr) return rawConnectResult();
  if (tls_->failure() != TlsFailure::None) return EPROTO;
  return tls_->handshakeDone() ? 0 : -1;
}

Channel::Read Channel::read(IoBuffer& buf) {
  if (tls_ != nullptr) return static_cast<Read>(tls_->read(*this, buf));
  return rawRead(buf);
}

ssize_t Channel::send(const iovec* iov, int n) {
  if (tls_ != nullptr) return tls_->send(*this, iov, n);
  return rawSend(iov, n);
}

Channel::Read Channel::rawReadNow(IoBuffer& buf) {
  if (uring_ != nullptr && (uring_->rx_ready || uring_->rx_inflight)) {
    return uring_->rx_ready ? rawRead(buf) : Read::WouldBlock;
  }
  char* p = buf.writable(2048);
  ssize_t n = ::recv(fd_, p, buf.writableSize(), MSG_DONTWAIT);
  if (n > 0) {
    buf.commit(static_cast<size_t>(n));
    return Read::Progress;
  }
  return n == 0 ? Read::Eof : Read::Error;
}

int Channel::rawConnectResult() {
  if (!connecting_) return 0;
  if (link_ != nullptr) {
    const int result = link_->connectResult();
    if (result >= 0) connecting_ = false;
    return result;
  }
  if (uring_ != nullptr) {
    if (uring_->connect_res < 0) return -1;
    connecting_ = false;
    return uring_->connect_res;
  }
  if (!writable) return -1;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  connecting_ = false;
  return err;
}

Channel::Read Channel::rawRead(IoBuffer& buf) {
  if (uring_ == nullptr) {
    if (link_ != nullptr) [[unlikely]] {
      const long n = link_->readInto(buf);
      if (n > 0) return Read::Progress;
      if (n == 0) return Read::Eof;
      if (n == -1) return Read::Error;
      readable = false;
      return Read::WouldBlock;
    }
    // Edge-triggered: a short read means the socket is drained (new data raises a new edge),
    // unless the peer already closed, in which case we read on until recv() returns 0.
    char* p = buf.writable(2048);
    size_t room = buf.writableSize();
    ssize_t n = ::recv(fd_, p, room, 0);
    if (n > 0) {
      buf.commit(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < room && !peer_closed) readable = false;
      return Read::Progress;
    }
    if (n == 0) return Read::Eof;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable = false;
      return Read::WouldBlock;
    }
    if (errno == EINTR) return Read::Progress;
    return Read::Error;
  }
  UringSocket* u = uring_;
  if (u->rx_ready) {
    u->rx_ready = false;
    const int res = u->rx_res;
    const bool has_buffer = (u->rx_flags & IORING_CQE_F_BUFFER) != 0;
    const unsigned bid = u->rx_flags >> IORING_CQE_BUFFER_SHIFT;
    if (res > 0) {
      memcpy(buf.writable(static_cast<size_t>(res)), u->loop->buffer(bid),
             static_cast<size_t>(res));
      buf.commit(static_cast<size_t>(res));
      u->loop->recycle(bid);
      readable = true;  // the next call queues the next receive
      return Read::Progress;
    }
    if (has_buffer) u->loop->recycle(bid);
    if (res == 0) return Read::Eof;
    if (res != -ENOBUFS && res != -EINTR && res != -EAGAIN) {
      errno = -res;
      return Read::Error;
    }
    // Out of provided buffers (they come back as sessions consume them) or interrupted: ask
    // again.
  }
  if (!u->rx_inflight) u->armRecv();
  readable = false;
  return Read::WouldBlock;
}

ssize_t Channel::rawSend(const iovec* iov, int n) {
  if (uring_ == nullptr) {
    if (link_ != nullptr) [[unlikely]] {
      const long w = link_->sendFrom(iov, n);
      size_t total = 0;
      for (int i = 0; i < n; ++i) total += iov[i].iov_len;
      if (w >= 0 && static_cast<size_t>(w) < total) writable = false;
      return w;
    }
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(n);
    size_t total = 0;
    for (int i = 0; i < n; ++i) total += iov[i].iov_len;
    ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        writable = false;
        return 0;
      }
      if (errno == EINTR) return 0;
      return -1;
    }
    if (static_cast<size_t>(w) < total) writable = false;
    return w;
  }
  UringSocket* u = uring_;
  if (u->tx_ready) {
    u->tx_ready = false;
    const int res = u->tx_res;
    writable = true;
    if (res >= 0) return res;
    if (res != -EAGAIN && res != -EINTR) {
      errno = -res;
      return -1;
    }
    // Interrupted: send again below.
  }
  writable = false;
  if (u->tx_inflight) return 0;
  io_uring_sqe* sqe = u->loop->sqe();
  if (n == 1) {
    io_uring_prep_send(sqe, fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    u->iov[0] = iov[0];
    u->iov[1] = iov[1];
    u->msg = msghdr{};
    u->msg.msg_iov = u->iov;
    u->msg.msg_iovlen = static_cast<size_t>(n);
    io_uring_prep_sendmsg(sqe, fd_, &u->msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(sqe, UringLoop::userData(u, kTagSend));
  u->tx_inflight = true;
  ++u->refs;
  return 0;
}

bool Channel::idleCheck() {
  if (link_ != nullptr) return false;  // a link carries one exchange: never pooled
  if (tls_ != nullptr && tls_->buffered()) return false;
  if (uring_ != nullptr) {
    if (uring_->rx_ready) return false;  // EOF, an error or unrequested bytes
    if (!uring_->rx_inflight) uring_->armRecv();
    return true;
  }
  // A backend that closed while we were busy has left the socket readable (EOF): an edge may
  // already have been consumed, so look now instead of waiting for one.
  if (!readable) return true;
  char byte;
  ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
  readable = false;
  return true;
}

bool Channel::hasInput() const {
  if (link_ != nullptr) return link_->hasInput();
  if (tls_ != nullptr && tls_->buffered()) return true;
  return uring_ != nullptr ? uring_->rx_ready : readable;
}

void Channel::waitReadable() {
  if (uring_ == nullptr || uring_->poll_in_inflight) return;
  io_uring_sqe* sqe = uring_->loop->sqe();
  io_uring_prep_poll_add(sqe, fd_, POLLIN | POLLRDHUP);
  io_uring_sqe_set_data64(sqe, UringLoop::userData(uring_, kTagPollIn));
  uring_->poll_in_inflight = true;
  ++uring_->refs;
}

void Channel::waitWritable() {
  if (uring_ == nullptr || uring_->poll_out_inflight) return;
  io_uring_sqe* sqe = uring_->loop->sqe();
  io_uring_prep_poll_add(sqe, fd_, POLLOUT);
  io_uring_sqe_set_data64(sqe, UringLoop::userData(uring_, kTagPollOut));
  uring_->poll_out_inflight = true;
  ++uring_->refs;
}

bool Channel::quiet() const {
  if (link_ != nullptr) return false;  // no socket to splice from or to
  if (tls_ != nullptr) return false;  // bytes on the socket are ciphertext: never splice them
  if (uring_ == nullptr) return true;
  return !uring_->rx_inflight && !uring_->rx_ready && !uring_->tx_inflight && !uring_->tx_ready;
}

void Channel::shutdownWrite() {
  if (link_ != nullptr) {
    link_->shutdownWrite();
  } else if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_WR);
  }
}

void Channel::activateLater() {
  if (link_ != nullptr) {
    link_->activateChannelLater();
    return;
  }
  if (uring_ != nullptr) {
    ++uring_->refs;
    uring_->loop->defer(uring_);
    return;
  }
  event_active(&ev_, 0, 0);
}

void Channel::close() {
  if (link_ != nullptr) {
    MemoryLink* link = link_;
    link_ = nullptr;
    owner_ = nullptr;
    link->detachChannel();
    return;
  }
  if (fd_ < 0) return;
  if (uring_ != nullptr) {
    UringSocket* u = uring_;
    u->dropHeldBuffer();
    u->channel = nullptr;
    UringLoop* loop = u->loop;
    const bool busy = u->rx_inflight || u->tx_inflight || u->connect_inflight ||
                      u->poll_in_inflight || u->poll_out_inflight;
    if (busy) {
      // Cancel what is in flight, then close (hard link: the close runs even when there was
      // nothing left to cancel).
      io_uring_sqe* cancel = loop->sqe();
      io_uring_prep_cancel_fd(cancel, fd_, IORING_ASYNC_CANCEL_ALL);
      io_uring_sqe_set_data64(cancel, UringLoop::userData(u, kTagClose));
      cancel->flags |= IOSQE_IO_HARDLINK;
      ++u->refs;
    }
    io_uring_sqe* sqe = loop->sqe();
    io_uring_prep_close(sqe, fd_);
    io_uring_sqe_set_data64(sqe, UringLoop::userData(u, kTagClose));
    ++u->refs;
    if (u->tx_inflight) {
      // The bytes of a queued send belong to the caller, who is about to reuse or free them:
      // submit now, so the kernel copies them (or the cancel stops the send) first.
      loop->submitNow();
    }
    uring_ = nullptr;
  } else {
    if (ev_added_) event_del(&ev_);
    ev_added_ = false;
    ::close(fd_);
  }
  fd_ = -1;
  owner_ = nullptr;
  // After the close was submitted: a queued send of its ciphertext is done with the buffers.
  tls_.reset();
}

}  // namespace foundry::router
