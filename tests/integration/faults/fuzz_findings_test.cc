// End-to-end reproductions of what tests/fuzz/http_request_fuzz.cc found in the HTTP framing
// (router/http/message_parser.cc, router/proxy/client_session.cc), through the real router
// binary with raw backends. Tests marked "router bug" are skipped until the fix.
//
// 1. parseHead returned true for a head http-parser never completed. Only empty lines
//    ("\r\n\r\n", "\n\n"): fixed in 3133138 (the tests below keep it fixed). A status line
//    cut short ("HTT\n\n": the system http-parser is not strict about the "HTTP/" constant
//    and just waits for more): still open. A backend answering like that gets a head without
//    a status line relayed to the client; gorouter (Go's transport) answers 502.
// 2. A chunked response whose trailer section holds a Transfer-Encoding field, cut off by the
//    backend inside the trailers: http-parser then reports "body until EOF", so at the
//    backend's EOF the session takes the response as complete and keeps the client connection
//    open, although the client never got the end of the chunked message. A backend dying
//    mid-response must close the client connection (as it does without that trailer).
// 3. A lone CR in a head: http-parser (the system build is not strict) takes CR + any byte as
//    a line end and ends the header block there, findHeadEnd at the later blank line; the
//    bytes in between are counted as body but dropped: a request/response framing desync.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

// A backend that answers every request head with fixed raw bytes, then closes.
class RawBackend {
 public:
  explicit RawBackend(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawBackend() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int served() const { return served_.load(); }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      writeAll(c, answer_, deadlineIn(2s));
      ++served_;
      ::shutdown(c, SHUT_WR);
      std::this_thread::sleep_for(50ms);
      ::close(c);
    }
  }

  std::string answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

// A keep-alive backend that answers "200 ok" as soon as it has seen each request head (without
// waiting for a body, as many servers do for errors) and records every byte received, per
// connection. Shows how the router frames what it forwards on a pooled connection.
class RecordingBackend {
 public:
  RecordingBackend() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordingBackend() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  // Everything received on each accepted connection so far.
  std::vector<std::string> streams() const {
    std::lock_guard<std::mutex> lock(mu_);
    return streams_;
  }

