#include "router/http2/h2_client_connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/log/log.h"
#include "router/common/clock.h"
#include "router/http2/h2_upstream.h"
#include "router/http2/h2_upstream_stream.h"
#include "router/proxy/worker.h"

namespace foundry::router {
namespace {

// Receive windows toward the backend: response bytes in flight per stream and overall.
constexpr uint32_t kStreamWindow = 64 * 1024;
constexpr int32_t kConnectionWindow = 1024 * 1024;
constexpr int kMaxRoundsPerCallback = 32;

}  // namespace

H2ClientConnection::H2ClientConnection(H2UpstreamPool& pool, const EndpointSharedPtr& endpoint)
    : pool_(pool), endpoint_(endpoint), idle_since_ns_(monotonicNanos()) {
  Worker& w = pool_.worker();
  if (w.uring() != nullptr) {
    deadline_.on_expire = &onTimer;
    deadline_.owner = this;
  } else {
    evtimer_assign(&timer_, w.base(), &onEpollTimer, this);
  }
}

H2ClientConnection::~H2ClientConnection() {
  while (streams_ != nullptr) {
    H2UpstreamStream* s = streams_;
    removeStream(s);
    delete s;
  }
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (pool_.worker().uring() != nullptr) {
    deadline_.cancel();
  } else {
    event_del(&timer_);
  }
  io_.socket().close();
  pool_.destroyed(this);
}

Worker& H2ClientConnection::worker() { return pool_.worker(); }

void H2ClientConnection::wake() {
  if (!in_drive_) worker().localTasks().post(this);
}

bool H2ClientConnection::connect(int* err) {
  const sockaddr_storage& sa = endpoint_->sockaddr();
  if (sa.ss_family == AF_UNSPEC) {
    *err = EHOSTUNREACH;
    return false;
  }
  int fd = ::socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Worker& w = worker();
  Channel& ch = io_.socket();
  if (w.uring() != nullptr) {
    ch.openUring(w.uring(), fd, this);
  } else {
    ch.openEpoll(w.base(), fd, this);
  }
  if (!ch.connect(reinterpret_cast<const sockaddr*>(&sa), endpoint_->sockaddrLen())) {
    *err = errno;
    return false;
  }
  if (endpoint_->fields().tls) {
    // Route integrity as for HTTP/1.1 backends (SAN checked, our certificate presented), and
    // ALPN asking for h2: one handshake per shared connection, so no session cache here.
    const std::shared_ptr<const tls::ClientTls>& tls = w.upstreams().backendTls();
    SSL* ssl = tls != nullptr ? tls->newConnection(*endpoint_, nullptr, nullptr) : nullptr;
    if (ssl == nullptr) {
      *err = EPROTO;
      return false;
    }
    static const unsigned char kAlpnH2[] = {2, 'h', '2'};
    SSL_set_alpn_protos(ssl, kAlpnH2, sizeof kAlpnH2);
    ch.startTls(ssl, /*server=*/false);
  }
  connecting_ = true;
  if (w.uring() != nullptr) {
    w.armDeadline(&deadline_, Worker::Timeout::Dial);
  } else {
    evtimer_add(&timer_, w.timeoutValue(Worker::Timeout::Dial));
  }
  if (ch.connectResult() == 0) onChannelEvent();  // loopback may connect at once
  return true;
}

void H2ClientConnection::onTimer(void* arg) {
  auto* self = static_cast<H2ClientConnection*>(arg);
  if (self->connecting_) self->close(ETIMEDOUT);
}

void H2ClientConnection::onEpollTimer(evutil_socket_t, short, void* arg) { onTimer(arg); }

void H2ClientConnection::onChannelEvent() {
  if (connecting_) {
    const int result = io_.socket().connectResult();
    if (result < 0) return;  // still in progress
    connecting_ = false;
    if (pool_.worker().uring() != nullptr) {
      deadline_.cancel();
    } else {
      event_del(&timer_);
    }
    std::string tls_error;
    if (result == 0 && io_.socket().tls() != nullptr && io_.socket().tls()->alpn() != "h2") {
      tls_error = "the backend did not agree to h2 by ALPN";
    } else if (result > 0 && io_.socket().tls() != nullptr) {
      tls_error = io_.socket().tls()->failureDetail();
    }
    if (result > 0 || !tls_error.empty()) {
      log::info("proxy", "backend-http2-connect-failed",
                {{"endpoint", address()},
                 {"error", tls_error.empty() ? strerror(result) : tls_error}});
      close(result > 0 ? result : EPROTO);
      return;
    }
    startSession();
  }
  drive();
}

void H2ClientConnection::startSession() {
  static nghttp2_session_callbacks* const callbacks = [] {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &onDataChunkRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &onStreamClose);
    return cb;
  }();
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Response bytes are acknowledged as sessions read them (H2UpstreamStream::pump).
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_send_header_block_length(option, 1024 * 1024 + 64 * 1024);
  nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  for (H2UpstreamStream* s = streams_; s != nullptr; s = s->next_) s->connectDone(0);
}

void H2ClientConnection::addStream(H2UpstreamStream* s) {
  s->next_ = streams_;
  if (streams_ != nullptr) streams_->prev_ = s;
  streams_ = s;
  if (ready()) s->connectDone(0);
  wake();
}

