#pragma once
// Header blocks between HTTP/2 and HTTP/1.1, for the two bridges (h2_server_connection.h:
// HTTP/2 client -> HTTP/1.1 ClientSession; h2_upstream.h: ClientSession -> HTTP/2 backend).
//
// HTTP/2 has no connection-specific fields (RFC 9113 8.2.2): Connection, Keep-Alive,
// Proxy-Connection, Transfer-Encoding and Upgrade are dropped on the way in and never sent;
// TE is kept only as "trailers". Cookies arrive split into one field per pair and are joined
// with "; " for HTTP/1.1 (RFC 9113 8.2.3). Names go out lower-case.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "router/http2/h1_message_decoder.h"

namespace foundry::router {

// A request's header block as an HTTP/2 client sent it (pseudo-headers apart).
struct H2RequestHead {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  OwnedHeaders fields;  // regular fields in order, cookies excluded
  std::string cookie;   // every cookie field, joined
  bool has_content_length = false;
  // gorouter's size count (ROUTER-PROTOCOL.md 6.6): request line + Host + each field + 4.
  size_t counted_bytes = 0;

  // Adds one field from the block (name lower-case, as nghttp2 delivers it).
  void add(std::string_view name, std::string_view value);
};

// Writes the HTTP/1.1 request a ClientSession reads for `head`. `end_stream`: the client sent
// no body (HEADERS carried END_STREAM). A body of unknown length is announced as chunked (the
// bridge then chunk-encodes DATA); a Content-Length is passed on. False when a field cannot be
// written as HTTP/1.1 (CR, LF or NUL in it, a space in the path): the stream is refused.
bool writeH1Request(const H2RequestHead& head, bool end_stream, std::string* out);

// Whether a field must not appear in HTTP/2 (connection-specific; case-insensitive).
bool isConnectionSpecific(std::string_view name);

// An nghttp2 header list with storage for its lower-cased names and its values.
class NvList {
 public:
  void add(std::string_view name, std::string_view value);
  const nghttp2_nv* data() const { return nv_.data(); }
  size_t size() const { return nv_.size(); }
  // Rebuilds the pointers after the strings moved (call once, after the last add()).
  void seal();

 private:
  std::vector<std::string> strings_;
  std::vector<nghttp2_nv> nv_;
};

// ":status" and the response fields for an HTTP/2 client, from an HTTP/1.1 response head.
void h2ResponseFields(const DecodedHead& head, NvList* out);
// Trailer fields (connection-specific ones dropped).
void h2TrailerFields(const OwnedHeaders& trailers, NvList* out);
// ":method", ":scheme", ":authority" (from Host), ":path" and the fields for an HTTP/2 backend,
// from the HTTP/1.1 request a ClientSession wrote.
void h2RequestFields(const DecodedHead& head, std::string_view scheme, NvList* out);

// The HTTP/1.1 head a ClientSession reads for an HTTP/2 backend's response. `fields` are what
// the backend sent (":status" apart). `end_stream`: the response has no body (HEADERS carried
// END_STREAM). Without a Content-Length the body is announced chunked so that trailers (gRPC's
// grpc-status) can follow it; `no_body` (a response to HEAD, 204, 304) gets no framing at all.
void writeH1Response(int status, const OwnedHeaders& fields, bool end_stream, bool no_body,
                     bool* chunked, std::string* out);
// The end of a chunked body with its trailers.
void writeH1ChunkedEnd(const OwnedHeaders& trailers, std::string* out);
// A chunk's size line.
void writeChunkHeader(size_t len, std::string* out);

}  // namespace foundry::router