 private:
  void serve() {
    // One connection at a time is enough here: the router reuses its pooled connection.
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mu_);
        streams_.emplace_back();
        index = streams_.size() - 1;
      }
      timeval tv{0, 200'000};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string seen;
      size_t answered = 0;
      const Deadline deadline = deadlineIn(5s);
      while (!stop_ && Clock::now() < deadline) {
        char buf[4096];
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) continue;  // timeout: check stop_
        seen.append(buf, static_cast<size_t>(n));
        {
          std::lock_guard<std::mutex> lock(mu_);
          streams_[index] = seen;
        }
        // One answer per blank line seen (a request head ending).
        size_t heads = 0;
        for (size_t pos = seen.find("\r\n\r\n"); pos != std::string::npos;
             pos = seen.find("\r\n\r\n", pos + 4)) {
          ++heads;
        }
        for (; answered < heads; ++answered) {
          writeAll(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", deadlineIn(2s));
        }
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> streams_;
  std::thread thread_;
};

class FuzzFindingsTest : public RouterFixture {};

TEST_F(FuzzFindingsTest, BackendSendingEmptyLinesBeforeStatusLineIs502) {
  RawBackend be("\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  auto r = client.get("app.example.com");
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived() << "\n"
                 << router_->logs();
  EXPECT_EQ(r->status, 502) << client.rawReceived();
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or("").rfind("endpoint_failure", 0), 0u)
      << client.rawReceived();
}

TEST_F(FuzzFindingsTest, BackendSendingOnlyEmptyLinesIs502) {
  RawBackend be("\n\n");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  auto r = client.get("app.example.com");
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived() << "\n"
                 << router_->logs();
  EXPECT_EQ(r->status, 502) << client.rawReceived();
}

TEST_F(FuzzFindingsTest, ClientSendingEmptyLinesBeforeRequestLineIs400) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request("\r\n\r\nGET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived();
  EXPECT_EQ(r->status, 400) << client.rawReceived();
  EXPECT_EQ(a.requestCount(), 0u);
  EXPECT_TRUE(r->closed);
}

// gorouter: Go's server rejects the request before any handler runs (ROUTER-PROTOCOL.md 5.4,
// last line): a plain 400, no X-Cf-RouterError, not access-logged.
TEST_F(FuzzFindingsTest, ClientEmptyHeadIsMalformedNotEmptyHost) {
  HttpClient client(port());
  auto r = client.request("\n\n");
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived();
  EXPECT_EQ(r->status, 400) << client.rawReceived();
  EXPECT_FALSE(r->hasHeader("X-Cf-Routererror")) << client.rawReceived();
}

TEST_F(FuzzFindingsTest, BackendSendingCutStatusLineIs502) {
  RawBackend be("HTT\n\n");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  auto r = client.get("app.example.com");
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived();
  EXPECT_EQ(r->status, 502) << client.rawReceived();
}

// Control for the next test: a chunked response cut off inside its trailers (no
// Transfer-Encoding trailer) closes the client connection, so the client sees the truncation.
TEST_F(FuzzFindingsTest, ChunkedResponseCutInTrailersClosesClient) {
  RawBackend be(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
      "X-Trailer: t\r\n");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  auto r = client.readResponse(3s);
  EXPECT_FALSE(r) << "a truncated chunked response read as complete";
  EXPECT_TRUE(client.peerClosed() || client.waitForClose(3s)) << client.rawReceived();
}

TEST_F(FuzzFindingsTest, ChunkedResponseCutInTrailersWithTransferEncodingClosesClient) {
  RawBackend be(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
      "Transfer-Encoding: x\r\n");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  auto r = client.readResponse(3s);
  const std::string received = client.rawReceived();
  EXPECT_FALSE(r) << "a truncated chunked response read as complete";
  EXPECT_TRUE(client.peerClosed() || client.waitForClose(2s))
      << "the router kept the client connection open after a truncated response; received:\n"
      << received;
}

// Go's textproto rejects a header line holding a lone CR ("\rhello") with 400. The router's
// http-parser (not strict) instead ends the header block at the CR + next byte, while
// findHeadEnd goes on to the blank line: the bytes in between count as body (8 of the 11
// announced) but are dropped, so the backend gets a Content-Length: 11 request with 3 body
// bytes and the router returns the connection to its pool: the next request on it (any
// client's) is read by the backend as the missing 8 bytes of body plus a mangled request.
TEST_F(FuzzFindingsTest, LoneCrInRequestHeadIsRejectedNotSmuggled) {
  RecordingBackend be;
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient attacker(port());
  auto r = attacker.request(
      "POST /first HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 11\r\n"
      "\rhello\r\n\r\nabc",
      ReadOptions{3s});
  ASSERT_TRUE(r) << attacker.lastError();
  EXPECT_EQ(r->status, 400) << attacker.rawReceived();
  // Another client's request, on the router's pooled backend connection.
  HttpClient victim(port());
  auto v = victim.get("app.example.com", "/victim", {}, ReadOptions{3s});
  ASSERT_TRUE(v) << victim.lastError();
  EXPECT_EQ(v->status, 200);
  // Every request the backend got carries exactly its Content-Length of body.
  for (const std::string& stream : be.streams()) {
    EXPECT_EQ(stream.find("POST /first"), std::string::npos) << "forwarded on one connection:\n"
                                                             << stream;
  }
}

// The same from a backend: its response head holds a lone CR. Go's transport answers 502
// (malformed MIME header line); the router relays a Content-Length: 11 head with a 3-byte body
// and keeps the client connection for the next exchange.
TEST_F(FuzzFindingsTest, LoneCrInResponseHeadIs502) {
  RawBackend be("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\rhello\r\n\r\nabc");
  ASSERT_NE(be.port(), 0);
  addRoute("app.example.com", be.port());
  HttpClient client(port());
  auto r = client.get("app.example.com", "/", {}, ReadOptions{3s});
  ASSERT_TRUE(r) << client.lastError() << "\nreceived: " << client.rawReceived();
  EXPECT_EQ(r->status, 502) << client.rawReceived();
}

}  // namespace
}  // namespace foundry::test
