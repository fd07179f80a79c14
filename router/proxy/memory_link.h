#pragma once
// A socket made of memory: a Channel opened on a MemoryLink (Channel::openLink) reads and sends
// like any other, but the bytes come from and go to a "peer" object on the same worker instead
// of the kernel.
//
// Why: HTTP/2 is spoken by converting, not by duplicating the proxy. Each HTTP/2 stream from a
// client becomes one HTTP/1.1 request that an ordinary ClientSession reads from a link, routes,
// balances, retries, rewrites, logs and answers; the stream converts that HTTP/1.1 response
// back to HEADERS/DATA frames (router/http2/h2_server_connection.h). Likewise a request for an
// endpoint registered with protocol http2 is written by the session to a link whose peer is a
// stream on a multiplexed HTTP/2 connection to the backend (router/http2/h2_upstream.h). The
// session cannot tell the difference, so every request-level behaviour exists exactly once.
//
// Both directions are bounded: the channel's sends are refused beyond `from_channel_cap` until
// the peer takes the bytes (so a slow HTTP/2 client throttles the backend), and the peer writes
// only what HTTP/2 flow control let in (it tells the sender it may send more only once the
// channel has read them).
//
// Events never call across synchronously: each side's notification is a LocalTask run from the
// worker's loop, so neither side ever runs inside the other's callbacks, and a side may delete
// itself at any point. The link frees itself when both sides have let go (Channel::close() on
// the channel side, detachPeer() on the peer side). Worker thread only.

#include <cstddef>
#include <cstdint>

#include "router/proxy/io_buffer.h"
#include "router/proxy/local_tasks.h"

namespace foundry::router {

class Channel;

// The side of a link that is not a Channel.
class LinkPeer {
 public:
  // The channel read bytes, sent bytes, shut down writing or closed (coalesced: one call may
  // stand for many of these). Runs from the loop, never inside the channel owner's code.
  virtual void onLinkEvent() = 0;

 protected:
  ~LinkPeer() = default;
};

class MemoryLink final : public LocalTask {
 public:
  // A link with one reference for each side. `connected` false: the channel's connectResult()
  // reports "in progress" until setConnectResult().
  static MemoryLink* create(LocalTasks& tasks, LinkPeer* peer, size_t from_channel_cap,
                            bool connected = true);

  // --- Peer side ----------------------------------------------------------------------------
  // Bytes for the channel to read.
  void write(const char* data, size_t len);
  // No more bytes after those written: the channel reads EOF once it has read them.
  void finish();
  // The channel's next read or send fails with `err` (bytes not yet read are dropped).
  void abort(int err);
  // What the channel sent and the peer has not taken yet. The peer consumes from it, then calls
  // consumed() so a channel waiting for room is woken.
  IoBuffer& fromChannel() { return from_channel_; }
  void consumed();
  // The channel shut down writing or closed: no more bytes will arrive after fromChannel()'s.
  bool channelFinished() const { return channel_finished_; }
  // The channel closed (its owner is gone).
  bool channelClosed() const { return channel_ == nullptr; }
  // Bytes written and not yet read by the channel.
  size_t unread() const { return to_channel_.size(); }
  // For links created unconnected: 0 (connected) or an errno value (failed).
  void setConnectResult(int result);
  // The peer lets go: it gets no more events; a channel still open reads `err` (or EOF after
  // the written bytes when finish() was called).
  void detachPeer(int err);

  // --- Channel side (called by Channel in link mode) ----------------------------------------
  void attachChannel(Channel* channel);
  // Appends up to the unread bytes to `buf`: >0 bytes moved, 0 EOF, -1 error (errno set),
  // -2 nothing yet.
  long readInto(IoBuffer& buf);
  // Takes up to the room left; returns bytes taken, 0 when full, -1 when the peer is gone.
  long sendFrom(const struct iovec* iov, int n);
  void shutdownWrite();
  int connectResult() const { return connect_result_; }
  bool hasInput() const { return !to_channel_.empty() || to_channel_eof_ || error_ != 0; }
  void activateChannelLater() { notifyChannel(); }
  // Channel::close(): the channel side lets go.
  void detachChannel();

 private:
  MemoryLink(LocalTasks& tasks, LinkPeer* peer, size_t cap, bool connected);
  ~MemoryLink() = default;
  void notifyChannel();
  void notifyPeer();
  void release();
  // LocalTask
  void runTask() override;

  LocalTasks& tasks_;
  LinkPeer* peer_;
  Channel* channel_ = nullptr;
  int refs_ = 2;

  IoBuffer to_channel_;
  bool to_channel_eof_ = false;
  int error_ = 0;  // errno the channel's next read/send returns
  IoBuffer from_channel_;
  size_t from_channel_cap_;
  bool channel_finished_ = false;
  int connect_result_ = 0;

  bool notify_channel_ = false;
  bool notify_peer_ = false;
};

}  // namespace foundry::router
