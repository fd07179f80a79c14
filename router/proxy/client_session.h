#pragma once
// One client connection and the requests it carries, proxied one at a time (HTTP/1.1
// keep-alive, pipelined requests queued in the input buffer).
//
// The session is a small state machine driven by its two Channels (channel.h), whose events
// only record that a socket can be read or written (epoll) or that a queued receive or send
// completed (io_uring); drive() then makes every step it can (read, parse, forward both heads
// and the body with one write) until it has to wait. Bodies are never buffered whole: a
// direction reads only when everything it read before was written, so a slow reader throttles
// the sender (backpressure) and memory per connection stays at one buffer per direction.
//
// A session also serves one HTTP/2 stream: then its client channel is a MemoryLink whose peer
// is the stream (router/http2/h2_server_connection.h), which writes the stream's request as
// HTTP/1.1 and turns the session's HTTP/1.1 response into frames. Such a session handles one
// request (the head says Connection: close), is not in the worker's session list and does not
// count as a connection.

#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>

#include "router/config/live_config.h"
#include "router/http/head_rewriter.h"
#include "router/http/message_parser.h"
#include "router/http/router_error.h"
#include "router/lb/endpoint_picker.h"
#include "router/lb/instance_target.h"
#include "router/observe/request_record.h"
#include "router/proxy/channel.h"
#include "router/proxy/deadline_timers.h"
#include "router/proxy/io_buffer.h"
#include "router/proxy/worker.h"
#include "router/route/pool.h"
#include "router/routeservice/route_service_url.h"
#include "router/routeservice/signature.h"

namespace foundry::router {

struct UpstreamConn;

class ClientSession final : public ChannelOwner {
 public:
  // `tls_listener`: the connection came to the TLS listener (its handshake runs after the
  // preamble, with the frontend TLS of the settings in force).
  ClientSession(Worker& worker, int fd, const sockaddr* peer, bool tls_listener);
  // For one HTTP/2 stream: `link` carries its request and response; the rest is the HTTP/2
  // connection's.
  struct StreamOrigin {
    std::string client_ip;
    uint16_t client_port = 0;
    int address_fd = -1;  // the connection's socket (for the router's own address)
    bool tls = false;
    std::string_view client_cert_b64;  // the TLS client certificate (XFCC's form), or ""
  };
  ClientSession(Worker& worker, MemoryLink* link, const StreamOrigin& origin);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // The client socket had an event.
  void onChannelEvent() override;
  // Called by the upstream connection when the session's upstream socket had an event.
  void onUpstreamEvent();
  // Closes the session (worker shutdown).
  void abort();
  // Drain: closes the connection when it is between requests (nothing read, nothing owed).
  void closeIfIdle();

  // Intrusive list of the worker's sessions.
  ClientSession* prev_ = nullptr;
  ClientSession* next_ = nullptr;

 private:
  // Preamble: what comes before the first request (client_session_preamble.cc).
  enum class State { Preamble, ReadHead, Proxying, Tunnel, Flushing, Closed };
  enum class Io { Progress, WouldBlock, Eof, Error };

  void setUpTimer();
  // The connection turned out to speak HTTP/2 with prior knowledge (its first bytes are the
  // connection preface): hands the socket to an HTTP/2 connection. False when it is not one.
  bool handOverHttp2();
  static void onTimer(void* arg);
  static void onEpollTimer(evutil_socket_t fd, short what, void* arg);

  void drive();
  // The connection's preamble (client_session_preamble.cc): the PROXY protocol header when
  // enable_proxy is on. It ends in onPreambleDone(), which starts reading the first request;
  // a step that must come before HTTP (a TLS handshake) goes between the two.
  void startPreamble();
  bool stepPreamble();
  void preambleTimedOut();
  void rejectPreamble(ConnectionRejection why, const char* error);
  void onPreambleDone();
  bool stepReadHead();
  bool stepProxy();
  bool stepTunnel();
  bool stepFlush();
  bool stepSplice();

  void handleHead(size_t head_len);
  // After the route lookup: which leg the request takes (app, route service, hairpin), or the
  // route-service error to answer with (ROUTER-PROTOCOL.md 7). Reads req_head_.
  std::optional<RouterError> decideRouteService(int64_t wall_now, std::string* detail);
  // Return pass: the signed forwarded URL names the route this request is for (else false,
  // *error in gorouter's words).
  bool forwardedUrlMatchesPool(const SignatureContents& contents, std::string* error);
  void startAttempt();
  // Sets endpoint_ for the next attempt; false when the request was answered instead (or, for a
  // route service whose address is still being resolved, the attempt will be retried).
  bool pickFromPool();
  bool routeServiceEndpoint();
  void connectFresh();
  void attemptFailed(int err, bool before_send);
  bool handleResponseHead(size_t head_len);
  void finishExchange();
  void respondError(RouterError error, const std::string& detail);
  void respondHealth();
  void respondTlsFailure();
  const std::string& clientCertificate();
  void addTraceHeaders();
  void releaseUpstream(bool reusable);
  void releaseInFlight();
  void armTimer(Worker::Timeout timeout);
  void cancelTimer();
  void startRecord(int64_t wall_ns);
  void finishRecord();
  void onTimeout();

