// A backend dies under load (ROUTER-PROTOCOL.md 3.1, 5.1): of two instances on a route, one is
// stopped while keep-alive clients send GETs. Its listener and every connection (including the
// router's pooled ones, possibly with a request in flight) close. GETs are idempotent, so the
// router must retry them on the other instance (refused connect, or a pooled connection that
// turns out dead before any response byte): the clients see no failure at all.

#include <thread>

#include "tests/integration/faults/load_generator.h"
#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class BackendKillTest : public RouterFixture {};

TEST_F(BackendKillTest, StoppingOneOfTwoBackendsMidLoadFailsNoGet) {
  FakeBackend a("a"), b("b");
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);

  LoadGenerator load(port(), "app.example.com", {.threads = 4, .max_duration = 4s});
  load.start();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(load.waitForMore(300)) << "no traffic flowing";
  ASSERT_GT(b.requestCount(), 0u);

  b.stop();  // mid-load: listener closed, every connection shut down
  const auto killed = Clock::now();
  const size_t b_total = b.requestCount();
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(load.waitForMore(300));
  load.stop();

  const LoadSummary summary = load.summary();
  const std::string details = summary.describe(load.startTime());
  EXPECT_EQ(summary.non2xx(), 0u) << details << "\n" << router_->logs();
  EXPECT_EQ(summary.transportErrors(), 0u) << details;
  // After the kill everything lands on a.
  const auto after = summary.bodiesSentAfter(killed);
  EXPECT_EQ(after.size(), 1u) << details;
  EXPECT_TRUE(after.count("backend a")) << details;
  EXPECT_EQ(b.requestCount(), b_total);
  std::printf("backend kill: %s\n", details.c_str());
}

// The same with a backend that dies by resetting its connections while requests are in flight:
// every request b receives from a given moment on is answered with a bare RST (no response
// byte), then b stops. Every GET must still succeed via a.
TEST_F(BackendKillTest, BackendResettingInFlightRequestsFailsNoGet) {
  FakeBackend a("a"), b("b");
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);

  LoadGenerator load(port(), "app.example.com", {.threads = 4, .max_duration = 4s});
  load.start();
  ASSERT_TRUE(load.waitForMore(300)) << "no traffic flowing";

  const size_t b_before = b.requestCount();
  b.setHandler([](const BackendRequest&) {
    BackendResponse r;
    r.reset_without_response = true;
    return r;
  });
  // The first reset marks b failed (skipped for 30 s), so only the requests already headed
  // there meet a reset; one is enough.
  ASSERT_TRUE(b.waitForRequests(b_before + 1, 2s)) << "b got no requests to reset";
  ASSERT_TRUE(load.waitForMore(100));
  b.stop();
  ASSERT_TRUE(load.waitForMore(300));
  load.stop();

  const LoadSummary summary = load.summary();
  const std::string details = summary.describe(load.startTime());
  EXPECT_EQ(summary.failures(), 0u) << details << "\n" << router_->logs();
  // The resets really happened, and were retried.
  EXPECT_TRUE(router_->waitForLog("backend-endpoint-failed", 1s)) << router_->logs();
  std::printf("backend reset: %s\n", details.c_str());
}

}  // namespace
}  // namespace foundry::test
