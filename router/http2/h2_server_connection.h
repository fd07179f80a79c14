#pragma once
// An HTTP/2 client connection: h2c with prior knowledge on the plain port (a ClientSession
// that reads the connection preface hands its socket over), or h2 chosen by ALPN on TLS (the
// TLS layer calls startHttp2() after the handshake).
//
// Design: each stream is turned into an HTTP/1.1 request and fed to an ordinary ClientSession
// through an in-memory channel (proxy/memory_link.h); the session's HTTP/1.1 response is turned
// back into HEADERS/DATA frames (h2_server_stream.h). So route lookup, load balancing, sticky
// sessions, retries, header rewriting, router errors, timeouts, metrics and the access log are
// the HTTP/1.1 code itself, not a copy of it, and ClientSession's HTTP/1.1 path is unchanged
// (no allocation per request, no extra work: a memory channel is a branch in Channel). The
// price is a re-encoding per stream (an HTTP/1.1 head written and parsed in memory, body bytes
// copied twice more), paid only by HTTP/2 traffic. The other way considered, splitting
// ClientSession so its upstream half could serve a stream, would have touched every line of
// the hot path and its allocation-free state layout.
//
// The frames themselves are nghttp2's (libnghttp2): it validates the protocol (preface,
// pseudo-headers, connection-specific fields, content-length vs DATA, flow-control windows,
// SETTINGS/PING floods). On top of it, bounds against abuse:
//  - SETTINGS_MAX_CONCURRENT_STREAMS (http2.max_concurrent_streams, 100): nghttp2 refuses more;
//  - rapid reset (CVE-2023-44487): more than http2.max_resets_per_second RST_STREAM frames in a
//    second end the connection with GOAWAY ENHANCE_YOUR_CALM; a reset stream's session (and its
//    backend request) is cancelled at once;
//  - header blocks (CONTINUATION flood): a block whose HEADERS + CONTINUATION payload exceeds
//    max_request_header_bytes (plus one frame), or that has more CONTINUATION frames than such a
//    block needs (plus 8), ends the connection with ENHANCE_YOUR_CALM; a decoded block over the
//    limit answers 431 on its stream;
//  - windows: request bodies enter only as sessions read them (windows are given back then) and
//    responses wait for the client's window in bounded buffers, so a client that stops reading
//    or opens a zero window holds a fixed amount of memory until the session's timeouts cut it;
//  - the connection itself: read_header_timeout for the preface and for any header block left
//    incomplete, frontend_idle_timeout while no stream is open; output and input are bounded as
//    h2_socket_io.h says.
// Drain: a GOAWAY shutdown notice and a PING; once the PING's ACK proves the client has seen it,
// the final GOAWAY names the last stream served, and the connection closes when those are done.
// Worker thread only.

#include <event2/event.h>
#include <event2/event_struct.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "router/http2/h2_socket_io.h"
#include "router/proxy/channel.h"
#include "router/proxy/deadline_timers.h"
#include "router/proxy/local_tasks.h"
#include "router/proxy/worker.h"

namespace foundry::router {

class H2ServerStream;

// Hands a client connection that speaks HTTP/2 to a new H2ServerConnection. `from` holds the
// open socket (plain, or TLS once its handshake chose "h2"); its state moves over and `from` is
// left closed. `data` / `len`: bytes already read from it (the preface or its start, and
// whatever followed). `tls`: the connection is TLS (the scheme its requests carry).
void startHttp2(Worker& worker, Channel& from, const std::string& client_ip, uint16_t client_port,
                const char* data, size_t len, bool tls);

class H2ServerConnection final : public ChannelOwner, public LocalTask {
 public:
  H2ServerConnection(Worker& worker, const std::string& client_ip, uint16_t client_port, bool tls);
  ~H2ServerConnection();
  H2ServerConnection(const H2ServerConnection&) = delete;
  H2ServerConnection& operator=(const H2ServerConnection&) = delete;

  // Takes the socket and the bytes already read, sends SETTINGS and starts serving.
  void start(Channel& from, const char* data, size_t len);
  // Worker shutdown: closes at once (every stream's session too).
  void abort();
  // Graceful drain (see the top of this file).
  void beginDrain();

  // For streams.
  Worker& worker() { return worker_; }
  nghttp2_session* session() { return session_; }
  const std::string& clientIp() const { return client_ip_; }
  uint16_t clientPort() const { return client_port_; }
  int socketFd() { return io_.socket().fd(); }
  bool tls() const { return tls_; }
  // The TLS client certificate in X-Forwarded-Client-Cert's form, or "" (read once).
  const std::string& clientCertificate();
  // A stream has something to do: the connection runs soon (from the loop).
  void wake();

  // ChannelOwner
  void onChannelEvent() override { drive(); }
  // LocalTask
  void runTask() override { drive(); }

  // The worker's list of HTTP/2 connections.
  H2ServerConnection* prev_ = nullptr;
  H2ServerConnection* next_ = nullptr;

 private:
  enum class TimerKind { None, Header, Idle };

  static int onBeginFrame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data);
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

  void drive();
  bool readInput();
  void pumpStreams();
  void countReset();
  void enhanceYourCalm(const char* why);
  void updateTimer();
  void onTimeout();
  void removeStream(H2ServerStream* stream);
  H2ServerStream* stream(int32_t id);

  Worker& worker_;
  const std::string client_ip_;
  const uint16_t client_port_;
  const bool tls_;
  bool client_cert_read_ = false;
  std::string client_cert_b64_;
  H2SocketIo io_;
  nghttp2_session* session_ = nullptr;
  bool closed_ = false;
  bool in_drive_ = false;
  bool peer_gone_ = false;  // EOF or an error on the socket

  H2ServerStream* streams_ = nullptr;
  size_t open_streams_ = 0;  // started and not closed

  // Abuse accounting.
  size_t header_block_bytes_ = 0;  // HEADERS + CONTINUATION payload of the block being received
  size_t header_block_frames_ = 0;
  int64_t reset_window_start_ns_ = 0;
  uint32_t resets_in_window_ = 0;

  // Drain: 0 none, 1 notice + PING sent, 2 final GOAWAY sent.
  int drain_stage_ = 0;

  TimerKind timer_kind_ = TimerKind::None;
  event timer_{};       // epoll
  TimerNode deadline_;  // io_uring
};

}  // namespace foundry::router
