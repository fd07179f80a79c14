#include "router/nats/nats_subscriber.h"

#include <arpa/inet.h>
#include <event2/thread.h>
#include <ifaddrs.h>
#include <nats/nats.h>
#include <net/if.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/log/log.h"

namespace foundry::router {
namespace {

constexpr int kConnectAttempts = 3;                                  // gorouter: 3 attempts ...
constexpr auto kConnectRetryDelay = std::chrono::milliseconds(100);  // ... 100 ms apart
constexpr int64_t kReconnectWaitMs = 500;
constexpr int64_t kPingIntervalMs = 20'000;  // gorouter's nats_client_ping_interval
constexpr int kPendingMsgsLimit = 131'072;   // gorouter's subscription buffer
constexpr int kPendingBytesLimit = 128 * 1024 * 1024;
// Decoded messages waiting for the control thread. Beyond this the newest are dropped and
// counted in total_dropped_messages, as nats.c's own pending limit does: the queue must never
// make nats.c's delivery thread wait, and its memory must stay bounded while the control
// thread is busy (gorouter: a full subscription buffer drops and counts).
constexpr size_t kMailboxLimit = kPendingMsgsLimit;
constexpr auto kShutdownWait = std::chrono::seconds(5);
constexpr int kSubscribeFlushTimeoutMs = 5000;
constexpr size_t kLoggedPayloadBytes = 512;

constexpr char kRouterStart[] = "router.start";
constexpr char kRouterRegister[] = "router.register";
constexpr char kRouterUnregister[] = "router.unregister";
constexpr char kRouterGreet[] = "router.greet";

// Work handed from nats.c's threads to the control thread.
struct Item {
  enum class Kind { Register, Unregister, Greet, Disconnected, Reconnected, Closed };
  Kind kind;
  RegistryMessage message;  // Register / Unregister
  std::string reply;        // Greet
};

// State shared between nats.c's threads (message delivery thread, async-callback thread) and
// the control thread. nats.c callbacks get a raw pointer to it; it outlives the connection
// (see ~NatsSubscriber).
struct Mailbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Item> items;        // guarded by mutex
  event* wake = nullptr;          // guarded by mutex; null once the owner shuts down
  bool closed_delivered = false;  // guarded by mutex: nats.c's closed callback has run
  bool sub_completed = false;     // guarded by mutex: the message handler will not run again
  std::atomic<uint64_t> validation_errors{0};
  std::atomic<uint64_t> dropped{0};  // messages refused because `items` was full

  // Any thread; never blocks beyond the short critical section. Wakes the control loop only
  // on the empty -> non-empty transition: the drain takes the whole batch, so one activation
  // per batch is enough (event_active costs a write to the base's notification fd).
  // Messages (register, unregister, greet) are dropped when kMailboxLimit are already
  // waiting; connection events never are.
  void post(Item item) {
    std::lock_guard<std::mutex> lock(mutex);
    if (wake == nullptr) {
      return;
    }
    bool is_message = item.kind == Item::Kind::Register || item.kind == Item::Kind::Unregister ||
                      item.kind == Item::Kind::Greet;
    if (is_message && items.size() >= kMailboxLimit) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    bool was_empty = items.empty();
    items.push_back(std::move(item));
    if (was_empty) {
      event_active(wake, EV_READ, 0);
    }
  }
};

std::string localIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return "127.0.0.1";
  }
  std::string found = "127.0.0.1";
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    if ((it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0) {
      continue;
    }
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr) {
      found = buf;
      break;
    }
  }
  freeifaddrs(list);
  return found;
}

