#pragma once
// RouteEmitter: the NATS side of Diego's route-emitter (B8). Publishes router.register /
// router.unregister (nats.c; publishing is thread-safe), greets the routers at start
// (router.greet with a reply inbox, every second up to 30 times, on its own thread so startup
// never waits for NATS), listens on router.start, and re-emits every registration from
// `snapshot` each minimumRegisterIntervalInSeconds (20 s until a router says otherwise), and
// after a random jitter of up to 20 % of it when a router (re)starts.
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace foundry::sched {

struct EmitterOptions {
  std::vector<std::string> servers = {"nats://127.0.0.1:4222"};
  int register_interval_s = 20;  // until a router's answer replaces it
  int greet_attempts = 30;
  std::chrono::milliseconds greet_every{1000};
  double jitter_factor = 0.2;
};

class RouteEmitter {
 public:
  using Snapshot = std::function<std::vector<nlohmann::json>()>;
  RouteEmitter(EmitterOptions options, Snapshot snapshot);
  ~RouteEmitter();  // stop()
  RouteEmitter(const RouteEmitter&) = delete;
  RouteEmitter& operator=(const RouteEmitter&) = delete;

  // Connects (retrying in the background when NATS is not up yet) and starts the threads.
  // False only on a configuration error.
  bool start(std::string* error);
  void stop();

  void publishRegister(const nlohmann::json& message);
  void publishUnregister(const nlohmann::json& message);
  int registerIntervalSeconds() const { return interval_s_.load(); }

 private:
  static void onRouterStart(natsConnection*, natsSubscription*, natsMsg* msg, void* self);
  static void onReconnected(natsConnection*, void* self);
  void handleRouterStart(const std::string& payload, bool jitter);
  void publish(const char* subject, const nlohmann::json& message);
  void greetLoop();
  void tickLoop();
  void emitAll();

  EmitterOptions options_;
  Snapshot snapshot_;
  natsConnection* conn_ = nullptr;
  natsSubscription* start_sub_ = nullptr;
  natsSubscription* greet_sub_ = nullptr;
  std::string inbox_;
  std::atomic<int> interval_s_;
  std::atomic<bool> greeted_{false};

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_emit_;
  std::thread greet_thread_, tick_thread_;
};

}  // namespace foundry::sched
