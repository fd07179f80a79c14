#pragma once
// One HTTP/2 stream from a client, bridged to a ClientSession (see h2_server_connection.h for
// why streams are converted to HTTP/1.1 rather than proxied by code of their own).
//
// Request: the header block is collected (bounded by max_request_header_bytes), written as an
// HTTP/1.1 head to a MemoryLink, and a ClientSession is started on the link's other end; DATA
// follows as is (Content-Length) or chunk-encoded, and trailers end a chunked body. The client
// may send more only once the session has read what it sent (the stream's window is given back
// then), so a slow backend throttles an upload.
// Response: the session's HTTP/1.1 response is decoded (H1MessageDecoder) into HEADERS, DATA
// and trailing HEADERS. The session may write only as far as the link's buffer and the decoded
// body buffer have room, and DATA leaves only as the client's window allows, so a slow client
// throttles the backend.
// A response cut short (the backend died mid-body) resets the stream (RST_STREAM
// INTERNAL_ERROR); other streams go on. Worker thread only.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "router/http2/h1_message_decoder.h"
#include "router/http2/h2_headers.h"
#include "router/proxy/io_buffer.h"
#include "router/proxy/memory_link.h"

namespace foundry::router {

class ClientSession;
class H2ServerConnection;

class H2ServerStream final : public LinkPeer {
 public:
  H2ServerStream(H2ServerConnection& connection, int32_t id);
  ~H2ServerStream();
  H2ServerStream(const H2ServerStream&) = delete;
  H2ServerStream& operator=(const H2ServerStream&) = delete;

  int32_t id() const { return id_; }
  // The request's header block was complete (the stream is served, not being opened).
  bool started() const { return started_; }

  // A field of the request's header block, or of its trailers once started().
  void addField(std::string_view name, std::string_view value);
  // The header block ended: starts the session, or answers at once (431 for a block over the
  // limit, 400 for a request HTTP/1.1 cannot carry). `end_stream`: no body follows.
  void start(bool end_stream);
  // A DATA frame's payload.
  void onData(const uint8_t* data, size_t len);
  // The client ended its side (END_STREAM on DATA or on trailers).
  void onRequestEnd();
  // nghttp2 closed the stream (done, reset by either side, or the connection is going): a
  // session still running is ended (its backend request is cancelled).
  void close();

  // Moves the session's response through the decoder into frames, and gives the client window
  // back for request bytes the session took. Called by the connection before it sends.
  void pump();
  // nghttp2's data source read callback for this stream's response body.
  ssize_t readResponseBody(uint8_t* buf, size_t length, uint32_t* data_flags);

  // LinkPeer
  void onLinkEvent() override;

  // The connection's list of streams.
  H2ServerStream* prev_ = nullptr;
  H2ServerStream* next_ = nullptr;

 private:
  void respondLocally(const std::string& response);
  void decodeResponse(const char* data, size_t len, size_t* consumed);
  void submitResponse();
  void resetStream(uint32_t error_code);
  void endSession();

  H2ServerConnection& connection_;
  const int32_t id_;
  bool started_ = false;

  // Request.
  H2RequestHead request_;
  OwnedHeaders request_trailers_;
  size_t trailer_bytes_ = 0;
  bool too_large_ = false;
  bool request_chunked_ = false;
  bool request_ended_ = false;
  size_t unconsumed_ = 0;  // DATA bytes handed to the link that the session has not read yet

  // The session and the link to it (null once both are done with).
  MemoryLink* link_ = nullptr;
  ClientSession* session_ = nullptr;  // valid while link_ && !link_->channelClosed()

  // Response.
  std::unique_ptr<H1MessageDecoder> response_;
  IoBuffer response_body_;
  bool local_response_ = false;  // answered by the stream itself, no session
  bool response_submitted_ = false;
  bool data_deferred_ = false;  // the data source said DEFERRED: resume when there is more
  bool finished_ = false;       // the response is complete or the stream was reset
};

}  // namespace foundry::router
