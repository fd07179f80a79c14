// Many idle client connections (ROUTER-PROTOCOL.md 9.1, 11): up to 10,000 connections that never
// send a byte, a hundred that went idle after one keep-alive request, and a few slow-header
// clients holding a partial head, all open at once, while other clients are served normally.
// Every normal request must succeed with low latency, the idle connections must stay open and
// usable, and the slow-header clients must be answered once their head completes.
//
// The connection count is bounded by RLIMIT_NOFILE: the test raises its soft limit to the hard
// limit before the router starts (the router inherits it) and scales down when that is not
// enough for 10,000, saying so in its output.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/faults/load_generator.h"
#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t kWantedIdle = 10'000;
constexpr size_t kKeepAliveIdle = 100;  // of those, idle after one request (HttpClient)
constexpr size_t kSlowHeaderClients = 4;
// Descriptors kept free in each process for everything else (backends, clients, NATS, logs).
constexpr rlim_t kFdReserve = 512;

size_t openFdCount(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// A blocking connect to 127.0.0.1:port with a bounded wait; -1 on failure.
int connectPlain(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{2, 0};  // bounds connect(2) and the reads below
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes with an RST, so 10,000 closes leave no TIME_WAIT entries holding ephemeral ports.
void closeWithReset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// True if the peer has neither sent anything nor closed: a non-blocking peek finds no data.
bool stillOpenAndQuiet(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// A GET with "Connection: close" on a plain socket; the whole answer (read until close, bounded
// by SO_RCVTIMEO).
std::string plainGet(int fd, const std::string& host) {
  const std::string req =
      "GET /via-idle HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return "";
  }
  std::string out;
  char buf[4096];
  const Deadline deadline = deadlineIn(5s);
  while (Clock::now() < deadline) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class IdleConnectionsTest : public RouterFixture {
 protected:
  void SetUp() override {
    // Before RouterFixture::SetUp starts the router, which inherits the limit.
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_limit_), 0);
    rlimit raised = saved_limit_;
    raised.rlim_cur = raised.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(raised.rlim_cur, 65536)
                                                       : raised.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) raised = saved_limit_;
    restore_limit_ = true;
    const rlim_t usable = raised.rlim_cur > kFdReserve ? raised.rlim_cur - kFdReserve : 0;
    idle_target_ = std::min<size_t>(kWantedIdle, static_cast<size_t>(usable));
    std::printf("idle connections: RLIMIT_NOFILE soft %llu (hard %llu) -> %zu idle connections%s\n",
                static_cast<unsigned long long>(raised.rlim_cur),
                static_cast<unsigned long long>(raised.rlim_max), idle_target_,
                idle_target_ < kWantedIdle ? " (scaled down from 10000)" : "");
    RouterFixture::SetUp();
  }

  void TearDown() override {
    for (int fd : idle_fds_) closeWithReset(fd);
    idle_fds_.clear();
    if (restore_limit_) ::setrlimit(RLIMIT_NOFILE, &saved_limit_);
  }

  rlimit saved_limit_{};
  bool restore_limit_ = false;
  size_t idle_target_ = 0;
  std::vector<int> idle_fds_;
};

