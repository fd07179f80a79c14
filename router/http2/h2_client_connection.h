#pragma once
// One HTTP/2 connection from the router to a backend endpoint (h2c with prior knowledge),
// carrying many H2UpstreamStreams (h2_upstream.h says how they serve ClientSessions).
//
// Life: connecting (the worker's dial timeout applies; streams wait, their sessions see
// "connect in progress"), ready (preface and SETTINGS out: streams submit), retired (GOAWAY
// received or an error: no new streams, the ones below the GOAWAY's last stream go on), closed
// (the backend closed, or idle for backend_idle_timeout with no stream: the pool's sweep). It
// frees itself when it closes. Worker thread only.

#include <event2/event.h>
#include <event2/event_struct.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>

#include "router/http2/h2_socket_io.h"
#include "router/proxy/channel.h"
#include "router/proxy/deadline_timers.h"
#include "router/proxy/local_tasks.h"
#include "router/route/endpoint.h"

namespace foundry::router {

class H2UpstreamPool;
class H2UpstreamStream;
class Worker;

class H2ClientConnection final : public ChannelOwner, public LocalTask {
 public:
  H2ClientConnection(H2UpstreamPool& pool, const EndpointSharedPtr& endpoint);
  ~H2ClientConnection();
  H2ClientConnection(const H2ClientConnection&) = delete;
  H2ClientConnection& operator=(const H2ClientConnection&) = delete;

  // Starts the TCP connect. False with *err on an immediate failure (then delete it).
  bool connect(int* err);
  // Adds a stream for a session's link (the link reports "connecting" until ready()).
  void addStream(H2UpstreamStream* stream);
  bool ready() const { return session_ != nullptr; }
  bool retired() const { return retired_; }
  const std::string& address() const { return endpoint_->address(); }
  bool idleSince(int64_t before_ns) const { return streams_ == nullptr && idle_since_ns_ < before_ns; }
  // Closes now: every stream's session reads `err` (or sees the connect fail with it).
  void close(int err);

  // For streams.
  nghttp2_session* session() { return session_; }
  Worker& worker();
  void wake();

  // ChannelOwner
  void onChannelEvent() override;
  // LocalTask
  void runTask() override { drive(); }

 private:
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user_data);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int onDataChunkRecv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                             const uint8_t* data, size_t len, void* user_data);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data);
  static void onTimer(void* arg);
  static void onEpollTimer(evutil_socket_t, short, void* arg);

  void startSession();
  void drive();
  void pumpStreams();
  void removeStream(H2UpstreamStream* stream);
  H2UpstreamStream* stream(int32_t id);
  void retire();

  H2UpstreamPool& pool_;
  EndpointSharedPtr endpoint_;
  H2SocketIo io_;
  nghttp2_session* session_ = nullptr;
  bool connecting_ = false;
  bool retired_ = false;
  bool closed_ = false;
  bool in_drive_ = false;
  int close_error_ = 0;
  H2UpstreamStream* streams_ = nullptr;
  int64_t idle_since_ns_ = 0;

  event timer_{};       // epoll: the connect timeout
  TimerNode deadline_;  // io_uring
};

}  // namespace foundry::router
