// Graceful drain on SIGUSR1 and fast stop on SIGTERM (ROUTER-PROTOCOL.md 9.3).

#include <signal.h>
#include <sys/wait.h>

#include <future>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class DrainTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "drain_wait: 1s\ndrain_timeout: 10s\n";
  }
};

TEST_F(DrainTest, InFlightRequestsFinishNewConnectionsAreRefused) {
  FakeBackend slow("slow");
  slow.setHandler([](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(200, "done " + r.target);
    if (r.target == "/slow") resp.delay = 2500ms;
    return resp;
  });
  addRoute("app.example.com", slow.port());

  HttpClient busy(port());
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  ASSERT_TRUE(slow.waitForRequests(1));
  HttpClient idle(port());
  auto warm = idle.get("app.example.com", "/warm");
  ASSERT_TRUE(warm);

  router_->signal(SIGUSR1);
  // Health turns 503 at once while traffic is still served during drain_wait.
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (router_->healthStatus() != 503 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(router_->healthStatus(), 503);
  auto during = httpGet(port(), "app.example.com", "/during");
  ASSERT_TRUE(during);
  EXPECT_EQ(during->status, 200);

  // After drain_wait: the idle keep-alive connection is closed, the busy one finishes.
  EXPECT_TRUE(idle.waitForClose(3s));
  auto r = busy.readResponse(5s);
  ASSERT_TRUE(r) << busy.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done /slow");
  EXPECT_EQ(r->header("Connection").value_or(""), "close");
  // New connections are refused and the router exits cleanly once drained.
  auto status = router_->waitExit(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_FALSE(httpGet(port(), "app.example.com", "/after", {}, 1s));
}

TEST_F(DrainTest, SigtermStopsWithoutWaiting) {
  FakeBackend slow("slow");
  slow.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "late");
    resp.delay = 5s;
    return resp;
  });
  addRoute("app.example.com", slow.port());
  HttpClient busy(port());
  ASSERT_TRUE(busy.send("GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  ASSERT_TRUE(slow.waitForRequests(1));
  auto start = std::chrono::steady_clock::now();
  router_->signal(SIGTERM);
  auto status = router_->waitExit(4s);
  ASSERT_TRUE(status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(busy.waitForClose(2s));
}

}  // namespace
}  // namespace foundry::test
