// NatsSubscriber against a real nats-server: callbacks on the control thread, greet replies,
// router.start on connect and on reconnect, malformed messages dropped and counted.

#include "router/nats/nats_subscriber.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/ports.h"

namespace foundry::router {
namespace {

using namespace std::chrono_literals;
using test::EventLoopThread;
using test::NatsServer;

// A TCP forwarder between the subscriber and nats-server. While blocked it cuts every
// connection and closes new ones at once, which keeps the subscriber from reconnecting until
// the test is ready to watch for its router.start.
class TcpProxy {
 public:
  explicit TcpProxy(uint16_t upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { acceptLoop(); });
  }

  ~TcpProxy() {
    stop_ = true;
    accept_thread_.join();
    cutAll();
    for (std::thread& t : pipes_) {
      t.join();
    }
    close(listen_fd_);
  }

  uint16_t port() const { return port_; }

  void setBlocked(bool blocked) {
    blocked_ = blocked;
    if (blocked) {
      cutAll();
    }
  }

 private:
  void cutAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : live_fds_) {
      shutdown(fd, SHUT_RDWR);
    }
  }

  void acceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) {
        continue;
      }
      int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        continue;
      }
      if (blocked_) {
        close(client);
        continue;
      }
      int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(upstream_port_);
      if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(upstream);
        close(client);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        live_fds_.insert(client);
        live_fds_.insert(upstream);
      }
      pipes_.emplace_back([this, client, upstream] { pipe(client, upstream); });
    }
  }

  void pipe(int a, int b) {
    char buf[16384];
    while (!stop_) {
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (poll(p, 2, 20) < 0) {
        break;
      }
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (p[i].revents == 0) {
          continue;
        }
        ssize_t n = read(p[i].fd, buf, sizeof buf);
        if (n <= 0 || write(p[1 - i].fd, buf, static_cast<size_t>(n)) != n) {
          done = true;
        }
      }
      if (done) {
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    live_fds_.erase(a);
    live_fds_.erase(b);
    close(a);
    close(b);
  }

  uint16_t upstream_port_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> blocked_{false};
  std::mutex mutex_;
  std::set<int> live_fds_;  // guarded by mutex_
  std::thread accept_thread_;
  std::list<std::thread> pipes_;  // accept thread only, then the destructor
};

// What the subscriber's callbacks saw, and on which thread.
struct Recorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<RegistryMessage> registered;
  std::vector<RegistryMessage> unregistered;
  std::vector<bool> connection_changes;
  std::set<std::thread::id> threads;

  NatsSubscriber::Callbacks callbacks() {
    NatsSubscriber::Callbacks cbs;
    cbs.on_register = [this](const RegistryMessage& m) { record(&registered, m); };
    cbs.on_unregister = [this](const RegistryMessage& m) { record(&unregistered, m); };
    cbs.on_connection_change = [this](bool up) { record(&connection_changes, up); };
    return cbs;
  }

  template <typename T, typename V>
  void record(std::vector<T>* list, const V& value) {
    std::lock_guard<std::mutex> lock(mutex);
    list->push_back(value);
    threads.insert(std::this_thread::get_id());
    cv.notify_all();
  }

  bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, timeout, done);
  }
};

class NatsSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.start()) << nats_.lastError();
    config_.nats_hosts = {NatsHost{"127.0.0.1", nats_.port()}};
    config_.index = 7;
    config_.start_response_delay_interval_ns = 10'000'000'000;
    config_.droplet_stale_threshold_ns = 60'000'000'000;

    natsOptions* opts = nullptr;
    ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
    natsOptions_SetURL(opts, nats_.url().c_str());
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 20);
    natsOptions_SetReconnectJitter(opts, 0, 0);
    ASSERT_EQ(natsConnection_Connect(&client_, opts), NATS_OK);
    natsOptions_Destroy(opts);
  }

  void TearDown() override {
    loop_.run([this] { subscriber_.reset(); });
    if (start_sub_ != nullptr) {
      natsSubscription_Destroy(start_sub_);
    }
    if (client_ != nullptr) {
      natsConnection_Destroy(client_);
    }
  }

  // Watches router.start from the test's own connection (subscribed before the router).
  void watchRouterStart() {
    ASSERT_EQ(natsConnection_SubscribeSync(&start_sub_, client_, "router.start"), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(client_), NATS_OK);
  }

  std::optional<std::string> nextRouterStart(int64_t timeout_ms = 5000) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, start_sub_, timeout_ms) != NATS_OK) {
      return std::nullopt;
    }
    std::string payload(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    return payload;
  }

  void startSubscriber() {
    bool ok = false;
    std::string error;
    loop_.run([&] {
      subscriber_ = std::make_unique<NatsSubscriber>(loop_.base(), config_, recorder_.callbacks());
      ok = subscriber_->start(&error);
    });
    ASSERT_TRUE(ok) << error;
  }

  // router.greet round trip: once it answers, the router's subscription is live on the server.
  std::optional<std::string> greet(int attempts = 50) {
    for (int i = 0; i < attempts; ++i) {
      natsMsg* reply = nullptr;
      if (natsConnection_RequestString(&reply, client_, "router.greet", "", 200) == NATS_OK) {
        std::string payload(natsMsg_GetData(reply), natsMsg_GetDataLength(reply));
        natsMsg_Destroy(reply);
        return payload;
      }
      // "No responders" comes back at once while the SUB is not yet at the server: pause, or
      // all attempts are spent within a few milliseconds.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

  void publish(const char* subject, const std::string& payload) {
    ASSERT_EQ(
        natsConnection_Publish(client_, subject, payload.data(), static_cast<int>(payload.size())),
        NATS_OK);
    ASSERT_EQ(natsConnection_Flush(client_), NATS_OK);
  }

  void expectOnlyControlThread() {
    std::lock_guard<std::mutex> lock(recorder_.mutex);
    ASSERT_FALSE(recorder_.threads.empty());
    EXPECT_EQ(recorder_.threads, std::set<std::thread::id>{loop_.threadId()});
  }

  NatsServer nats_;
  EventLoopThread loop_;
  Config config_;
  Recorder recorder_;
  std::unique_ptr<NatsSubscriber> subscriber_;
  natsConnection* client_ = nullptr;
  natsSubscription* start_sub_ = nullptr;
};

constexpr char kRegister[] = R"({"host":"10.0.0.1","port":8080,"uris":["app.example.com"],)"
                             R"("app":"app-guid","private_instance_id":"inst-1",)"
                             R"("tags":{"component":"route-emitter"}})";

TEST_F(NatsSubscriberTest, RegisterAndUnregisterRunOnControlThread) {
  startSubscriber();
  ASSERT_TRUE(greet());
  EXPECT_TRUE(subscriber_->connected());

  publish("router.register", kRegister);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.registered.size() == 1; }));
  publish("router.unregister", kRegister);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.unregistered.size() == 1; }));

  {
    std::lock_guard<std::mutex> lock(recorder_.mutex);
    const RegistryMessage& m = recorder_.registered[0];
    EXPECT_EQ(m.fields.host, "10.0.0.1");
    EXPECT_EQ(m.fields.port, 8080);
    EXPECT_EQ(m.fields.app_id, "app-guid");
    EXPECT_EQ(m.fields.private_instance_id, "inst-1");
    EXPECT_EQ(m.fields.tags.at("component"), "route-emitter");
    EXPECT_EQ(m.uris, std::vector<std::string>{"app.example.com"});
    EXPECT_EQ(recorder_.unregistered[0].fields.host, "10.0.0.1");
  }
  expectOnlyControlThread();
  EXPECT_EQ(subscriber_->validationErrors(), 0u);
}

