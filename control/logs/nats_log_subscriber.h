#pragma once
// NatsLogSubscriber: subscribes to `logs.>` (PROTOCOL.md: cells publish each LogLine on
// logs.<app_guid>) and appends the lines to a LogBuffer. Reconnects forever; a controller
// started before NATS connects once it is up.
//
// Thread context: nats.c delivers on its own thread; LogBuffer is thread-safe.

#include <atomic>
#include <string>

#include "control/logs/log_buffer.h"

typedef struct __natsConnection natsConnection;
typedef struct __natsSubscription natsSubscription;

namespace foundry::control {

class NatsLogSubscriber {
 public:
  NatsLogSubscriber(std::string url, LogBuffer& buffer);
  ~NatsLogSubscriber();
  NatsLogSubscriber(const NatsLogSubscriber&) = delete;
  NatsLogSubscriber& operator=(const NatsLogSubscriber&) = delete;

  // Connects (or keeps trying in the background) and subscribes; false + error on bad options.
  bool start(std::string* error);
  uint64_t received() const { return received_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

  // Public for the nats.c callback.
  void onMessage(const char* subject, const char* data, int length);

 private:
  std::string url_;
  LogBuffer& buffer_;
  natsConnection* conn_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::atomic<uint64_t> received_{0}, rejected_{0};
};

}  // namespace foundry::control
