#pragma once
// Wire-level pieces shared by the test helpers FakeBackend and HttpClient: ordered header lists
// with case-insensitive lookup, a buffered socket reader with deadlines that understands HTTP/1.x
// framing (lines, header blocks, Content-Length and chunked bodies), and a blocking writer.
// Test code only: plain blocking sockets + poll(2), no event loop.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace foundry::test {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadlineIn(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }
// A deadline that never comes; blocking reads then end only on data, close or shutdown(2).
inline Deadline noDeadline() { return Deadline::max(); }

// Header fields in the order they were received, names as sent.
using Headers = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b);
// The first field named `name` (any case), or nullopt.
std::optional<std::string> findHeader(const Headers& headers, std::string_view name);
// Every field named `name` (any case), in order.
std::vector<std::string> findHeaders(const Headers& headers, std::string_view name);
// True when a comma-separated field named `name` holds `token` (any case), e.g.
// headerHasToken(h, "Connection", "close").
bool headerHasToken(const Headers& headers, std::string_view name, std::string_view token);

// A deterministic, position-dependent body of `size` bytes (printable), so that a test can tell
// a reordered, shortened or corrupted copy from the original.
std::string patternBody(size_t size);

// Standard reason phrase for a status code ("OK", "Not Found", ...; "Unknown" otherwise).
const char* reasonPhrase(int status);

enum class IoStatus {
  Ok,
  Timeout,   // the deadline passed first
  Closed,    // the peer closed (EOF) or reset the connection
  Error,     // another socket error
  Malformed  // bytes that are not valid HTTP/1.x framing
};
const char* ioStatusName(IoStatus status);

// Buffered reads from a connected socket it does not own. Every call takes an absolute deadline.
class SocketReader {
 public:
  explicit SocketReader(int fd) : fd_(fd) {}

  // One line without its CRLF (a bare LF is accepted too).
  IoStatus readLine(std::string* line, Deadline deadline, size_t max_length = 1 << 20);
  // Exactly n bytes appended to *out.
  IoStatus readExact(size_t n, std::string* out, Deadline deadline);
  // Everything up to EOF appended to *out. Returns Ok at EOF (or on a reset after data).
  IoStatus readUntilClose(std::string* out, Deadline deadline);
  // Whatever is buffered, or else what one recv(2) returns (at most max bytes), into *out.
  IoStatus readSome(std::string* out, Deadline deadline, size_t max = 64 * 1024);
  // A start line and the header block up to the empty line. Leading empty lines are skipped
  // (RFC 9112 2.2). Header lines must contain ':'; values have surrounding whitespace removed.
  IoStatus readHead(std::string* start_line, Headers* headers, Deadline deadline);
  // A chunked body after the head: chunk data appended to *body, trailer fields into *trailers.
  IoStatus readChunkedBody(std::string* body, Headers* trailers, Deadline deadline);

  // Closed if the peer has closed (EOF/RST) by the deadline, Ok if bytes are waiting (they
  // stay buffered), Timeout if neither happened.
  IoStatus waitReadable(Deadline deadline);

  // Bytes received but not consumed yet (e.g. the start of the next pipelined message).
  std::string takeBuffered();
  size_t buffered() const { return buf_.size() - pos_; }
  // Every byte received from now on is also appended to *tap (nullptr: off).
  void setTap(std::string* tap) { tap_ = tap; }

 private:
  IoStatus fill(Deadline deadline, size_t max = 64 * 1024);
  int fd_;
  std::string* tap_ = nullptr;
  std::string buf_;
  size_t pos_ = 0;
};

// Writes all of `data` (MSG_NOSIGNAL); false when the connection failed or the deadline passed.
bool writeAll(int fd, std::string_view data, Deadline deadline = noDeadline());

// One chunk of a chunked body: "<hex size>\r\n<data>\r\n" (data must not be empty).
std::string encodeChunk(std::string_view data);
// A chunked encoding of `body` in chunks of at most chunk_size bytes, with the final 0 chunk.
std::string encodeChunked(std::string_view body, size_t chunk_size = 8192);

}  // namespace foundry::test
