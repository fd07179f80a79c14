#pragma once
// FakeBackend: a real HTTP/1.1 server on 127.0.0.1:<ephemeral port> for tests, one thread per
// connection (plain blocking sockets + poll). It keeps connections alive, reads Content-Length
// and chunked request bodies, records every request in a thread-safe log and answers through a
// handler (default: 200 "backend <name>"). A Response can ask for chunked encoding, a delay, a
// connection close after it, a cut-off (truncated) response, or, with status 101, an echo of
// every byte afterwards (a websocket-like upgrade).
//
//   FakeBackend be("a");                               // listening once constructed
//   be.setHandler([](const BackendRequest& r) { return BackendResponse::text(201, r.target); });
//   ... drive traffic at be.port() ...
//   ASSERT_TRUE(be.waitForRequests(1));
//   EXPECT_EQ(be.requests()[0].header("X-Forwarded-For"), "127.0.0.1");
//
// The handler runs on the connection's thread, so it may be called concurrently.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_common/http_wire.h"

namespace foundry::test {

struct BackendRequest {
  std::string method;
  std::string target;   // as sent: "/path?query" or absolute form
  std::string version;  // "HTTP/1.1"
  Headers headers;      // in received order, names as sent
  std::string body;     // de-chunked
  Headers trailers;
  bool chunked = false;              // the body came chunked
  bool sent_100_continue = false;    // we answered "Expect: 100-continue" before reading the body
  uint64_t connection = 0;           // 1-based number of the accepted connection it came on
  uint64_t index_on_connection = 0;  // 0 for the first request on that connection

  std::optional<std::string> header(std::string_view name) const {
    return findHeader(headers, name);
  }
  std::vector<std::string> headerValues(std::string_view name) const {
    return findHeaders(headers, name);
  }
  bool hasHeader(std::string_view name) const { return header(name).has_value(); }
};

struct BackendResponse {
  int status = 200;
  std::string reason;  // empty: the standard phrase
  Headers headers;     // sent as given; Content-Length / Transfer-Encoding added unless present
  std::string body;

  bool chunked = false;                      // send the body with Transfer-Encoding: chunked
  size_t chunk_size = 8192;                  // ... in chunks of this size
  std::chrono::milliseconds chunk_delay{0};  // pause between chunks (streaming tests)
  Headers trailers;                          // chunked only
  bool no_length = false;              // neither Content-Length nor chunked: the body ends at close
  std::chrono::milliseconds delay{0};  // wait before sending anything (slow backend)
  bool close = false;                  // add "Connection: close" and close after sending
  // Close the connection after this many bytes of the serialized response (head included):
  // a backend dying mid-response.
  std::optional<size_t> truncate_after;
  // Close (RST) the connection without answering at all.
  bool reset_without_response = false;

  static BackendResponse text(int status, std::string body,
                              std::string content_type = "text/plain");
  // 101 Switching Protocols with Upgrade: websocket; the connection then echoes bytes back.
  static BackendResponse webSocketUpgrade();
};

using BackendHandler = std::function<BackendResponse(const BackendRequest&)>;

struct FakeBackendOptions {
  std::string name = "backend";
  BackendHandler handler;           // empty: 200 "backend <name>"
  bool answer_100_continue = true;  // on "Expect: 100-continue" send 100 before reading the body
  bool keep_alive = true;           // false: close every connection after one response
};

class FakeBackend {
 public:
  using Request = BackendRequest;
  using Response = BackendResponse;
  using Handler = BackendHandler;

  explicit FakeBackend(std::string name = "backend");
  explicit FakeBackend(FakeBackendOptions options);
  ~FakeBackend();
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  // Listening since construction; 0 if binding failed (then ok() is false).
  uint16_t port() const { return port_; }
  bool ok() const { return listen_fd_ >= 0 || stopped_; }
  const std::string& name() const { return options_.name; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void setHandler(BackendHandler handler);

  // The request log (a copy), the number of requests, the newest one.
  std::vector<BackendRequest> requests() const;
  size_t requestCount() const;
  std::optional<BackendRequest> lastRequest() const;
  void clearRequests();
  // Waits until at least n requests were received (true) or the timeout passed (false).
  bool waitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  size_t connectionsAccepted() const { return accepted_.load(); }
  size_t openConnections() const;

  // Closes the listener and every connection, joins the threads. Idempotent.
  void stop();

 private:
  struct Connection {
    int fd = -1;
    uint64_t number = 0;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void acceptLoop();
  void serve(Connection* conn);
  bool sendResponse(Connection* conn, const BackendRequest& req, BackendResponse resp,
                    bool* keep_open);
  // Sleeps up to d; returns false if stop() was called meanwhile.
  bool interruptibleSleep(std::chrono::milliseconds d);
  void reapFinished();  // joins finished connection threads; needs conns_mu_

  FakeBackendOptions options_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that wakes the accept loop on stop()
  std::thread accept_thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> accepted_{0};

  mutable std::mutex conns_mu_;
  std::list<std::unique_ptr<Connection>> conns_;

  mutable std::mutex log_mu_;
  mutable std::condition_variable log_cv_;
  std::vector<BackendRequest> log_;
  BackendHandler handler_;  // guarded by log_mu_

  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
};

}  // namespace foundry::test
