// Blue-green deployment under load (ROUTER-PROTOCOL.md 1.4, 3.1): while keep-alive clients send
// GETs, a green instance is registered on the route, then the blue one is unregistered (and
// finally stopped). No client may see a non-2xx or a transport error, and once the switch has
// settled every request must reach green.

#include <thread>

#include "tests/integration/faults/load_generator.h"
#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class BlueGreenTest : public RouterFixture {};

TEST_F(BlueGreenTest, SwitchUnderLoadLosesNoRequestAndEndsOnGreen) {
  FakeBackend blue("blue"), green("green");
  addRoute("app.example.com", blue.port());

  LoadGenerator load(port(), "app.example.com", {.threads = 3, .max_duration = 4s});
  load.start();
  ASSERT_TRUE(load.waitForMore(50)) << "no traffic flowing";

  // Green joins: both instances serve.
  ASSERT_TRUE(emitter_->registerRoute("app.example.com", "127.0.0.1", green.port()));
  ASSERT_TRUE(router_->waitForRoute("app.example.com", 2)) << router_->logs();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(load.waitForMore(100));
  ASSERT_TRUE(green.waitForRequests(1)) << "green never got traffic while both were routed";

  // Blue leaves the route; give the table a moment to reach the worker.
  ASSERT_TRUE(emitter_->unregisterRoute("app.example.com", "127.0.0.1", blue.port()));
  ASSERT_TRUE(router_->waitForRoute("app.example.com", 1)) << router_->logs();
  std::this_thread::sleep_for(100ms);
  const auto settled = Clock::now();
  const size_t blue_at_settle = blue.requestCount();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(load.waitForMore(100));

  // Blue goes away for good (its pooled connections in the router die with it).
  blue.stop();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(load.waitForMore(100));
  load.stop();

  const LoadSummary summary = load.summary();
  const std::string details = summary.describe(load.startTime());
  EXPECT_EQ(summary.non2xx(), 0u) << details;
  EXPECT_EQ(summary.transportErrors(), 0u) << details;

  const auto after = summary.bodiesSentAfter(settled);
  size_t after_total = 0;
  for (const auto& [body, n] : after) after_total += n;
  EXPECT_GE(after_total, 200u) << details;
  EXPECT_EQ(after.size(), 1u) << details;
  EXPECT_EQ(after.count("backend green") ? after.at("backend green") : 0, after_total) << details;
  EXPECT_EQ(blue.requestCount(), blue_at_settle) << "blue got requests after the switch";
  EXPECT_GT(blue_at_settle, 0u);
  std::printf("blue-green: %s\n", details.c_str());
}

}  // namespace
}  // namespace foundry::test