TEST_F(NatsSubscriberTest, ManyMessagesArriveInOrder) {
  startSubscriber();
  ASSERT_TRUE(greet());
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) {
    std::string payload = R"({"host":"10.0.0.1","port":)" + std::to_string(1000 + i) +
                          R"(,"uris":["a.example.com"]})";
    ASSERT_EQ(natsConnection_PublishString(client_, "router.register", payload.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(client_), NATS_OK);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.registered.size() == kCount; }));
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(recorder_.registered[i].fields.port, 1000 + i);
  }
  EXPECT_EQ(recorder_.threads, std::set<std::thread::id>{loop_.threadId()});
}

TEST_F(NatsSubscriberTest, GreetGetsRouterStartPayload) {
  startSubscriber();
  std::optional<std::string> reply = greet();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, subscriber_->startPayload());
  auto json = nlohmann::json::parse(*reply);
  std::string id = json.at("id");
  EXPECT_TRUE(std::regex_match(
      id, std::regex("7-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  ASSERT_EQ(json.at("hosts").size(), 1u);
  std::string host = json.at("hosts")[0];
  in_addr parsed{};
  EXPECT_EQ(inet_pton(AF_INET, host.c_str(), &parsed), 1) << host;
  EXPECT_EQ(json.at("minimumRegisterIntervalInSeconds"), 10);
  EXPECT_EQ(json.at("pruneThresholdInSeconds"), 60);
}

TEST_F(NatsSubscriberTest, PublishesRouterStartOnConnect) {
  watchRouterStart();
  startSubscriber();
  std::optional<std::string> payload = nextRouterStart();
  ASSERT_TRUE(payload);
  EXPECT_EQ(*payload, subscriber_->startPayload());
}

TEST_F(NatsSubscriberTest, MalformedMessagesAreDroppedAndCounted) {
  startSubscriber();
  ASSERT_TRUE(greet());
  publish("router.register", "this is not json");
  publish("router.register", R"({"host":"10.0.0.1","port":"8080","uris":["a"]})");
  publish("router.unregister", R"({"host":"10.0.0.1","port":1,"tags":{"n":1}})");
  publish("router.register", std::string("\0\xff\x01garbage", 10));
  publish("router.register", kRegister);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.registered.size() == 1; }));
  EXPECT_EQ(subscriber_->validationErrors(), 4u);
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  EXPECT_TRUE(recorder_.unregistered.empty());
  EXPECT_EQ(recorder_.registered[0].fields.host, "10.0.0.1");
}

TEST_F(NatsSubscriberTest, OtherSubjectsAreIgnored) {
  startSubscriber();
  ASSERT_TRUE(greet());
  publish("router.start", R"({"id":"other-router","hosts":["1.2.3.4"]})");
  publish("router.something", kRegister);
  publish("router.register", kRegister);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.registered.size() == 1; }));
  EXPECT_EQ(subscriber_->validationErrors(), 0u);
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  EXPECT_TRUE(recorder_.unregistered.empty());
}

TEST_F(NatsSubscriberTest, RepublishesRouterStartAfterServerRestart) {
  // The router reaches NATS through a proxy so the test can hold it back until the test's
  // own connection is subscribed again on the restarted server.
  TcpProxy proxy(nats_.port());
  config_.nats_hosts = {NatsHost{"127.0.0.1", proxy.port()}};
  watchRouterStart();
  startSubscriber();
  std::optional<std::string> first = nextRouterStart();
  ASSERT_TRUE(first);

  proxy.setBlocked(true);
  nats_.stop();
  ASSERT_TRUE(recorder_.waitFor([&] {
    return !recorder_.connection_changes.empty() && !recorder_.connection_changes.back();
  }));
  EXPECT_FALSE(subscriber_->connected());

  ASSERT_TRUE(nats_.restart()) << nats_.lastError();
  // Our client reconnects by itself and re-sends its SUB; the flush proves the server has it.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (natsConnection_Status(client_) != NATS_CONN_STATUS_CONNECTED &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(natsConnection_Status(client_), NATS_CONN_STATUS_CONNECTED);
  ASSERT_EQ(natsConnection_Flush(client_), NATS_OK);
  EXPECT_FALSE(nextRouterStart(100)) << "router.start before the router could reconnect";

  proxy.setBlocked(false);
  std::optional<std::string> again = nextRouterStart(10000);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);  // same router id across reconnects
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.connection_changes.back(); }));
  EXPECT_TRUE(subscriber_->connected());

  // Routes flow again after the reconnect (the subscription was re-sent).
  ASSERT_TRUE(greet());
  publish("router.register", kRegister);
  ASSERT_TRUE(recorder_.waitFor([&] { return recorder_.registered.size() == 1; }));
  expectOnlyControlThread();
}