TEST_F(IdleConnectionsTest, TenThousandIdleAndSlowHeaderClientsDoNotHurtServedTraffic) {
  ASSERT_GE(idle_target_, 1000u) << "RLIMIT_NOFILE too low for a meaningful test";
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  const pid_t router_pid = router_->pid();
  const size_t router_fds_before = openFdCount(router_pid);
  const long rss_before = rssKib(router_pid);

  // Idle after one request: keep-alive connections the router has already served.
  std::vector<std::unique_ptr<HttpClient>> served_idle;
  for (size_t i = 0; i < kKeepAliveIdle; ++i) {
    served_idle.push_back(std::make_unique<HttpClient>(port()));
    auto r = served_idle.back()->get("app.example.com");
    ASSERT_TRUE(r) << served_idle.back()->lastError();
    ASSERT_EQ(r->status, 200);
  }

  // Never-used connections, up to the target (bounded by count and time).
  const size_t plain_target = idle_target_ - kKeepAliveIdle;
  const auto connect_start = Clock::now();
  const Deadline connect_deadline = deadlineIn(8s);
  size_t connect_failures = 0;
  idle_fds_.reserve(plain_target);
  while (idle_fds_.size() < plain_target && Clock::now() < connect_deadline &&
         connect_failures < 20) {
    int fd = connectPlain(port());
    if (fd < 0) {
      ++connect_failures;
      continue;
    }
    idle_fds_.push_back(fd);
  }
  const auto connect_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - connect_start).count();
  ASSERT_EQ(idle_fds_.size(), plain_target) << connect_failures << " connect failures, errno "
                                            << errno << " after " << connect_ms << " ms";

  // Slow-header clients: a partial head each, more of it trickling in during the load.
  std::vector<std::unique_ptr<HttpClient>> slow;
  for (size_t i = 0; i < kSlowHeaderClients; ++i) {
    slow.push_back(std::make_unique<HttpClient>(port()));
    ASSERT_TRUE(slow.back()->send("GET /slow/" + std::to_string(i) + " HTTP/1.1\r\nHo"));
  }

  // The router has accepted them all (not merely the kernel's backlog).
  const size_t total_idle = idle_fds_.size() + kKeepAliveIdle + kSlowHeaderClients;
  const Deadline accept_deadline = deadlineIn(10s);
  size_t router_fds = 0;
  while ((router_fds = openFdCount(router_pid)) < router_fds_before + total_idle &&
         Clock::now() < accept_deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(router_fds, router_fds_before + total_idle)
      << "the router did not accept every connection";
  const long rss_idle = rssKib(router_pid);

  // Normal traffic while all of that is held open.
  LoadGenerator load(port(), "app.example.com", {.threads = 2, .max_duration = 2s});
  load.start();
  const char* more[] = {"st: app.", "example", ".com\r\nX-Sl", "ow: yes\r"};
  for (const char* piece : more) {
    std::this_thread::sleep_for(300ms);
    for (auto& c : slow) ASSERT_TRUE(c->send(piece)) << c->lastError();
  }
  load.join();

  const LoadSummary summary = load.summary();
  const std::string details = summary.describe(load.startTime());
  EXPECT_EQ(summary.failures(), 0u) << details;
  EXPECT_GE(summary.total(), 100u) << details;
  std::vector<double> latencies_ms;
  for (const auto& s : summary.samples) {
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(s.done - s.sent).count());
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double p50 = latencies_ms.empty() ? 0 : latencies_ms[latencies_ms.size() / 2];
  const double p99 = latencies_ms.empty() ? 0 : latencies_ms[latencies_ms.size() * 99 / 100];
  const double max = latencies_ms.empty() ? 0 : latencies_ms.back();
  // Generous: the ASan build shares two cores with another test; a router that walks its idle
  // connections per event, or stalls on them, is far slower than this.
  EXPECT_LT(p99, 100.0) << details;
  EXPECT_LT(max, 1000.0) << details;

  // The idle connections are still open and quiet, and usable.
  size_t closed = 0;
  for (int fd : idle_fds_) {
    if (!stillOpenAndQuiet(fd)) ++closed;
  }
  EXPECT_EQ(closed, 0u) << "idle connections closed by the router";
  for (size_t i = 0; i < 10 && i < idle_fds_.size(); ++i) {
    const size_t pick = i * (idle_fds_.size() / 10);
    const std::string answer = plainGet(idle_fds_[pick], "app.example.com");
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << "idle connection #" << pick << ": " << answer;
  }
  for (auto& c : served_idle) {
    auto r = c->get("app.example.com", "/again");
    ASSERT_TRUE(r) << c->lastError();
    EXPECT_EQ(r->status, 200);
  }

  // The slow heads complete and are answered.
  for (size_t i = 0; i < slow.size(); ++i) {
    ASSERT_TRUE(slow[i]->send("\n\r\n"));
    auto r = slow[i]->readResponse(5s);
    ASSERT_TRUE(r) << "slow client " << i << ": " << slow[i]->lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "backend a");
  }
  size_t slow_seen = 0;
  for (const auto& req : a.requests()) {
    if (req.target.rfind("/slow/", 0) == 0) {
      ++slow_seen;
      EXPECT_EQ(req.header("X-Slow").value_or(""), "yes");
    }
  }
  EXPECT_EQ(slow_seen, kSlowHeaderClients);

  std::printf(
      "idle connections: %zu idle (%zu plain connected in %lld ms, %zu after a request) + %zu "
      "slow-header; router fds %zu -> %zu, RSS %ld -> %ld KiB (%.1f KiB per connection)\n"
      "  served meanwhile: %s\n  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      idle_fds_.size() + kKeepAliveIdle, idle_fds_.size(), static_cast<long long>(connect_ms),
      kKeepAliveIdle, kSlowHeaderClients, router_fds_before, router_fds, rss_before, rss_idle,
      total_idle > 0 ? static_cast<double>(rss_idle - rss_before) / static_cast<double>(total_idle)
                     : 0.0,
      details.c_str(), p50, p99, max);
}

}  // namespace
}  // namespace foundry::test
