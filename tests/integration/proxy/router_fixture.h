#pragma once
// A running router with a real nats-server and a route emitter, for the proxy tests.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/test_common/fake_backend.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/nats_publisher.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/router_process.h"

namespace foundry::test {

class RouterFixture : public ::testing::Test {
 protected:
  // Override to change the router's configuration before it starts.
  virtual void configure(RouterOptions& options) { (void)options; }

  void SetUp() override {
    ASSERT_TRUE(nats_.start()) << nats_.lastError();
    RouterOptions options;
    options.nats_port = nats_.port();
    configure(options);
    router_ = std::make_unique<RouterProcess>(nats_, options);
    ASSERT_TRUE(router_->start()) << router_->logs();
    ASSERT_TRUE(router_->waitHealthy()) << router_->logs();
    emitter_ = std::make_unique<NatsPublisher>(nats_.url());
    ASSERT_TRUE(emitter_->ok());
    // An answered router.greet proves the NATS server has the router's subscription, so the
    // first registration cannot be dropped (it was, once, under a full CI run's load). While
    // the SUB is not there the request fails at once ("no responders"): retry for a while.
    bool greeted = false;
    for (int i = 0; i < 100 && !greeted; ++i) {
      greeted = !emitter_->request("router.greet", "", 500).empty();
      if (!greeted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(greeted) << router_->logs();
  }

  // Registers `uri` -> backend and waits until the router routes it.
  void addRoute(const std::string& uri, uint16_t port, const std::string& extra_json = "",
                size_t expected_endpoints = 1) {
    ASSERT_TRUE(emitter_->registerRoute(uri, "127.0.0.1", port, extra_json));
    ASSERT_TRUE(router_->waitForRoute(uri, expected_endpoints)) << router_->logs();
    // /routes reads the registry; the workers' table follows within the publish delay.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  uint16_t port() const { return router_->port(); }

  NatsServer nats_;
  std::unique_ptr<RouterProcess> router_;
  std::unique_ptr<NatsPublisher> emitter_;
};

}  // namespace foundry::test