std::string uuidV4() {
  std::random_device rd;
  uint8_t b[16];
  for (size_t i = 0; i < sizeof b; i += 4) {
    uint32_t r = rd();
    for (size_t j = 0; j < 4; ++j) {
      b[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string serverUrl(const NatsHost& host) {
  std::string hostname = host.hostname;
  if (hostname.find(':') != std::string::npos && hostname.front() != '[') {
    hostname = "[" + hostname + "]";  // IPv6 literal
  }
  return "nats://" + hostname + ":" + std::to_string(host.port);
}

std::string statusText(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0') {
    text += ": ";
    text += detail;
  }
  return text;
}

std::string connectedUrl(natsConnection* nc) {
  char buf[256] = {0};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK) {
    return "";
  }
  return buf;
}

// nats.c's subscription delivery thread. Decoding happens here, off the control thread;
// only decoded messages cross over.
void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* mailbox = static_cast<Mailbox*>(closure);
  std::string_view subject = natsMsg_GetSubject(msg);
  bool is_register = subject == kRouterRegister;
  if (is_register || subject == kRouterUnregister) {
    std::string_view payload(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    Item item{is_register ? Item::Kind::Register : Item::Kind::Unregister, {}, {}};
    std::string error;
    if (decodeRegistryMessage(payload, &item.message, &error)) {
      mailbox->post(std::move(item));
    } else {
      mailbox->validation_errors.fetch_add(1, std::memory_order_relaxed);
      log::warn("nats", "validation-error",
                {{"subject", std::string(subject)},
                 {"error", error},
                 {"payload", std::string(payload.substr(0, kLoggedPayloadBytes))}});
    }
  } else if (subject == kRouterGreet) {
    const char* reply = natsMsg_GetReply(msg);
    if (reply != nullptr && *reply != '\0') {
      mailbox->post(Item{Item::Kind::Greet, {}, reply});
    }
  }
  // Anything else under router.* (other routers' router.start, ...) is ignored, as in gorouter.
  natsMsg_Destroy(msg);
}

void onSubscriptionComplete(void* closure) {
  auto* mailbox = static_cast<Mailbox*>(closure);
  std::lock_guard<std::mutex> lock(mailbox->mutex);
  mailbox->sub_completed = true;
  mailbox->cv.notify_all();
}

// The three connection callbacks run on nats.c's async-callback thread.
void onDisconnected(natsConnection*, void* closure) {
  static_cast<Mailbox*>(closure)->post(Item{Item::Kind::Disconnected, {}, {}});
}

void onReconnected(natsConnection*, void* closure) {
  static_cast<Mailbox*>(closure)->post(Item{Item::Kind::Reconnected, {}, {}});
}

void onClosed(natsConnection*, void* closure) {
  auto* mailbox = static_cast<Mailbox*>(closure);
  mailbox->post(Item{Item::Kind::Closed, {}, {}});
  std::lock_guard<std::mutex> lock(mailbox->mutex);
  mailbox->closed_delivered = true;
  mailbox->cv.notify_all();
}

void onAsyncError(natsConnection*, natsSubscription*, natsStatus err, void*) {
  // Typically a slow consumer: the subscription buffer overflowed and messages were dropped.
  log::warn("nats", "nats-async-error", {{"error", natsStatus_GetText(err)}});
}

}  // namespace

struct NatsSubscriber::Impl {
  Impl(event_base* base, const Config& cfg, Callbacks cbs)
      : control_base(base),
        config(cfg),
        callbacks(std::move(cbs)),
        mailbox(std::make_shared<Mailbox>()) {
    start_id = std::to_string(config.index) + "-" + uuidV4();
    start_payload = routerStartPayload(start_id, localIpv4(),
                                       config.start_response_delay_interval_ns / 1'000'000'000,
                                       config.droplet_stale_threshold_ns / 1'000'000'000);
  }

  ~Impl() { shutdown(); }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mailbox->mutex);
      mailbox->wake = nullptr;  // from now on nats.c's threads post nothing
      mailbox->items.clear();
    }
    if (wake != nullptr) {
      event_free(wake);
      wake = nullptr;
    }
    if (nc != nullptr) {
      // Synchronous: stops nats.c's read loop.
      natsConnection_Close(nc);
      // nats.c still calls onClosed (async-callback thread) and onSubscriptionComplete
      // (delivery thread) with a pointer to the mailbox; wait for both before it can go.
      std::unique_lock<std::mutex> lock(mailbox->mutex);
      bool done = mailbox->cv.wait_for(lock, kShutdownWait, [&] {
        return mailbox->closed_delivered && (sub == nullptr || mailbox->sub_completed);
      });
      lock.unlock();
      if (!done) {
        // Never free memory a nats.c thread may still touch: keep the mailbox forever.
        log::warn("nats", "nats-shutdown-timeout");
        new std::shared_ptr<Mailbox>(mailbox);  // intentional leak
      }
    }
    if (sub != nullptr) {
      natsSubscription_Destroy(sub);
      sub = nullptr;
    }
    if (nc != nullptr) {
      natsConnection_Destroy(nc);
      nc = nullptr;
    }
    if (opts != nullptr) {
      natsOptions_Destroy(opts);
      opts = nullptr;
    }
  }

  bool configureOptions(std::string* error) {
    std::vector<std::string> urls;
    for (const NatsHost& host : config.nats_hosts) {
      urls.push_back(serverUrl(host));
    }
    std::vector<const char*> url_ptrs;
    for (const std::string& url : urls) {
      url_ptrs.push_back(url.c_str());
      servers_description += (servers_description.empty() ? "" : ",") + url;
    }
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) {
      s = natsOptions_SetServers(opts, url_ptrs.data(), static_cast<int>(url_ptrs.size()));
    }
    // Credentials go through SetUserInfo rather than into the URL so that a password with
    // '@' or ':' needs no escaping.
    if (s == NATS_OK && (!config.nats_user.empty() || !config.nats_pass.empty())) {
      s = natsOptions_SetUserInfo(opts, config.nats_user.c_str(), config.nats_pass.c_str());
    }
    if (s == NATS_OK) s = natsOptions_SetName(opts, "router");
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, kReconnectWaitMs);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, kPingIntervalMs);
    if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(opts, kPendingMsgsLimit);
    Mailbox* box = mailbox.get();
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, onDisconnected, box);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, onReconnected, box);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, onClosed, box);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, onAsyncError, box);
    // No natsOptions_SetEventLoop: nats.c reads the socket on its own thread. Reading it on
    // the control loop let a busy control thread (a big publish, a prune pass) stop the
    // reads, and nats-server then closed the connection as a slow consumer (bench/README.md,
    // "Scale benchmarks").
    if (s != NATS_OK) {
      *error = "nats: cannot set client options: " + statusText(s);
      return false;
    }
    return true;
  }

  bool start(std::string* error) {
    if (nc != nullptr) {
      *error = "nats: already started";
      return false;
    }
    // nats.c's threads activate `wake` from outside the control thread, which needs a base
    // with locking: main must call evthread_use_pthreads() before creating the control base.
    evthread_use_pthreads();
    wake = event_new(control_base, -1, 0, &Impl::onWake, this);
    if (wake == nullptr) {
      *error = "nats: cannot create the wake-up event";
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(mailbox->mutex);
      mailbox->wake = wake;
    }
    if (!configureOptions(error)) {
      return false;
    }
    natsStatus s = NATS_OK;
    for (int attempt = 1; attempt <= kConnectAttempts; ++attempt) {
      s = natsConnection_Connect(&nc, opts);
      if (s == NATS_OK) {
        break;
      }
      nc = nullptr;
      log::warn("nats", "nats-connection-failed",
                {{"servers", servers_description},
                 {"attempt", std::to_string(attempt)},
                 {"error", statusText(s)}});
      if (attempt < kConnectAttempts) {
        std::this_thread::sleep_for(kConnectRetryDelay);
      }
    }
    if (s != NATS_OK) {
      *error = "nats: cannot connect to " + servers_description + ": " + statusText(s);
      return false;
    }
    // Like gorouter: announce first, then subscribe.
    publishStart();
    s = natsConnection_Subscribe(&sub, nc, "router.*", onMessage, mailbox.get());
    if (s == NATS_OK) {
      s = natsSubscription_SetPendingLimits(sub, kPendingMsgsLimit, kPendingBytesLimit);
    }
    if (s == NATS_OK) {
      s = natsSubscription_SetOnCompleteCB(sub, onSubscriptionComplete, mailbox.get());
    }
    if (s == NATS_OK) {
      // The SUB must reach the server before we report healthy: a route published right after
      // /health turns 200 would otherwise be dropped by a server that does not know us yet.
      // (nats.c does its I/O on its own threads, so this works before the control loop runs.)
      s = natsConnection_FlushTimeout(nc, kSubscribeFlushTimeoutMs);
    }
    if (s != NATS_OK) {
      *error = "nats: cannot subscribe to router.*: " + statusText(s);
      return false;
    }
    log::info("nats", "nats-connected", {{"url", connectedUrl(nc)}, {"id", start_id}});
    return true;
  }

  void publishStart() {
    natsStatus s = natsConnection_PublishString(nc, kRouterStart, start_payload.c_str());
    if (s != NATS_OK) {
      log::warn("nats", "router-start-publish-failed", {{"error", statusText(s)}});
    }
  }

  // Control thread: runs everything nats.c's threads queued since the last wake-up.
  static void onWake(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    std::vector<Item> batch;
    {
      std::lock_guard<std::mutex> lock(self->mailbox->mutex);
      batch.swap(self->mailbox->items);
    }
    for (Item& item : batch) {
      self->dispatch(item);
    }
  }

  void dispatch(Item& item) {
    switch (item.kind) {
      case Item::Kind::Register:
        if (callbacks.on_register) {
          callbacks.on_register(item.message);
        }
        break;
      case Item::Kind::Unregister:
        if (callbacks.on_unregister) {
          callbacks.on_unregister(item.message);
        }
        break;
      case Item::Kind::Greet: {
        natsStatus s = natsConnection_PublishString(nc, item.reply.c_str(), start_payload.c_str());
        if (s != NATS_OK) {
          log::warn("nats", "greet-reply-failed", {{"error", statusText(s)}});
        }
        break;
      }
      case Item::Kind::Disconnected:
        log::warn("nats", "nats-disconnected");
        if (callbacks.on_connection_change) {
          callbacks.on_connection_change(false);
        }
        break;
      case Item::Kind::Reconnected:
        log::info("nats", "nats-reconnected", {{"url", connectedUrl(nc)}});
        // Emitters re-send every registration when they see router.start.
        publishStart();
        if (callbacks.on_connection_change) {
          callbacks.on_connection_change(true);
        }
        break;
      case Item::Kind::Closed:
        // Only happens outside shutdown if nats.c gives up, which MaxReconnect=-1 prevents.
        log::error("nats", "nats-connection-closed");
        if (callbacks.on_connection_change) {
          callbacks.on_connection_change(false);
        }
        break;
    }
  }

  event_base* control_base;
  Config config;
  Callbacks callbacks;
  std::shared_ptr<Mailbox> mailbox;
  event* wake = nullptr;
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  natsSubscription* sub = nullptr;
  std::string start_id;
  std::string start_payload;
  std::string servers_description;
};

NatsSubscriber::NatsSubscriber(event_base* control_base, const Config& config, Callbacks callbacks)
    : impl_(std::make_unique<Impl>(control_base, config, std::move(callbacks))) {}

NatsSubscriber::~NatsSubscriber() = default;

bool NatsSubscriber::start(std::string* error) { return impl_->start(error); }

bool NatsSubscriber::connected() const {
  return impl_->nc != nullptr && natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED;
}

uint64_t NatsSubscriber::validationErrors() const {
  return impl_->mailbox->validation_errors.load(std::memory_order_relaxed);
}

uint64_t NatsSubscriber::droppedMessages() const {
  uint64_t total = impl_->mailbox->dropped.load(std::memory_order_relaxed);
  int64_t dropped = 0;
  if (impl_->sub != nullptr && natsSubscription_GetDropped(impl_->sub, &dropped) == NATS_OK) {
    total += static_cast<uint64_t>(dropped);
  }
  return total;
}

const std::string& NatsSubscriber::startPayload() const { return impl_->start_payload; }

}  // namespace foundry::router
