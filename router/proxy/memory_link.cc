#include "router/proxy/memory_link.h"

#include <errno.h>
#include <sys/uio.h>

#include "router/proxy/channel.h"

namespace foundry::router {

MemoryLink* MemoryLink::create(LocalTasks& tasks, LinkPeer* peer, size_t from_channel_cap,
                               bool connected) {
  return new MemoryLink(tasks, peer, from_channel_cap, connected);
}

MemoryLink::MemoryLink(LocalTasks& tasks, LinkPeer* peer, size_t cap, bool connected)
    : tasks_(tasks), peer_(peer), from_channel_cap_(cap), connect_result_(connected ? 0 : -1) {}

void MemoryLink::write(const char* data, size_t len) {
  if (len == 0 || error_ != 0) return;
  std::memcpy(to_channel_.writable(len), data, len);
  to_channel_.commit(len);
  notifyChannel();
}

void MemoryLink::finish() {
  to_channel_eof_ = true;
  notifyChannel();
}

void MemoryLink::abort(int err) {
  to_channel_.clear();
  error_ = err;
  notifyChannel();
}

void MemoryLink::consumed() { notifyChannel(); }

void MemoryLink::setConnectResult(int result) {
  connect_result_ = result;
  notifyChannel();
}

void MemoryLink::detachPeer(int err) {
  if (peer_ == nullptr) return;
  peer_ = nullptr;
  notify_peer_ = false;
  if (!to_channel_eof_ && error_ == 0) {
    to_channel_.clear();
    error_ = err != 0 ? err : ECONNRESET;
  }
  if (connect_result_ < 0) connect_result_ = error_ != 0 ? error_ : ECONNRESET;
  notifyChannel();
  release();
}

void MemoryLink::attachChannel(Channel* channel) { channel_ = channel; }

long MemoryLink::readInto(IoBuffer& buf) {
  if (!to_channel_.empty()) {
    const size_t n = to_channel_.size();
    std::memcpy(buf.writable(n), to_channel_.data(), n);
    buf.commit(n);
    to_channel_.clear();
    notifyPeer();  // room for more: the peer may let its sender go on
    return static_cast<long>(n);
  }
  if (error_ != 0) {
    errno = error_;
    return -1;
  }
  return to_channel_eof_ ? 0 : -2;
}

long MemoryLink::sendFrom(const iovec* iov, int n) {
  if (error_ != 0 || peer_ == nullptr) {
    errno = error_ != 0 ? error_ : EPIPE;
    return -1;
  }
  size_t room = from_channel_.size() < from_channel_cap_ ? from_channel_cap_ - from_channel_.size()
                                                          : 0;
  size_t taken = 0;
  for (int i = 0; i < n && room > 0; ++i) {
    const size_t len = iov[i].iov_len < room ? iov[i].iov_len : room;
    std::memcpy(from_channel_.writable(len), iov[i].iov_base, len);
    from_channel_.commit(len);
    taken += len;
    room -= len;
  }
  if (taken > 0) notifyPeer();
  return static_cast<long>(taken);
}

void MemoryLink::shutdownWrite() {
  channel_finished_ = true;
  notifyPeer();
}

void MemoryLink::detachChannel() {
  if (channel_ == nullptr) return;
  channel_ = nullptr;
  notify_channel_ = false;
  channel_finished_ = true;
  notifyPeer();
  release();
}

void MemoryLink::notifyChannel() {
  if (channel_ == nullptr) return;
  notify_channel_ = true;
  tasks_.post(this);
}

void MemoryLink::notifyPeer() {
  if (peer_ == nullptr) return;
  notify_peer_ = true;
  tasks_.post(this);
}

void MemoryLink::release() {
  if (--refs_ == 0) delete this;
}

void MemoryLink::runTask() {
  ++refs_;  // either side may let go while being told
  if (notify_peer_ && peer_ != nullptr) {
    notify_peer_ = false;
    peer_->onLinkEvent();
  }
  if (notify_channel_ && channel_ != nullptr) {
    notify_channel_ = false;
    // The flags mean "may call": a call that finds nothing sets them back.
    channel_->readable = true;
    channel_->writable = connect_result_ >= 0;
    channel_->notify();
  }
  release();
}

}  // namespace foundry::router
