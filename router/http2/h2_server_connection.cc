#include "router/http2/h2_server_connection.h"

#include <errno.h>
#include <sys/uio.h>

#include "common/log/log.h"
#include "router/common/clock.h"
#include "router/http2/h2_server_stream.h"
#include "router/tls/pem.h"

namespace foundry::router {
namespace {

// Per-stream receive window: request body bytes a client may send ahead of the session.
constexpr int32_t kStreamWindow = 256 * 1024;
// Connection receive window: request body bytes in flight over all streams.
constexpr int32_t kConnectionWindow = 1024 * 1024;
// Passes through drive() before yielding to other connections.
constexpr int kMaxRoundsPerCallback = 32;
// Frame payload nghttp2 accepts by default (SETTINGS_MAX_FRAME_SIZE, which we never raise).
constexpr size_t kMaxFramePayload = 16 * 1024;

// CONTINUATION frames one header block may have: a block of max_request_header_bytes in full
// frames, and some slack (clients fill frames before continuing; an endless run of tiny frames
// is the CONTINUATION flood).
size_t maxContinuations(const Config& config) {
  return config.max_request_header_bytes / kMaxFramePayload + 8;
}

nghttp2_session_callbacks* makeCallbacks() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  return callbacks;
}

}  // namespace

void startHttp2(Worker& worker, Channel& from, const std::string& client_ip, uint16_t client_port,
                const char* data, size_t len, bool tls) {
  auto* connection = new H2ServerConnection(worker, client_ip, client_port, tls);
  worker.addHttp2Connection(connection);
  connection->start(from, data, len);
}

H2ServerConnection::H2ServerConnection(Worker& worker, const std::string& client_ip,
                                       uint16_t client_port, bool tls)
    : worker_(worker), client_ip_(client_ip), client_port_(client_port), tls_(tls) {
  worker_.stats().active_sessions.fetch_add(1, std::memory_order_relaxed);
  if (worker_.uring() != nullptr) {
    deadline_.on_expire = &onTimer;
    deadline_.owner = this;
  } else {
    evtimer_assign(&timer_, worker_.base(), &onEpollTimer, this);
  }
}

H2ServerConnection::~H2ServerConnection() {
  while (streams_ != nullptr) {
    H2ServerStream* s = streams_;
    removeStream(s);
    delete s;  // ends its session
  }
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (worker_.uring() != nullptr) {
    deadline_.cancel();
  } else {
    event_del(&timer_);
  }
  io_.socket().close();
  worker_.stats().active_sessions.fetch_sub(1, std::memory_order_relaxed);
  worker_.http2ConnectionClosed(this);
}

const std::string& H2ServerConnection::clientCertificate() {
  if (!client_cert_read_ && io_.socket().tls() != nullptr) {
    client_cert_b64_ = tls::peerCertificateBase64(io_.socket().tls()->ssl());
  }
  client_cert_read_ = true;
  return client_cert_b64_;
}

void H2ServerConnection::start(Channel& from, const char* data, size_t len) {
  from.transferTo(io_.socket(), this);
  if (len > 0) {
    std::memcpy(io_.input().writable(len), data, len);
    io_.input().commit(len);
  }
  const Config& config = worker_.config();

  static nghttp2_session_callbacks* const callbacks = [] {
    nghttp2_session_callbacks* cb = makeCallbacks();
    nghttp2_session_callbacks_set_on_begin_frame_callback(cb, &onBeginFrame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &onDataChunkRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &onStreamClose);
    return cb;
  }();
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Windows are given back as sessions read request bytes, not as nghttp2 receives them.
  nghttp2_option_set_no_auto_window_update(option, 1);
  // Our own limit (countReset) answers rapid resets with ENHANCE_YOUR_CALM; nghttp2's must not
  // trip first.
  const uint64_t resets = config.http2_max_resets_per_second;
  nghttp2_option_set_stream_reset_rate_limit(option, resets * 10, resets);
  // onBeginFrame bounds CONTINUATION frames (count and bytes) itself, with ENHANCE_YOUR_CALM;
  // nghttp2's own count is only a backstop, far above ours: this build counts a frame again
  // when it arrives split over reads, so a legitimate block read in small pieces would trip it.
  nghttp2_option_set_max_continuations(option, maxContinuations(config) * 16);
  nghttp2_option_set_max_send_header_block_length(option, 1024 * 1024 + 64 * 1024);
  nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, config.http2_max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(config.max_request_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          sizeof settings / sizeof settings[0]);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  updateTimer();
  if (worker_.draining()) beginDrain();
  drive();
}