TEST_F(NatsSubscriberTest, StartFailsWithoutServer) {
  config_.nats_hosts = {NatsHost{"127.0.0.1", test::freeTcpPort()}};
  bool ok = true;
  std::string error;
  loop_.run([&] {
    subscriber_ = std::make_unique<NatsSubscriber>(loop_.base(), config_, recorder_.callbacks());
    ok = subscriber_->start(&error);
  });
  EXPECT_FALSE(ok);
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
  EXPECT_FALSE(subscriber_->connected());
}

TEST_F(NatsSubscriberTest, DestroyWhileMessagesFlow) {
  startSubscriber();
  ASSERT_TRUE(greet());
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    while (!stop) {
      natsConnection_PublishString(client_, "router.register", kRegister);
    }
  });
  recorder_.waitFor([&] { return recorder_.registered.size() > 10; });
  loop_.run([this] { subscriber_.reset(); });
  stop = true;
  publisher.join();
  SUCCEED();
}

// A stalled control thread (a long publish, a prune pass) must neither stop nats.c from
// reading nor let the queue of decoded messages grow without bound: beyond 131,072 waiting
// messages the newest are dropped and counted in total_dropped_messages; the connection stays
// up, and once the control thread runs again it gets every message that was kept, in order.
TEST_F(NatsSubscriberTest, StalledControlThreadDropsAndCountsInsteadOfBlocking) {
  startSubscriber();
  ASSERT_TRUE(greet());
  constexpr int kLimit = 131'072;
  constexpr int kCount = kLimit + 9'000;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::thread blocker([&] {
    loop_.run([released, &entered] {
      entered.set_value();
      released.wait();
    });
  });
  // Publish only once the control thread is inside the blocker: before that it would still
  // take messages off the queue (a loaded machine may start the blocker thread late).
  entered.get_future().wait();
  for (int i = 0; i < kCount; ++i) {
    std::string payload =
        R"({"host":"10.0.0.1","port":8080,"uris":["h)" + std::to_string(i) + R"(.com"]})";
    ASSERT_EQ(natsConnection_PublishString(client_, "router.register", payload.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(client_), NATS_OK);
  // Everything beyond the limit is dropped while the control thread is still blocked.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (subscriber_->droppedMessages() < static_cast<uint64_t>(kCount - kLimit) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(subscriber_->connected());
  uint64_t dropped = subscriber_->droppedMessages();
  EXPECT_GE(dropped, static_cast<uint64_t>(kCount - kLimit));
  {
    std::lock_guard<std::mutex> lock(recorder_.mutex);
    EXPECT_TRUE(recorder_.registered.empty());  // the control thread really was blocked
  }
  release.set_value();
  blocker.join();
  ASSERT_TRUE(recorder_.waitFor(
      [&] { return recorder_.registered.size() + dropped >= static_cast<size_t>(kCount); }, 30s));
  EXPECT_EQ(recorder_.registered.size() + subscriber_->droppedMessages(),
            static_cast<size_t>(kCount));
  EXPECT_EQ(subscriber_->validationErrors(), 0u);
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  // Kept messages arrive in publish order (the drops are the newest, so a prefix is kept).
  for (size_t i = 0; i < recorder_.registered.size(); ++i) {
    ASSERT_EQ(recorder_.registered[i].uris.at(0), "h" + std::to_string(i) + ".com");
  }
}

}  // namespace
}  // namespace foundry::router
