#include "router/http2/h2_server_stream.h"

#include <errno.h>

#include "router/http/router_error.h"
#include "router/http2/h2_server_connection.h"
#include "router/proxy/client_session.h"

namespace foundry::router {
namespace {

// What the session may write to the link before the stream takes it, and how much decoded body
// may wait for the client's window: together the response memory of one stream.
constexpr size_t kLinkCapacity = 32 * 1024;
constexpr size_t kResponseBodyCap = 32 * 1024;

}  // namespace

H2ServerStream::H2ServerStream(H2ServerConnection& connection, int32_t id)
    : connection_(connection), id_(id) {}

H2ServerStream::~H2ServerStream() { endSession(); }

void H2ServerStream::addField(std::string_view name, std::string_view value) {
  const size_t limit = connection_.worker().config().max_request_header_bytes;
  if (started_) {
    trailer_bytes_ += name.size() + value.size() + 4;
    if (trailer_bytes_ <= limit && request_chunked_) {
      request_trailers_.emplace_back(std::string(name), std::string(value));
    }
    return;
  }
  if (too_large_) return;
  // Only the count goes on once the block is known to be too large: its memory stays bounded.
  request_.add(name, value);
  if (request_.counted_bytes + request_.method.size() + request_.path.size() + 12 > limit) {
    too_large_ = true;
    request_ = H2RequestHead{};
  }
}

void H2ServerStream::start(bool end_stream) {
  started_ = true;
  request_ended_ = end_stream;
  if (too_large_) {
    respondLocally(renderRouterError(RouterError::HeaderTooLarge, "", "", false));
    return;
  }
  std::string head;
  if (request_.method == "CONNECT" || !writeH1Request(request_, end_stream, &head)) {
    respondLocally(renderRouterError(RouterError::BadRequest, request_.authority, "", false));
    return;
  }
  request_chunked_ = !end_stream && !request_.has_content_length;
  response_ = std::make_unique<H1MessageDecoder>(H1MessageDecoder::Type::Response,
                                                 request_.method == "HEAD");
  request_ = H2RequestHead{};  // written out: not needed any more
  Worker& worker = connection_.worker();
  link_ = MemoryLink::create(worker.localTasks(), this, kLinkCapacity);
  session_ = new ClientSession(worker, link_,
                               {.client_ip = connection_.clientIp(),
                                .client_port = connection_.clientPort(),
                                .address_fd = connection_.socketFd(),
                                .tls = connection_.tls(),
                                .client_cert_b64 = connection_.clientCertificate()});
  link_->write(head.data(), head.size());
}

void H2ServerStream::onData(const uint8_t* data, size_t len) {
  nghttp2_session* session = connection_.session();
  if (link_ == nullptr || link_->channelClosed() || len == 0) {
    // Nobody reads it (answered locally, or the session is done): give the window back now.
    nghttp2_session_consume(session, id_, len);
    return;
  }
  if (request_chunked_) {
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

void H2ServerStream::onRequestEnd() {
  request_ended_ = true;
  if (link_ == nullptr || link_->channelClosed() || !request_chunked_) return;
  std::string end;
  writeH1ChunkedEnd(request_trailers_, &end);
  request_trailers_.clear();
  link_->write(end.data(), end.size());
}

void H2ServerStream::close() {
  finished_ = true;
  endSession();
}

void H2ServerStream::endSession() {
  if (link_ == nullptr) return;
  if (!link_->channelClosed()) {
    // The client reset the stream (or the connection is going) while the request was being
    // served: cancel it, backend request included, instead of letting it run to its end.
    session_->abort();
  }
  session_ = nullptr;
  link_->detachPeer(ECONNRESET);
  link_ = nullptr;
}

void H2ServerStream::onLinkEvent() { connection_.wake(); }

void H2ServerStream::respondLocally(const std::string& response) {
  local_response_ = true;
  response_ = std::make_unique<H1MessageDecoder>(H1MessageDecoder::Type::Response, false);
  size_t consumed = 0;
  decodeResponse(response.data(), response.size(), &consumed);
  if (!finished_ && !response_->complete()) response_->finish();
}

void H2ServerStream::decodeResponse(const char* data, size_t len, size_t* consumed) {
  const long n = response_->feed(data, len, &response_body_);
  if (n < 0) {
    resetStream(NGHTTP2_INTERNAL_ERROR);
    *consumed = len;
    return;
  }
  *consumed = static_cast<size_t>(n);
}

void H2ServerStream::pump() {
  if (finished_ || !started_) return;
  nghttp2_session* session = connection_.session();
  if (link_ != nullptr) {
    // Request side: the session read what it was given, so the client may send more.
    if (unconsumed_ > 0 && (link_->unread() == 0 || link_->channelClosed())) {
      nghttp2_session_consume(session, id_, unconsumed_);
      unconsumed_ = 0;
    }
    // Response side.
    IoBuffer& in = link_->fromChannel();
    // Once the session is done, whatever it left is decoded at once (it is at most the link's
    // capacity): whether the response is complete must not wait for a client's window.
    if (!in.empty() && !response_->complete() &&
        (response_body_.size() < kResponseBodyCap || link_->channelFinished())) {
      size_t consumed = 0;
      decodeResponse(in.data(), in.size(), &consumed);
      if (finished_) return;
      in.consume(consumed);
      if (response_->complete()) in.clear();  // nothing may follow the response
      link_->consumed();
    }
    if (link_->channelFinished() && in.empty() && !response_->complete() &&
        !response_->finish()) {
      // The session ended before the response did: the backend died mid-body (the session
      // already answered 502 if it died before the head), or the session gave up.
      resetStream(NGHTTP2_INTERNAL_ERROR);
      return;
    }
  }
  if (!response_submitted_ && response_->headDone()) submitResponse();
  if (finished_) return;
  if (response_submitted_ && data_deferred_ &&
      (!response_body_.empty() || response_->complete())) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session, id_);
  }
  if (response_->complete() && link_ != nullptr && link_->channelClosed()) {
    link_->detachPeer(0);
    link_ = nullptr;
    session_ = nullptr;
  }
}

void H2ServerStream::submitResponse() {
  response_submitted_ = true;
  NvList fields;
  h2ResponseFields(response_->head(), &fields);
  const bool has_body =
      response_->bodyExpected() && !(response_->complete() && response_body_.empty() &&
                                     response_->trailers().empty());
  nghttp2_session* session = connection_.session();
  int rv;
  if (has_body) {
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* data_flags, nghttp2_data_source* source,
                                void*) -> ssize_t {
      return static_cast<H2ServerStream*>(source->ptr)->readResponseBody(buf, length, data_flags);
    };
    rv = nghttp2_submit_response(session, id_, fields.data(), fields.size(), &provider);
  } else {
    rv = nghttp2_submit_response(session, id_, fields.data(), fields.size(), nullptr);
  }
  if (rv != 0) {
    resetStream(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  if (!has_body && !request_ended_) {
    // Answered before the client finished sending (a 4xx to an upload): tell it to stop.
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
  }
}

ssize_t H2ServerStream::readResponseBody(uint8_t* buf, size_t length, uint32_t* data_flags) {
  const size_t n = response_body_.size() < length ? response_body_.size() : length;
  if (n > 0) {
    std::memcpy(buf, response_body_.data(), n);
    response_body_.consume(n);
    connection_.wake();  // room for more: pull from the link
  }
  if (response_body_.empty() && response_->complete()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    NvList trailers;
    h2TrailerFields(response_->trailers(), &trailers);
    if (trailers.size() > 0 &&
        nghttp2_submit_trailer(connection_.session(), id_, trailers.data(), trailers.size()) ==
            0) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    if (!request_ended_) {
      nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    data_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void H2ServerStream::resetStream(uint32_t error_code) {
  finished_ = true;
  nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_, error_code);
  endSession();
}

}  // namespace foundry::router
