#include "scheduler/emitter/route_emitter.h"

#include <random>

#include "common/log/log.h"

namespace foundry::sched {

namespace {

std::string text(natsStatus s) { return natsStatus_GetText(s); }

}  // namespace

RouteEmitter::RouteEmitter(EmitterOptions options, Snapshot snapshot)
    : options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      interval_s_(options_.register_interval_s > 0 ? options_.register_interval_s : 20) {}

RouteEmitter::~RouteEmitter() { stop(); }

bool RouteEmitter::start(std::string* error) {
  if (options_.servers.empty()) {
    *error = "no NATS server given";
    return false;
  }
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> urls;
  for (const auto& url : options_.servers) urls.push_back(url.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, "scheduler-route-emitter");
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(opts, true, onReconnected, this);  // callback = async
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, onReconnected, this);
  if (s == NATS_OK) {
    s = natsConnection_Connect(&conn_, opts);
    if (s == NATS_NOT_YET_CONNECTED) {
      log::warn("route-emitter", "nats-not-yet-connected", {{"servers", options_.servers[0]}});
      s = NATS_OK;
    }
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    *error = "NATS: " + text(s);
    return false;
  }
  // Subscriptions are replayed by nats.c once a delayed connect succeeds.
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) == NATS_OK) {
    inbox_ = inbox;
    natsInbox_Destroy(inbox);
  }
  natsConnection_Subscribe(&start_sub_, conn_, "router.start", onRouterStart, this);
  natsConnection_Subscribe(&greet_sub_, conn_, inbox_.c_str(), onRouterStart, this);
  next_emit_ = std::chrono::steady_clock::now() + std::chrono::seconds(interval_s_.load());
  greet_thread_ = std::thread([this] { greetLoop(); });
  tick_thread_ = std::thread([this] { tickLoop(); });
  log::info("route-emitter", "started", {{"servers", options_.servers[0]}});
  return true;
}

void RouteEmitter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (greet_thread_.joinable()) greet_thread_.join();
  if (tick_thread_.joinable()) tick_thread_.join();
  if (start_sub_) natsSubscription_Destroy(start_sub_);
  if (greet_sub_) natsSubscription_Destroy(greet_sub_);
  start_sub_ = greet_sub_ = nullptr;
  if (conn_) {
    natsConnection_FlushTimeout(conn_, 1000);
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
    conn_ = nullptr;
  }
}

void RouteEmitter::publish(const char* subject, const nlohmann::json& message) {
  if (!conn_) return;
  std::string payload = message.dump();
  natsStatus s =
      natsConnection_Publish(conn_, subject, payload.data(), static_cast<int>(payload.size()));
  if (s != NATS_OK) {
    log::warn("route-emitter", "publish-failed", {{"subject", subject}, {"error", text(s)}});
  } else {
    log::debug("route-emitter", subject, {{"payload", payload}});
  }
}

void RouteEmitter::publishRegister(const nlohmann::json& message) {
  publish("router.register", message);
}

void RouteEmitter::publishUnregister(const nlohmann::json& message) {
  publish("router.unregister", message);
}

void RouteEmitter::onRouterStart(natsConnection*, natsSubscription* sub, natsMsg* msg, void* self) {
  auto* emitter = static_cast<RouteEmitter*>(self);
  std::string payload(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  // A greet answer comes on our inbox: emit at once. A router.start broadcast: with jitter,
  // so many emitters do not hit a starting router together.
  bool broadcast = sub == emitter->start_sub_;
  natsMsg_Destroy(msg);
  emitter->handleRouterStart(payload, broadcast);
}

void RouteEmitter::onReconnected(natsConnection*, void* self) {
  auto* emitter = static_cast<RouteEmitter*>(self);
  log::info("route-emitter", "nats-reconnected");
  {
    std::lock_guard lock(emitter->mu_);
    emitter->next_emit_ = std::chrono::steady_clock::now();
  }
  emitter->wake_.notify_all();
}

void RouteEmitter::handleRouterStart(const std::string& payload, bool jitter) {
  greeted_ = true;
  try {
    auto j = nlohmann::json::parse(payload);
    if (j.contains("minimumRegisterIntervalInSeconds") &&
        j["minimumRegisterIntervalInSeconds"].is_number_integer()) {
      int interval = j["minimumRegisterIntervalInSeconds"].get<int>();
      if (interval > 0 && interval != interval_s_.load()) {
        interval_s_ = interval;
        log::info("route-emitter", "register-interval", {{"seconds", std::to_string(interval)}});
      }
    }
  } catch (const std::exception& e) {
    log::warn("route-emitter", "bad-router-start", {{"error", e.what()}});
  }
  auto delay = std::chrono::milliseconds(0);
  if (jitter) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_real_distribution<double> dist(0.0, options_.jitter_factor);
    delay = std::chrono::milliseconds(static_cast<long>(dist(rng) * interval_s_.load() * 1000));
  }
  {
    std::lock_guard lock(mu_);
    next_emit_ = std::chrono::steady_clock::now() + delay;
  }
  wake_.notify_all();
}

void RouteEmitter::greetLoop() {
  for (int attempt = 0; attempt < options_.greet_attempts && !greeted_; ++attempt) {
    natsStatus s = natsConnection_PublishRequestString(conn_, "router.greet", inbox_.c_str(), "");
    if (s != NATS_OK) log::debug("route-emitter", "greet-failed", {{"error", text(s)}});
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, options_.greet_every, [this] { return stopping_ || greeted_; })) break;
  }
}

void RouteEmitter::tickLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (std::chrono::steady_clock::now() < next_emit_) {
      wake_.wait_until(lock, next_emit_);
      continue;
    }
    next_emit_ = std::chrono::steady_clock::now() + std::chrono::seconds(interval_s_.load());
    lock.unlock();
    emitAll();
    lock.lock();
  }
}

void RouteEmitter::emitAll() {
  auto messages = snapshot_ ? snapshot_() : std::vector<nlohmann::json>{};
  for (const auto& message : messages) publishRegister(message);
  log::debug("route-emitter", "emitted-all", {{"registrations", std::to_string(messages.size())}});
}

}  // namespace foundry::sched
