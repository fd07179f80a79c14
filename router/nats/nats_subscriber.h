#pragma once
// The router's NATS client. nats.c reads the socket on its own threads, so a busy control
// thread never delays reading (nats-server disconnects a reader that lags: slow consumer).
// Subscribes to "router.*": router.register / router.unregister are decoded and handed to the
// callbacks (a malformed message is logged as validation-error and dropped); router.greet is
// answered with the router.start payload on the message's reply subject; router.start is
// published after connecting and again on every reconnect. Reconnects forever.
// Control thread only.
//
// Threading: nats.c delivers messages on its own threads. They are decoded there, queued
// (bounded; overflow is dropped and counted), and an event on control_base is activated; the
// callbacks below then run on the thread running control_base's loop. So the process must call
// evthread_use_pthreads() BEFORE creating control_base (start() calls it too, but that cannot
// retrofit locking into an existing base).

#include <event2/event.h>

#include <cstdint>
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
    // Connection state changes after start() (for pruning suspension): false on disconnect,
    // true on reconnect (after router.start was re-published). Not called for the initial
    // connection: start() returning true means connected.
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
  // Messages dropped because the subscription buffer (131072 messages / 128 MiB, nats.c's) or
  // the decoded-message queue to the control thread (131072) was full: gorouter's
  // total_dropped_messages. Any thread.
  uint64_t droppedMessages() const;
  // The router.start / greet reply payload (id "<index>-<uuid>", fixed for this object).
  const std::string& startPayload() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace foundry::router
