// Fuzz target: HTTP/1.x message framing (router/http/message_parser.h), driven the way
// ClientSession drives it (router/proxy/client_session.cc): the head is searched for with
// findHeadEnd on a buffer that grows by one read at a time (rescanning from len - 3), parsed
// with parseHead, then the bytes that follow are fed to feedBody read by read; on a keep-alive
// connection the next message starts right after. Requests and responses.
//
// Input: byte 0 is a flag set, the rest is what the peer sends.
//   bit 0: response mode (what a backend sends) instead of request mode
//   bit 1: (response mode) the request was HEAD, so the response has no body (skip_body)
//   bits 2-7: read size - 1 (1..64 bytes per simulated read)
//
// Checks: the incremental head search finds exactly what one full scan finds, and what it
// returns ends with a blank line; an accepted head is one plain http-parser completes, and its
// views lie inside the head buffer; Content-Length and chunked never both apply; a request is
// complete after its head exactly when it announces no body (the session relies on this);
// feedBody consumes between 1 and len bytes while incomplete (0 would stall a session) and
// stops short only at the message end; a Content-Length body is exactly that long;
// bodyUntilEof() keeps the answer it gave after the head, and an EOF-delimited body completes
// at EOF.
// Each head and each read is copied into its own exact-size heap block, so ASan catches reads
// past what the session would have received.

#include <http_parser.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "router/http/message_parser.h"

namespace {

using foundry::router::findHeadEnd;
using foundry::router::MessageHead;
using foundry::router::MessageParser;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "http_request_fuzz: %s: [%.*s]\n", what,
               static_cast<int>(std::min<size_t>(detail.size(), 300)), detail.data());
  std::abort();
}

// Known router bugs, reported and reproduced end to end in
// tests/integration/faults/fuzz_findings_test.cc. Tolerated (exactly those cases) so that the
// corpus replay stays green; set to false once fixed.
constexpr bool kTolerateIncompleteHeadBug = false;
constexpr bool kTolerateTrailerTransferEncodingBug = false;
constexpr bool kTolerateHeadEndMismatchBug = false;

// Where plain http-parser finds the end of the header block in data[0, len): the offset just
// past it, or 0 if it never gets there.
size_t headersCompleteAt(const char* data, size_t len, bool response) {
  struct Seen {
    bool done = false;
  } seen;
  http_parser parser;
  http_parser_init(&parser, response ? HTTP_RESPONSE : HTTP_REQUEST);
  parser.data = &seen;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_headers_complete = [](http_parser* p) {
    static_cast<Seen*>(p->data)->done = true;
    http_parser_pause(p, 1);
    return 0;
  };
  // Paused in the callback, http-parser returns the offset of the header block's last byte.
  const size_t n = http_parser_execute(&parser, &settings, data, len);
  return seen.done ? n + 1 : 0;
}

std::unique_ptr<char[]> exactCopy(std::string_view bytes) {
  // new char[0] is a valid unique pointer; ASan flags any read of it.
  std::unique_ptr<char[]> copy(new char[bytes.size()]);
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  return copy;
}

bool inside(std::string_view view, const char* begin, size_t len) {
  if (view.empty()) return true;
  return view.data() >= begin && view.data() + view.size() <= begin + len;
}

