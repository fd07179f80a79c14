// Retries (ROUTER-PROTOCOL.md 5.1) and our bound on the total time spent retrying.

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

BackendResponse hangUp(const BackendRequest&) {
  BackendResponse r;
  r.reset_without_response = true;
  return r;
}

class RetryTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "backends:\n  max_attempts: 3\n  max_retry_time: 0s\n";
  }
};

TEST_F(RetryTest, IdempotentRequestIsRetriedUpToMaxAttemptsThen502) {
  FakeBackend a("a"), b("b"), c("c"), d("d");
  for (auto* be : {&a, &b, &c, &d}) be->setHandler(&hangUp);
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);
  addRoute("app.example.com", c.port(), "", 3);
  addRoute("app.example.com", d.port(), "", 4);
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(a.requestCount() + b.requestCount() + c.requestCount() + d.requestCount(), 3u);
}

TEST_F(RetryTest, PostWithBodyIsNotRetriedOnceSent) {
  FakeBackend a("a"), b("b");
  a.setHandler(&hangUp);
  b.setHandler(&hangUp);
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);
  HttpClient client(port());
  auto r = client.request(
      "POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(a.requestCount() + b.requestCount(), 1u);
}

class RetryBudgetTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    // A budget too small for any second attempt.
    options.extra_yaml = "backends:\n  max_attempts: 3\n  max_retry_time: 1ns\n";
  }
};

TEST_F(RetryBudgetTest, NoRetryStartsAfterTheBudget) {
  FakeBackend a("a"), b("b"), c("c");
  for (auto* be : {&a, &b, &c}) be->setHandler(&hangUp);
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);
  addRoute("app.example.com", c.port(), "", 3);
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(a.requestCount() + b.requestCount() + c.requestCount(), 1u);
}

}  // namespace
}  // namespace foundry::test

namespace foundry::test {
namespace {

// A backend that closes every connection right after a response without saying
// "Connection: close" (as one with a short idle timeout does). The router must never hand a
// request to such a dead pooled connection and fail: it either notices the close first or
// replays the request on a fresh connection.
TEST_F(RetryTest, PooledConnectionClosedByTheBackendIsNeverA502) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest&) {
    BackendResponse r;
    r.status = 200;
    r.headers = {{"Content-Length", "4"}};
    r.body = "fine";
    // Exactly the serialized response: sent whole, then the connection closes.
    r.truncate_after = std::string("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine").size();
    return r;
  });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  for (int i = 0; i < 30; ++i) {
    auto r = client.get("app.example.com");
    ASSERT_TRUE(r) << i << ": " << client.lastError();
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "fine") << i;
  }
  EXPECT_EQ(a.requestCount(), 30u);
}

}  // namespace
}  // namespace foundry::test
