// Several NATS servers in nats.hosts: when the one the router uses dies, it fails over to
// another and routes registered there work (ROUTER-PROTOCOL.md 1.1, gorouter's
// integration/nats_test.go "failover to a second NATS").

#include <gtest/gtest.h>

#include "tests/test_common/fake_backend.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/nats_publisher.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/router_process.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

TEST(NatsFailoverTest, RouterMovesToTheSecondServerAndKeepsItsRoutes) {
  NatsServer first, second;
  ASSERT_TRUE(first.start()) << first.lastError();
  ASSERT_TRUE(second.start()) << second.lastError();
  RouterOptions options;
  options.nats_port = first.port();
  options.extra_yaml = "nats:\n  hosts:\n  - hostname: 127.0.0.1\n    port: " +
                       std::to_string(first.port()) + "\n  - hostname: 127.0.0.1\n    port: " +
                       std::to_string(second.port()) + "\n";
  RouterProcess router(options);
  ASSERT_TRUE(router.start()) << router.logs();
  ASSERT_TRUE(router.waitHealthy()) << router.logs();

  FakeBackend old_app("old"), new_app("new");
  // The servers are not clustered, so a route published on one reaches the router only while it
  // is connected there: that tells which server it uses.
  NatsPublisher via_first(first.url()), via_second(second.url());
  ASSERT_TRUE(via_first.registerRoute("old.example.com", "127.0.0.1", old_app.port()));
  const bool on_first = router.waitForRoute("old.example.com", 1, 2s);
  if (!on_first) {
    ASSERT_TRUE(via_second.registerRoute("old.example.com", "127.0.0.1", old_app.port()));
    ASSERT_TRUE(router.waitForRoute("old.example.com")) << router.logs();
  }
  NatsServer& used = on_first ? first : second;
  NatsPublisher& other = on_first ? via_second : via_first;

  used.stop();
  bool registered = false;
  for (int i = 0; i < 100 && !registered; ++i) {
    other.registerRoute("new.example.com", "127.0.0.1", new_app.port());
    registered = router.waitForRoute("new.example.com", 1, 100ms);
  }
  ASSERT_TRUE(registered) << router.logs();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(httpGet(router.port(), "new.example.com", "/")->body, "backend new");
  // The route learned before the failover still serves.
  EXPECT_EQ(httpGet(router.port(), "old.example.com", "/")->body, "backend old");
}

}  // namespace
}  // namespace foundry::test