void H2ClientConnection::removeStream(H2UpstreamStream* s) {
  if (s->prev_ != nullptr) {
    s->prev_->next_ = s->next_;
  } else {
    streams_ = s->next_;
  }
  if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
  s->prev_ = s->next_ = nullptr;
  if (streams_ == nullptr) idle_since_ns_ = monotonicNanos();
}

H2UpstreamStream* H2ClientConnection::stream(int32_t id) {
  return static_cast<H2UpstreamStream*>(nghttp2_session_get_stream_user_data(session_, id));
}

void H2ClientConnection::retire() {
  if (retired_) return;
  retired_ = true;
  pool_.retire(this);
}

void H2ClientConnection::close(int err) {
  retire();
  for (H2UpstreamStream* s = streams_; s != nullptr; s = s->next_) s->connectionLost(err);
  closed_ = true;
  close_error_ = err;
  if (!in_drive_) delete this;
}

void H2ClientConnection::pumpStreams() {
  for (H2UpstreamStream* s = streams_; s != nullptr;) {
    H2UpstreamStream* next = s->next_;
    if (!s->pump()) {
      removeStream(s);
      delete s;
    }
    s = next;
  }
}

void H2ClientConnection::drive() {
  if (closed_) {
    if (!in_drive_) delete this;
    return;
  }
  cancelTask();
  if (connecting_) {
    pumpStreams();  // sessions that gave up while we connect let go of their streams
    return;
  }
  in_drive_ = true;
  int rounds = 0;
  int lost = 0;  // errno for the streams when the connection goes
  for (; rounds < kMaxRoundsPerCallback && !closed_; ++rounds) {
    bool progress = !io_.input().empty();
    const int rv = io_.feed(session_);
    if (rv < 0) {
      log::info("proxy", "backend-http2-error",
                {{"endpoint", address()}, {"error", nghttp2_strerror(rv)}});
      lost = EPROTO;
      break;
    }
    pumpStreams();
    if (io_.fill(session_, [this] { pumpStreams(); }) < 0) {
      lost = EPROTO;
      break;
    }
    bool failed = false;
    progress |= io_.flush(&failed);
    if (failed) {
      lost = errno != 0 ? errno : ECONNRESET;
      break;
    }
    switch (io_.read()) {
      case Channel::Read::Progress: progress = true; break;
      case Channel::Read::WouldBlock: break;
      case Channel::Read::Eof: lost = ECONNRESET; break;
      case Channel::Read::Error: lost = errno != 0 ? errno : ECONNRESET; break;
    }
    if (lost != 0) {
      io_.feed(session_);  // what came before the close still counts (a final GOAWAY...)
      pumpStreams();
      break;
    }
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_) &&
        io_.outputEmpty()) {
      lost = ECONNRESET;
      break;
    }
    if (!progress) break;
  }
  in_drive_ = false;
  if (lost != 0 || closed_) {
    close(lost != 0 ? lost : close_error_);
    return;
  }
  if (rounds == kMaxRoundsPerCallback) io_.socket().activateLater();
}

// ---------------------------------------------------------------------------------------------
// nghttp2 callbacks (inside nghttp2_session_mem_recv, within drive()).

int H2ClientConnection::onBeginHeaders(nghttp2_session*, const nghttp2_frame*, void*) {
  return 0;
}

int H2ClientConnection::onHeader(nghttp2_session*, const nghttp2_frame* frame,
                                 const uint8_t* name, size_t namelen, const uint8_t* value,
                                 size_t valuelen, uint8_t, void* user_data) {
  auto* self = static_cast<H2ClientConnection*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2UpstreamStream* s = self->stream(frame->hd.stream_id);
  if (s == nullptr) return 0;
  s->onResponseField(std::string_view(reinterpret_cast<const char*>(name), namelen),
                     std::string_view(reinterpret_cast<const char*>(value), valuelen),
                     frame->headers.cat == NGHTTP2_HCAT_HEADERS);
  return 0;
}

int H2ClientConnection::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                                    void* user_data) {
  auto* self = static_cast<H2ClientConnection*>(user_data);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      H2UpstreamStream* s = self->stream(frame->hd.stream_id);
      if (s != nullptr) s->onResponseHeaders(end_stream);
      return 0;
    }
    case NGHTTP2_DATA: {
      H2UpstreamStream* s = self->stream(frame->hd.stream_id);
      if (s != nullptr && end_stream) s->onResponseEnd();
      return 0;
    }
    case NGHTTP2_GOAWAY:
      // No new streams here; those the backend took go on, the others are refused (reset).
      log::info("proxy", "backend-http2-goaway",
                {{"endpoint", self->address()},
                 {"error_code", std::to_string(frame->goaway.error_code)}});
      self->retire();
      return 0;
    default:
      return 0;
  }
}

int H2ClientConnection::onDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                                        const uint8_t* data, size_t len, void* user_data) {
  auto* self = static_cast<H2ClientConnection*>(user_data);
  H2UpstreamStream* s = self->stream(stream_id);
  if (s == nullptr) {
    nghttp2_session_consume(session, stream_id, len);
    return 0;
  }
  s->onResponseData(data, len);
  return 0;
}

int H2ClientConnection::onStreamClose(nghttp2_session* session, int32_t stream_id,
                                      uint32_t error_code, void* user_data) {
  auto* self = static_cast<H2ClientConnection*>(user_data);
  H2UpstreamStream* s = self->stream(stream_id);
  if (s == nullptr) return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  s->onClosed(error_code);
  // Freed by pumpStreams() once its session let go as well.
  self->wake();
  return 0;
}

}  // namespace foundry::router
