#include "router/http2/h2_upstream_stream.h"

#include <errno.h>

#include "router/http2/h2_client_connection.h"
#include "router/http2/h2_headers.h"
#include "router/proxy/worker.h"

namespace foundry::router {
namespace {

// Decoded request body held for the backend's window.
constexpr size_t kRequestBodyCap = 64 * 1024;
// A response head (and trailers) larger than this is refused like an HTTP/1.1 one (1 MiB).
constexpr size_t kMaxResponseFieldBytes = 1024 * 1024;

}  // namespace

H2UpstreamStream::H2UpstreamStream(H2ClientConnection& connection, LocalTasks& tasks,
                                   size_t link_capacity)
    : connection_(connection),
      link_(MemoryLink::create(tasks, this, link_capacity, /*connected=*/false)) {}

H2UpstreamStream::~H2UpstreamStream() {
  if (link_ != nullptr) link_->detachPeer(ECONNRESET);
}

void H2UpstreamStream::onLinkEvent() { connection_.wake(); }

void H2UpstreamStream::connectDone(int result) { link_->setConnectResult(result); }

void H2UpstreamStream::connectionLost(int err) {
  if (link_->connectResult() < 0) {
    link_->setConnectResult(err);
  } else if (!response_done_) {
    link_->abort(err);
  }
  h2_closed_ = true;
}

void H2UpstreamStream::fail(int err) {
  if (stream_id_ > 0 && !h2_closed_) {
    nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, stream_id_,
                              NGHTTP2_INTERNAL_ERROR);
  }
  link_->abort(err);
  response_done_ = true;
}

bool H2UpstreamStream::pump() {
  if (link_->channelClosed()) {
    // The session let go (done, or it gave up): cancel what the backend is still doing.
    if (stream_id_ > 0 && !h2_closed_ && !cancelled_) {
      cancelled_ = true;
      nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, stream_id_,
                                NGHTTP2_CANCEL);
    }
    return stream_id_ > 0 && !h2_closed_;
  }
  if (!connection_.ready() || response_done_) return true;
  nghttp2_session* session = connection_.session();
  // Request: decode what the session wrote, up to what may wait for the backend's window.
  IoBuffer& in = link_->fromChannel();
  if (!in.empty() && !request_.complete() && request_body_.size() < kRequestBodyCap) {
    const long n = request_.feed(in.data(), in.size(), &request_body_);
    if (n < 0) {
      fail(EPROTO);
      return true;
    }
    in.consume(static_cast<size_t>(n));
    if (request_.complete()) in.clear();
    link_->consumed();
  }
  if (stream_id_ < 0 && request_.headDone() && !submitRequest()) return true;
  if (stream_id_ > 0 && data_deferred_ && (!request_body_.empty() || request_.complete())) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session, stream_id_);
  }
  // Response: the session read what we wrote, so the backend may send more.
  if (unconsumed_ > 0 && link_->unread() == 0 && stream_id_ > 0 && !h2_closed_) {
    nghttp2_session_consume(session, stream_id_, unconsumed_);
    unconsumed_ = 0;
  }
  return true;
}

bool H2UpstreamStream::submitRequest() {
  const DecodedHead& head = request_.head();
  head_request_ = head.method == "HEAD";
  NvList fields;
  h2RequestFields(head, "http", &fields);
  nghttp2_session* session = connection_.session();
  int32_t id;
  if (request_.bodyExpected()) {
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* data_flags, nghttp2_data_source* source,
                                void*) -> ssize_t {
      return static_cast<H2UpstreamStream*>(source->ptr)->readRequestBody(buf, length, data_flags);
    };
    id = nghttp2_submit_request(session, nullptr, fields.data(), fields.size(), &provider, this);
  } else {
    id = nghttp2_submit_request(session, nullptr, fields.data(), fields.size(), nullptr, this);
  }
  if (id < 0) {
    // Out of stream ids, or the connection is going away: a reset the session may retry.
    link_->abort(ECONNRESET);
    response_done_ = true;
    return false;
  }
  stream_id_ = id;
  return true;
}

ssize_t H2UpstreamStream::readRequestBody(uint8_t* buf, size_t length, uint32_t* data_flags) {
  const size_t n = request_body_.size() < length ? request_body_.size() : length;
  if (n > 0) {
    std::memcpy(buf, request_body_.data(), n);
    request_body_.consume(n);
    connection_.wake();  // room: decode more of what the session sent
  }
  if (request_body_.empty() && request_.complete()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    NvList trailers;
    h2TrailerFields(request_.trailers(), &trailers);
    if (trailers.size() > 0 &&
        nghttp2_submit_trailer(connection_.session(), stream_id_, trailers.data(),
                               trailers.size()) == 0) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    data_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void H2UpstreamStream::onResponseField(std::string_view name, std::string_view value,
                                       bool trailer) {
  field_bytes_ += name.size() + value.size() + 4;
  if (field_bytes_ > kMaxResponseFieldBytes) return;  // onResponseHeaders refuses it
  if (name == ":status") {
    status_ = 0;
    for (char c : value) status_ = status_ * 10 + (c - '0');
    return;
  }
  if (!name.empty() && name[0] == ':') return;
  (trailer ? trailers_ : fields_).emplace_back(std::string(name), std::string(value));
}

void H2UpstreamStream::onResponseHeaders(bool end_stream) {
  if (response_done_) return;
  if (field_bytes_ > kMaxResponseFieldBytes) {
    fail(EMSGSIZE);
    return;
  }
  if (head_written_) {
    // Trailers: the end of the body.
    if (end_stream) onResponseEnd();
    return;
  }
  std::string out;
  if (status_ >= 100 && status_ < 200) {
    // Interim (100 Continue, 103 Early Hints): relayed; the final head follows.
    bool ignored = false;
    writeH1Response(status_, fields_, false, true, &ignored, &out);
    link_->write(out.data(), out.size());
    fields_.clear();
    field_bytes_ = 0;
    return;
  }
  const bool no_body = head_request_ || status_ == 204 || status_ == 304;
  writeH1Response(status_, fields_, end_stream, no_body, &chunked_, &out);
  link_->write(out.data(), out.size());
  head_written_ = true;
  fields_.clear();
  field_bytes_ = 0;
  if (end_stream) response_done_ = true;
}

void H2UpstreamStream::onResponseData(const uint8_t* data, size_t len) {
  if (response_done_ || !head_written_ || len == 0) {
    nghttp2_session_consume(connection_.session(), stream_id_, len);
    return;
  }
  if (chunked_) {
    std::string size_line;
    writeChunkHeader(len, &size_line);
    link_->write(size_line.data(), size_line.size());
    link_->write(reinterpret_cast<const char*>(data), len);
    link_->write("\r\n", 2);
  } else {
    link_->write(reinterpret_cast<const char*>(data), len);
  }
  unconsumed_ += len;
}

void H2UpstreamStream::onResponseEnd() {
  if (response_done_ || !head_written_) return;
  response_done_ = true;
  if (chunked_) {
    std::string end;
    writeH1ChunkedEnd(trailers_, &end);
    link_->write(end.data(), end.size());
  }
  trailers_.clear();
}

void H2UpstreamStream::onClosed(uint32_t) {
  h2_closed_ = true;
  if (!response_done_) {
    // Reset by the backend (or refused after a GOAWAY) before the response ended: the session
    // sees a connection reset, answered or retried as for an HTTP/1.1 backend.
    response_done_ = true;
    link_->abort(ECONNRESET);
  }
}

}  // namespace foundry::router
