#pragma once
// One request to an HTTP/2 backend: the far end of a ClientSession's upstream MemoryLink (see
// h2_upstream.h). Request: the session's HTTP/1.1 bytes are decoded (H1MessageDecoder) and
// submitted as HEADERS, DATA and trailers once the connection is ready. Response: the backend's
// frames are written back as an HTTP/1.1 response (interim 1xx heads relayed; chunked with
// trailers unless the backend gave a content-length); DATA is acknowledged to the backend only
// as the session reads it. Owned by its H2ClientConnection; freed once both the session has let
// go of the link and the HTTP/2 stream is closed (or was never opened). Worker thread only.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "router/http2/h1_message_decoder.h"
#include "router/proxy/io_buffer.h"
#include "router/proxy/memory_link.h"

namespace foundry::router {

class H2ClientConnection;

class H2UpstreamStream final : public LinkPeer {
 public:
  // Creates the link (reporting "connecting" until connectDone()); the session's channel opens
  // on link().
  H2UpstreamStream(H2ClientConnection& connection, LocalTasks& tasks, size_t link_capacity);
  ~H2UpstreamStream();
  H2UpstreamStream(const H2UpstreamStream&) = delete;
  H2UpstreamStream& operator=(const H2UpstreamStream&) = delete;

  MemoryLink* link() { return link_; }
  // Moves the session's request to nghttp2 and acknowledges response bytes it read. Returns
  // false when the stream is done with and may be freed.
  bool pump();

  // The connection is ready for streams (0), or failed (an errno value): the session hears it
  // as its connect result.
  void connectDone(int result);
  // The connection is lost: the session reads `err`.
  void connectionLost(int err);

  // nghttp2 client callbacks for this stream.
  void onResponseField(std::string_view name, std::string_view value, bool trailer);
  void onResponseHeaders(bool end_stream);
  void onResponseData(const uint8_t* data, size_t len);
  void onResponseEnd();
  void onClosed(uint32_t error_code);
  ssize_t readRequestBody(uint8_t* buf, size_t length, uint32_t* data_flags);

  // LinkPeer
  void onLinkEvent() override;

  // The connection's list.
  H2UpstreamStream* prev_ = nullptr;
  H2UpstreamStream* next_ = nullptr;

 private:
  bool submitRequest();
  void fail(int err);

  H2ClientConnection& connection_;
  MemoryLink* link_;
  int32_t stream_id_ = -1;  // -1: not submitted
  bool h2_closed_ = false;  // nghttp2 closed the stream
  bool cancelled_ = false;  // RST_STREAM sent because the session let go

  // Request.
  H1MessageDecoder request_{H1MessageDecoder::Type::Request};
  IoBuffer request_body_;
  bool data_deferred_ = false;
  bool head_request_ = false;

  // Response.
  int status_ = 0;
  OwnedHeaders fields_;
  OwnedHeaders trailers_;
  size_t field_bytes_ = 0;
  bool head_written_ = false;
  bool chunked_ = false;
  bool response_done_ = false;
  size_t unconsumed_ = 0;  // DATA bytes written to the link the session has not read
};

}  // namespace foundry::router