// One message starting at in[0]. Returns the bytes it used, or 0 when the connection would be
// closed (incomplete head, malformed input, an upgrade, or a body that ends at EOF).
size_t oneMessage(std::string_view in, bool response, bool skip_body, size_t read_size) {
  // The head search as the session does it: the buffer grows by one read, the scan resumes
  // three bytes before the old end.
  size_t have = 0;
  size_t from = 0;
  size_t end = 0;
  while (true) {
    have = std::min(in.size(), have + read_size);
    end = findHeadEnd(in.data(), have, from);
    if (end != 0 || have == in.size()) break;
    from = have >= 3 ? have - 3 : 0;
  }
  {
    auto whole = exactCopy(in);
    const size_t full = findHeadEnd(whole.get(), in.size(), 0);
    if (full != end) fail("incremental and full head search disagree", in);
  }
  if (end == 0) return 0;
  if (end > have) fail("head end beyond the received bytes", in);
  const bool blank_line =
      (end >= 2 && in[end - 1] == '\n' && in[end - 2] == '\n') ||
      (end >= 3 && in[end - 1] == '\n' && in[end - 2] == '\r' && in[end - 3] == '\n');
  if (!blank_line) fail("head does not end with a blank line", in.substr(0, end));

  auto head_bytes = exactCopy(in.substr(0, end));
  MessageParser parser;
  parser.reset(response ? MessageParser::Type::Response : MessageParser::Type::Request, skip_body);
  MessageHead head;
  if (!parser.parseHead(head_bytes.get(), end, &head)) return 0;

  // parseHead is given a whole head, so accepting it means http-parser got to the end of the
  // header block, and exactly where findHeadEnd put it: bytes between the two would be body to
  // the parser but head to the session, which drops them (a framing desync).
  const size_t parser_end = headersCompleteAt(head_bytes.get(), end, response);
  if (parser_end == 0) {
    // Known router bug: parseHead returns true when http-parser consumed every byte without
    // an error but never completed the head, e.g. a backend's "HTT\n\n" (http-parser is not
    // strict about the "HTTP/" constant and just waits for more). The empty-lines-only case
    // ("\r\n\r\n") was fixed in 3133138.
    if (kTolerateIncompleteHeadBug) return 0;
    fail("parseHead accepted a head http-parser never completed", in.substr(0, end));
  }
  if (parser_end != end) {
    // Known router bug: http-parser (not strict) takes a CR followed by any byte as a line end,
    // so "...\r\n\rX...\r\n\r\n" ends its header block at the X while findHeadEnd goes on to
    // the blank line: the bytes in between are counted as body but never forwarded.
    if (kTolerateHeadEndMismatchBug) return 0;
    fail("http-parser and findHeadEnd disagree on the end of the head", in.substr(0, end));
  }

  if (!inside(head.target, head_bytes.get(), end)) fail("target outside the head", in);
  for (const auto& h : head.headers) {
    if (!inside(h.name, head_bytes.get(), end) || !inside(h.value, head_bytes.get(), end)) {
      fail("header view outside the head", in.substr(0, end));
    }
  }
  if (head.has_content_length && head.chunked) fail("both Content-Length and chunked", in);
  if (!head.has_content_length && head.content_length != 0) fail("length without header", in);
  (void)head.find("Host");

  if (head.upgrade && parser.messageComplete()) return 0;  // a tunnel follows
  const bool bodiless_status =
      response && (skip_body || head.status == 204 || head.status == 304 ||
                   (head.status >= 100 && head.status < 200 && head.status != 101));
  if (!response && head.http_major == 1) {  // the session rejects other versions right away
    const bool announces_body = head.chunked || head.content_length > 0;
    if (parser.messageComplete() == announces_body) {
      fail(announces_body ? "request with a body complete after its head"
                          : "request without a body incomplete after its head",
           in.substr(0, end));
    }
  }
  if (bodiless_status && !parser.messageComplete()) fail("bodiless response incomplete", in);

  const bool until_eof_at_head = parser.bodyUntilEof();
  size_t pos = end;
  uint64_t body = 0;
  while (!parser.messageComplete() && pos < in.size()) {
    const size_t n = std::min(read_size, in.size() - pos);
    auto piece = exactCopy(in.substr(pos, n));
    const long used = parser.feedBody(piece.get(), n);
    if (used < 0) return 0;  // framing error: the session closes
    if (static_cast<size_t>(used) > n) fail("feedBody used more than it was given", in);
    if (used == 0) fail("feedBody made no progress on an incomplete message", in.substr(pos));
    if (static_cast<size_t>(used) < n && !parser.messageComplete()) {
      fail("feedBody stopped early without completing", in.substr(pos));
    }
    pos += static_cast<size_t>(used);
    body += static_cast<uint64_t>(used);
    if (parser.feedBody(piece.get(), 0) != 0) fail("feedBody of nothing used something");
  }
  if (!parser.messageComplete()) {
    // The session decides "body until EOF" at the head (client keep-alive) and asks again at
    // the backend's EOF, then takes the response as complete: both answers must agree, and
    // finishAtEof must then complete it.
    if (parser.bodyUntilEof() != until_eof_at_head) {
      // Known router bug (reported; reproduction in fuzz_findings_test.cc): in the trailer
      // section of a chunked message a "Transfer-Encoding" field clears http-parser's chunked
      // flag, so bodyUntilEof() turns true and a response cut off there passes as complete.
      if (kTolerateTrailerTransferEncodingBug && head.chunked) return 0;
      fail("bodyUntilEof changed after the head", in);
    }
    if (parser.bodyUntilEof()) {
      parser.finishAtEof();
      if (!parser.messageComplete()) fail("EOF-delimited body incomplete at EOF", in);
    }
    return 0;
  }
  if (parser.remainingContentLength() != 0) fail("complete but length remaining", in);
  if (head.has_content_length && !bodiless_status && body != head.content_length) {
    fail("Content-Length body of the wrong size", in.substr(0, end));
  }
  // A complete message consumes nothing more.
  if (pos < in.size()) {
    auto next = exactCopy(in.substr(pos, 1));
    if (parser.feedBody(next.get(), 1) != 0) fail("complete message consumed more bytes", in);
  }
  if (!head.keep_alive) return 0;  // the connection closes after this message
  return pos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 8192) return 0;
  const uint8_t flags = data[0];
  const bool response = (flags & 1) != 0;
  const bool skip_body = response && (flags & 2) != 0;
  const size_t read_size = 1 + (flags >> 2);
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  // Pipelined / keep-alive messages, bounded.
  for (int i = 0; i < 32 && !in.empty(); ++i) {
    const size_t used = oneMessage(in, response, skip_body, read_size);
    if (used == 0) break;
    in.remove_prefix(used);
  }
  return 0;
}
