#pragma once
// HttpClient: a raw-socket HTTP/1.x client for tests. It sends exactly the bytes it is given
// (so tests can send malformed, pipelined, slow or partial requests) and parses responses
// strictly enough to check framing: status line, ordered headers, Content-Length, chunked and
// read-until-close bodies, 1xx responses. One object is one TCP connection (keep-alive reuse is
// just calling request()/readResponse() again). It connects on the first send; once the server
// has closed the connection, sends fail until close() (then the next send opens a new one).
//
//   HttpClient c(router.port());
//   auto r = c.get("app.example.com", "/");        // GET with Host, keep-alive
//   ASSERT_TRUE(r) << c.lastError();
//   EXPECT_EQ(r->status, 200);
//   EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "");
//
// Not thread-safe: use one client per thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/test_common/http_wire.h"

namespace foundry::test {

struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  Headers headers;           // in received order
  std::string body;          // de-chunked
  Headers trailers;          // chunked trailers
  bool chunked = false;      // the body came with Transfer-Encoding: chunked
  bool until_close = false;  // the body was delimited by the server closing the connection
  // The server closed the connection after sending it (checked without waiting, or for up to
  // 2 s when the response carries "Connection: close").
  bool closed = false;

  std::optional<std::string> header(std::string_view name) const {
    return findHeader(headers, name);
  }
  std::vector<std::string> headerValues(std::string_view name) const {
    return findHeaders(headers, name);
  }
  bool hasHeader(std::string_view name) const { return header(name).has_value(); }
};

struct ReadOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  bool head_request = false;  // the request was HEAD: no body follows whatever the headers say
  bool skip_informational = false;  // skip 100/102/103 and return the final response (not 101)
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Opens the connection (done implicitly by the send calls when not connected).
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return fd_ >= 0; }
  void close();
  // Half-close: no more bytes from us (the server sees EOF after what was sent).
  void shutdownWrite();
  // Closes with an RST instead of a FIN (SO_LINGER 0).
  void reset();
  int fd() const { return fd_; }
  uint16_t localPort() const;

  // Sends raw bytes. False (see lastError()) if the connection failed.
  bool send(std::string_view bytes);
  // Sends in pieces of `piece` bytes with `pause` between them (slowloris-style tests).
  bool sendSlowly(std::string_view bytes, size_t piece, std::chrono::milliseconds pause);

  // Reads the next response. nullopt on timeout, on a close before a complete response, or on
  // bad framing; lastError() says which and rawReceived() holds the bytes that did arrive.
  std::optional<HttpResponse> readResponse(const ReadOptions& options = {});
  std::optional<HttpResponse> readResponse(std::chrono::milliseconds timeout) {
    return readResponse(ReadOptions{timeout});
  }

  // send() then readResponse(); HEAD requests are detected from the first bytes.
  std::optional<HttpResponse> request(std::string_view raw, const ReadOptions& options = {});
  // A GET with Host and the extra header lines ("Name: value", no CRLF), keep-alive.
  std::optional<HttpResponse> get(std::string_view host, std::string_view path = "/",
                                  const std::vector<std::string>& extra_headers = {},
                                  const ReadOptions& options = {});

  // Raw reads, e.g. after a 101 upgrade: whatever arrives (at least one byte) or "" on
  // timeout/close; exactly n bytes; everything until the server closes.
  std::string readSome(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::optional<std::string> readExact(size_t n,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::string readUntilClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True if the server closes (EOF or RST) within the timeout. Bytes arriving meanwhile are
  // kept in rawReceived().
  bool waitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::string& lastError() const { return last_error_; }
  // Every byte read from this connection since the last readResponse()/raw read started.
  const std::string& rawReceived() const { return raw_; }
  // Whether the server has closed the connection (seen EOF/RST).
  bool peerClosed() const { return peer_closed_; }

 private:
  bool fail(std::string message);
  bool ensureConnected();

  uint16_t port_;
  std::string host_;
  int fd_ = -1;
  SocketReader reader_{-1};
  bool peer_closed_ = false;
  std::string last_error_;
  std::string raw_;
};

// One-shot GET on a fresh connection with "Connection: close".
std::optional<HttpResponse> httpGet(uint16_t port, std::string_view host, std::string_view path,
                                    const std::vector<std::string>& extra_headers = {},
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace foundry::test