  bool pendingToUpstream() const {
    return up_head_off_ < req_base_.size() || req_body_pending_ > 0;
  }
  bool pendingToClient() const {
    return client_head_off_ < client_head_.size() || resp_body_pending_ > 0;
  }
  Io writeToUpstream();
  Io writeToClient();

  // The settings this session runs with: pinned when a request head arrives (so a reload
  // never changes them under a request), refreshed from the worker at the next one.
  const Config& config() const { return live_->config; }
  void refreshLiveConfig();
  // Reads what the client sent into in_ (while waiting for a head or the preamble): true when
  // something happened (bytes, or the connection ended: state_ is Closed then).
  bool readClientInput();

  Worker& worker_;
  LiveConfigConstSharedPtr live_;
  Channel client_;
  const bool http2_stream_ = false;  // serves one HTTP/2 stream through a memory link
  bool served_any_ = false;          // a request was read on this connection
  int address_fd_ = -1;              // the client socket, for getsockname()
  event timer_{};       // epoll
  TimerNode deadline_;  // io_uring
  State state_ = State::ReadHead;
  std::string client_ip_;
  uint16_t client_port_ = 0;
  bool client_tls_ = false;
  bool handshake_pending_ = false;  // the TLS handshake's timer runs
  // The frontend TLS this connection's handshake used: kept for the connection's life (its
  // SNI and ticket callbacks point into it) even when a reload replaced it.
  std::shared_ptr<const tls::ServerTls> server_tls_;
  bool client_cert_read_ = false;
  std::string client_cert_b64_;  // the verified client certificate, for X-Forwarded-Client-Cert

  // The request being served, for metrics and the access log.
  RequestRecord record_;
  bool record_open_ = false;
  int64_t attempt_start_ns_ = 0;

  // Request side.
  IoBuffer in_;
  size_t scan_from_ = 0;
  bool header_timer_armed_ = false;
  MessageParser req_parser_;
  MessageHead req_head_;
  RequestFacts facts_;
  std::string host_;          // Host header as received
  std::string host_key_;      // host_ normalised for the route lookup
  std::string lookup_path_;   // the request-target's path for the route lookup
  std::string req_base_;      // rewritten head (+ per-attempt headers while sending)
  size_t req_base_len_ = 0;   // length of the attempt-independent part
  size_t up_head_off_ = 0;    // bytes of req_base_ already sent this attempt
  size_t req_body_pending_ = 0;  // parsed body bytes at in_'s front, not yet sent
  uint64_t body_bytes_sent_ = 0;
  bool req_has_body_ = false;
  bool req_complete_ = false;
  bool req_idempotent_ = false;
  bool req_is_head_ = false;
  bool client_keep_alive_ = false;
  bool client_http10_ = false;
  char request_id_[36];
  std::string sticky_instance_;  // __VCAP_ID__ of a sticky request, "" otherwise
  bool trace_ = false;           // X-Vcap-Trace matched trace_key: add the debug headers

  // Routing and the current attempt.
  // Where this request goes: the app's pool, a route service reached over the network (first
  // pass), or a route service that is a route of ours, served from its pool in-process.
  enum class Leg { App, RouteService, Hairpin };
  enum class RouteServicePass { None, First, Return };
  Leg leg_ = Leg::App;
  RouteServicePass route_service_pass_ = RouteServicePass::None;
  RouteServiceUrl rs_url_;            // first pass: where the route service is
  std::string rs_forwarded_url_;      // first pass: X-CF-Forwarded-Url
  SignatureHeaders rs_signature_;     // first pass: X-CF-Proxy-Signature / -Metadata
  bool awaiting_address_ = false;     // the route service's host name is being resolved
  int64_t awaiting_since_ns_ = 0;
  PoolConstSharedPtr pool_;
  EndpointSharedPtr endpoint_;
  TriedEndpoints tried_;
  int attempts_ = 0;
  int64_t first_attempt_ns_ = 0;
  bool in_flight_held_ = false;
  UpstreamConn* up_ = nullptr;
  // The request's latest backend TLS failure: when it pruned the last endpoint, the answer is
  // that failure's status (525/526/496/503), not "no endpoints".
  TlsFailure last_tls_failure_ = TlsFailure::None;
  std::string last_tls_detail_;

  // Response side.
  IoBuffer up_in_;
  MessageParser resp_parser_;
  MessageHead resp_head_;
  std::string client_head_;  // rewritten response head, or a router error, pending to client
  size_t client_head_off_ = 0;
  size_t resp_body_pending_ = 0;
  bool resp_head_done_ = false;   // the final (non-1xx) head was parsed
  bool resp_sent_any_ = false;    // some response byte went to the client
  bool resp_complete_ = false;
  bool upstream_reusable_ = false;
  bool close_after_flush_ = false;

  // Large Content-Length response bodies go socket -> pipe -> socket with splice(2), never
  // through user space. The pipe comes from the worker's pool for the body's duration.
  int pipe_[2] = {-1, -1};
  size_t pipe_bytes_ = 0;
  uint64_t splice_remaining_ = 0;
  bool splicing_ = false;
};

}  // namespace foundry::router
