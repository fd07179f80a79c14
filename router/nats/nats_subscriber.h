#pragma once
// The router's NATS client (nats.c driven by the control thread's libevent loop).
// Subscribes to "router.*": router.register / router.unregister are decoded and handed to the
// callbacks (a malformed message is logged as validation-error and dropped); router.greet is
// answered with the router.start payload on the message's reply subject; router.start is
// published after connecting and again on every reconnect. Reconnects forever.
// Control thread only.

#include <event2/event.h>

#include <functional>
#include <memory>
#include <string>

#include "router/config/config.h"
#include "router/nats/registry_message.h"

namespace foundry::router {

class NatsSubscriber {
 public:
  struct Callbacks {
    std::function<void(const RegistryMessage&)> on_register;
    std::function<void(const RegistryMessage&)> on_unregister;
    // Connection state changes (for pruning suspension): true = connected.
    std::function<void(bool)> on_connection_change;
  };

  NatsSubscriber(event_base* control_base, const Config& config, Callbacks callbacks);
  ~NatsSubscriber();

  // Connects (3 attempts, 100 ms apart, like gorouter), subscribes, publishes router.start.
  // Returns false with *error on failure.
  bool start(std::string* error);
  bool connected() const;
  // Messages received and dropped as invalid (for tests and metrics).
  uint64_t validationErrors() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace foundry::router