void H2ServerConnection::abort() {
  closed_ = true;
  if (!in_drive_) delete this;
}

void H2ServerConnection::beginDrain() {
  if (drain_stage_ != 0 || closed_) return;
  drain_stage_ = 1;
  nghttp2_submit_shutdown_notice(session_);
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  wake();
}

void H2ServerConnection::wake() {
  if (!in_drive_) worker_.localTasks().post(this);
}

H2ServerStream* H2ServerConnection::stream(int32_t id) {
  return static_cast<H2ServerStream*>(nghttp2_session_get_stream_user_data(session_, id));
}

void H2ServerConnection::removeStream(H2ServerStream* s) {
  if (s->prev_ != nullptr) {
    s->prev_->next_ = s->next_;
  } else {
    streams_ = s->next_;
  }
  if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
  s->prev_ = s->next_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// The loop: input to nghttp2, streams' progress, nghttp2's output to the socket.

void H2ServerConnection::drive() {
  if (closed_) {
    if (!in_drive_) delete this;
    return;
  }
  in_drive_ = true;
  cancelTask();  // whatever posted it, this pass covers it
  int rounds = 0;
  for (; rounds < kMaxRoundsPerCallback && !closed_; ++rounds) {
    bool progress = !io_.input().empty();
    const int rv = io_.feed(session_);
    if (rv < 0) {
      log::info("http2", "http2-connection-error",
                {{"client", client_ip_}, {"error", nghttp2_strerror(rv)}});
      // A protocol error nghttp2 did not answer itself (bad preface, a flood): say goodbye.
      nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
      peer_gone_ = true;  // read nothing more
    }
    pumpStreams();
    const int sent = io_.fill(session_, [this] { pumpStreams(); });
    if (sent < 0) {
      log::info("http2", "http2-send-failed", {{"error", nghttp2_strerror(sent)}});
      closed_ = true;
      break;
    }
    bool failed = false;
    if (!(peer_gone_ && !io_.socket().writable)) progress |= io_.flush(&failed);
    if (failed) {
      closed_ = true;
      break;
    }
    progress |= readInput();
    const bool done = !nghttp2_session_want_read(session_) &&
                      !nghttp2_session_want_write(session_) && io_.outputEmpty();
    if (done || (peer_gone_ && (io_.outputEmpty() || !io_.socket().writable) && !progress)) {
      closed_ = true;
      break;
    }
    if (!progress) break;
  }
  in_drive_ = false;
  if (closed_) {
    delete this;
    return;
  }
  if (rounds == kMaxRoundsPerCallback) io_.socket().activateLater();
  updateTimer();
}

void H2ServerConnection::pumpStreams() {
  for (H2ServerStream* s = streams_; s != nullptr;) {
    H2ServerStream* next = s->next_;
    s->pump();
    s = next;
  }
}

bool H2ServerConnection::readInput() {
  if (peer_gone_ || !nghttp2_session_want_read(session_)) return false;
  switch (io_.read()) {
    case Channel::Read::Progress: return true;
    case Channel::Read::WouldBlock: return false;
    case Channel::Read::Eof:
    case Channel::Read::Error:
      // The client is gone: every stream's session is cancelled with the connection.
      peer_gone_ = true;
      closed_ = true;
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Timers.

void H2ServerConnection::updateTimer() {
  TimerKind want = TimerKind::None;
  for (H2ServerStream* s = streams_; s != nullptr; s = s->next_) {
    if (!s->started()) {
      want = TimerKind::Header;  // a header block left incomplete
      break;
    }
  }
  if (want == TimerKind::None && open_streams_ == 0) {
    // Before the first request, the preface and the first header block are due within the
    // header timeout; later, an idle connection may wait for the idle timeout.
    want = nghttp2_session_get_last_proc_stream_id(session_) == 0 ? TimerKind::Header
                                                                  : TimerKind::Idle;
  }
  if (want == timer_kind_) return;
  timer_kind_ = want;
  const bool uring = worker_.uring() != nullptr;
  if (want == TimerKind::None) {
    if (uring) {
      deadline_.cancel();
    } else {
      event_del(&timer_);
    }
    return;
  }
  const Worker::Timeout t = want == TimerKind::Header ? Worker::Timeout::Header
                                                      : Worker::Timeout::Idle;
  if (uring) {
    worker_.armDeadline(&deadline_, t);
  } else {
    evtimer_add(&timer_, worker_.timeoutValue(t));
  }
}

void H2ServerConnection::onTimer(void* arg) {
  static_cast<H2ServerConnection*>(arg)->onTimeout();
}

void H2ServerConnection::onEpollTimer(evutil_socket_t, short, void* arg) { onTimer(arg); }

void H2ServerConnection::onTimeout() {
  const TimerKind kind = timer_kind_;
  timer_kind_ = TimerKind::None;
  if (kind == TimerKind::None) return;
  if (kind == TimerKind::Header) {
    log::info("http2", "http2-header-timeout", {{"client", client_ip_}});
  }
  // Either way the connection goes: say so, and close once GOAWAY is out (or the client is
  // too slow to take even that: then the socket is simply closed).
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  peer_gone_ = true;
  drive();
}

// ---------------------------------------------------------------------------------------------
// nghttp2 callbacks (run inside nghttp2_session_mem_recv, within drive()).

void H2ServerConnection::enhanceYourCalm(const char* why) {
  log::warn("http2", why, {{"client", client_ip_ + ":" + std::to_string(client_port_)}});
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

void H2ServerConnection::countReset() {
  const int64_t now = monotonicNanos();
  if (now - reset_window_start_ns_ >= kNanosPerSecond) {
    reset_window_start_ns_ = now;
    resets_in_window_ = 0;
  }
  if (++resets_in_window_ == worker_.config().http2_max_resets_per_second + 1) {
    enhanceYourCalm("http2-rapid-reset");
  }
}

int H2ServerConnection::onBeginFrame(nghttp2_session*, const nghttp2_frame_hd* hd,
                                     void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  if (hd->type == NGHTTP2_HEADERS) {
    self->header_block_bytes_ = hd->length;
    self->header_block_frames_ = 1;
  } else if (hd->type == NGHTTP2_CONTINUATION) {
    self->header_block_bytes_ += hd->length;
    ++self->header_block_frames_;
  } else {
    return 0;
  }
  const Config& config = self->worker_.config();
  // The encoded block is about as large as the decoded one (HPACK only shrinks fields it has
  // seen); one frame of slack for framing overhead and padding.
  if (self->header_block_bytes_ > config.max_request_header_bytes + kMaxFramePayload) {
    self->enhanceYourCalm("http2-header-block-too-large");
  } else if (self->header_block_frames_ > maxContinuations(config) + 1) {
    self->enhanceYourCalm("http2-continuation-flood");
  }
  return 0;
}

int H2ServerConnection::onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                       void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* s = new H2ServerStream(*self, frame->hd.stream_id);
  s->next_ = self->streams_;
  if (self->streams_ != nullptr) self->streams_->prev_ = s;
  self->streams_ = s;
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
  return 0;
}

int H2ServerConnection::onHeader(nghttp2_session*, const nghttp2_frame* frame,
                                 const uint8_t* name, size_t namelen, const uint8_t* value,
                                 size_t valuelen, uint8_t, void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2ServerStream* s = self->stream(frame->hd.stream_id);
  if (s == nullptr) return 0;
  s->addField(std::string_view(reinterpret_cast<const char*>(name), namelen),
              std::string_view(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

int H2ServerConnection::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                                    void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      H2ServerStream* s = self->stream(frame->hd.stream_id);
      if (s == nullptr) return 0;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        ++self->open_streams_;
        s->start(end_stream);
      } else if (end_stream) {
        s->onRequestEnd();  // trailers
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      H2ServerStream* s = self->stream(frame->hd.stream_id);
      if (s != nullptr && end_stream) s->onRequestEnd();
      return 0;
    }
    case NGHTTP2_RST_STREAM:
      self->countReset();
      return 0;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0 && self->drain_stage_ == 1) {
        // The client has seen the shutdown notice: name the last stream we will serve.
        self->drain_stage_ = 2;
        nghttp2_submit_goaway(self->session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(self->session_),
                              NGHTTP2_NO_ERROR, nullptr, 0);
      }
      return 0;
    default:
      return 0;
  }
}

int H2ServerConnection::onDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                                        const uint8_t* data, size_t len, void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  H2ServerStream* s = self->stream(stream_id);
  if (s == nullptr) {
    nghttp2_session_consume(session, stream_id, len);
    return 0;
  }
  s->onData(data, len);
  return 0;
}

int H2ServerConnection::onStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t,
                                      void* user_data) {
  auto* self = static_cast<H2ServerConnection*>(user_data);
  H2ServerStream* s = self->stream(stream_id);
  if (s == nullptr) return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  if (s->started() && self->open_streams_ > 0) --self->open_streams_;
  self->removeStream(s);
  s->close();
  delete s;
  return 0;
}

}  // namespace foundry::router
