#pragma once
// Incremental HTTP/1.x message framing on top of nodejs/http-parser.
//
// The proxy never re-encodes bodies: it forwards the bytes it received. So it needs to know
// (a) the head's fields, to rewrite the head, and (b) exactly where each message ends, so the
// next message on a keep-alive connection starts at the right byte. MessageParser gives both:
// parseHead() takes one complete head (found with findHeadEnd), then feedBody() is given the
// raw bytes that follow and says how many of them belong to this message.

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace foundry::router {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// A parsed head. The views point into the caller's buffer and are valid only while it is.
struct MessageHead {
  // Request line.
  std::string_view method;
  std::string_view target;
  // Response line.
  int status = 0;
  int http_major = 1;
  int http_minor = 1;
  std::vector<HeaderField> headers;

  bool keep_alive = false;  // http_should_keep_alive: version + Connection header
  bool upgrade = false;     // Connection: upgrade + Upgrade (request) or a 101 (response)
  bool chunked = false;
  bool has_content_length = false;
  uint64_t content_length = 0;

  void clear();
  // First value of a header (case-insensitive name), or "" with *found false.
  std::string_view find(std::string_view name, bool* found = nullptr) const;
};

// Returns the offset just past the blank line ending a head ("\r\n\r\n" or "\n\n") in
// data[0, len), searching from `from` (pass the previous len minus 3 when data grows), or 0 when
// the head is not complete yet.
size_t findHeadEnd(const char* data, size_t len, size_t from);

class MessageParser {
 public:
  enum class Type { Request, Response };

  // Prepares for a new message. For a response to HEAD (or any request whose response has no
  // body by definition), pass skip_body = true.
  void reset(Type type, bool skip_body = false);

  // Parses a complete head (data[0, len) ends with the blank line). Returns false on malformed
  // input. Afterwards messageComplete() is true when the message has no body.
  bool parseHead(const char* data, size_t len, MessageHead* head);

  // Feeds body bytes. Returns how many bytes of data[0, len) belong to this message (all of them
  // unless the message ended inside), or -1 on a framing error. Once the message is complete it
  // consumes nothing.
  long feedBody(const char* data, size_t len);

  // The body is delimited by the connection closing (a response without length or chunking).
  bool bodyUntilEof() const;
  // Call on EOF: completes an EOF-delimited body.
  void finishAtEof();

  bool messageComplete() const { return complete_; }
  // Body bytes still expected for a Content-Length body (0 for chunked or EOF-delimited ones).
  uint64_t remainingContentLength() const;
  // The caller moved the rest of a Content-Length body itself (splice): the message is done.
  void markComplete() { complete_ = true; }
  const char* errorName() const;

 private:
  static int onMessageBegin(http_parser* p);
  static int onUrl(http_parser* p, const char* at, size_t len);
  static int onStatus(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onMessageComplete(http_parser* p);
  static const http_parser_settings kSettings;

  http_parser parser_{};
  MessageHead* head_ = nullptr;
  bool skip_body_ = false;
  bool complete_ = false;
  bool in_value_ = false;
  bool malformed_ = false;
  bool began_ = false;  // a start line was seen (http-parser silently skips bare empty lines)
  bool headers_done_ = false;  // on_headers_complete ran: the head really ended
  bool until_eof_ = false;     // decided at the head: body delimited by the connection closing
};

}  // namespace foundry::router
