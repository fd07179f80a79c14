#pragma once
// Decodes one HTTP/1.x message (a request or a response) from bytes that arrive in pieces:
// the head with owned copies of its fields, the body without its chunked framing, and the
// trailers of a chunked body. The HTTP/2 bridges use it on what a ClientSession writes to a
// memory link (memory_link.h): the response to an HTTP/2 client's stream becomes HEADERS,
// DATA and trailing HEADERS; the request for an HTTP/2 backend becomes the same, the other way.
//
// Unlike MessageParser (router/http/message_parser.h), which only frames bytes that the proxy
// forwards untouched on its allocation-free HTTP/1.1 path, this one copies: an HTTP/2 stream
// must re-encode everything anyway.
//
// Interim responses (1xx other than 101) are decoded and skipped: the final response follows.

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "router/proxy/io_buffer.h"

namespace foundry::router {

using OwnedHeaders = std::vector<std::pair<std::string, std::string>>;

struct DecodedHead {
  // Requests.
  std::string method;
  std::string target;
  // Responses.
  int status = 0;
  std::string reason;
  OwnedHeaders headers;  // names as sent
  bool chunked = false;
  bool has_content_length = false;
  uint64_t content_length = 0;

  // First value of a header (case-insensitive name), or "".
  std::string_view find(std::string_view name) const;
};

class H1MessageDecoder {
 public:
  enum class Type { Request, Response };
  // A head beyond this is refused (the session limits heads long before: this only bounds
  // what a broken sender could make us hold).
  static constexpr size_t kMaxHeadBytes = 2 * 1024 * 1024;

  // `head_request`: a response to HEAD, so it has no body whatever its head says.
  explicit H1MessageDecoder(Type type, bool head_request = false);
  H1MessageDecoder(const H1MessageDecoder&) = delete;
  H1MessageDecoder& operator=(const H1MessageDecoder&) = delete;

  // Decodes data[0, len). Body bytes are appended to *body. Returns how many bytes belong to
  // the message (all of them unless it ended inside), or -1 on malformed input.
  long feed(const char* data, size_t len, IoBuffer* body);
  // The sender closed. Completes a body delimited by the close; false when the message was
  // cut short (no head yet, or a body that was announced longer / chunked and not finished).
  bool finish();

  // The (final) head was decoded; head() is valid from then on.
  bool headDone() const { return head_done_; }
  const DecodedHead& head() const { return head_; }
  // The whole message, trailers included, was decoded.
  bool complete() const { return complete_; }
  // A response whose body ends when the sender closes (no length, not chunked).
  bool bodyUntilEof() const { return until_eof_; }
  // Whether the message can have a body at all (false: HEAD responses, 204, 304, and requests
  // or responses that said Content-Length: 0).
  bool bodyExpected() const { return body_expected_; }
  const OwnedHeaders& trailers() const { return trailers_; }

 private:
  static int onMessageBegin(http_parser* p);
  static int onUrl(http_parser* p, const char* at, size_t len);
  static int onStatus(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);
  static const http_parser_settings kSettings;
  bool grow(size_t len);
  void restart();

  Type type_;
  bool head_request_;
  http_parser parser_{};
  DecodedHead head_;
  OwnedHeaders trailers_;
  IoBuffer* body_ = nullptr;
  size_t head_bytes_ = 0;
  bool in_value_ = false;
  bool head_done_ = false;
  bool interim_ = false;  // the head being decoded is a 1xx
  bool complete_ = false;
  bool until_eof_ = false;
  bool body_expected_ = true;
  bool failed_ = false;
};

}  // namespace foundry::router
