#pragma once
// FakeRouteService: a route service for tests (ROUTER-PROTOCOL.md 7), plain HTTP on
// 127.0.0.1:<ephemeral> (put the lead's TlsServerRelay in front for the https URL the router
// requires). For each request the router sends it:
//  - records what arrived (request line, headers: X-CF-Forwarded-Url, -Signature, -Metadata),
//  - asks the optional hook, which may answer itself (a route service refusing the request) or
//    change the headers before forwarding (tests tamper with the signature this way),
//  - sends the request back through the router to X-CF-Forwarded-Url (request-target and Host
//    from that URL, every other header as received, "Connection: close" unless it is an
//    upgrade), then relays bytes both ways until the router closes: bodies, responses and
//    WebSocket frames alike.
// One connection carries one request (the Connection: close makes the router drop it).
//
//   FakeRouteService rs(router.port());
//   emitter.registerRoute("app.example.com", ..., R"("route_service_url":"https://...")");
//   ASSERT_TRUE(rs.waitForRequests(1));
//   EXPECT_TRUE(rs.requests()[0].hasHeader("X-CF-Proxy-Signature"));

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_common/fake_backend.h"
#include "tests/test_common/http_wire.h"

namespace foundry::test {

struct RouteServiceHookResult {
  std::optional<BackendResponse> answer;  // set: send this instead of forwarding
};
// Called with the received request; may edit request->headers before they are forwarded.
using RouteServiceHook = std::function<RouteServiceHookResult(BackendRequest* request)>;

class FakeRouteService {
 public:
  // `router_port`: where forwarded requests go (127.0.0.1).
  explicit FakeRouteService(uint16_t router_port);
  ~FakeRouteService();
  FakeRouteService(const FakeRouteService&) = delete;
  FakeRouteService& operator=(const FakeRouteService&) = delete;

  uint16_t port() const { return port_; }
  bool ok() const { return listen_fd_ >= 0; }
  void setHook(RouteServiceHook hook);

  // Heads received (bodies are relayed, not recorded).
  std::vector<BackendRequest> requests() const;
  size_t requestCount() const;
  bool waitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  void stop();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
  };
  void acceptLoop();
  void serve(int fd);

  uint16_t router_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopped_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<BackendRequest> log_;
  RouteServiceHook hook_;
  std::list<Connection> conns_;
};

}  // namespace foundry::test
