// The data plane's hot path allocates nothing per request: a real Worker (both event backends)
// proxies keep-alive requests between a raw client and a raw backend in this process, while
// every operator new of the process is counted. Its own binary (alloc_tests), because it
// replaces the global operator new, which would hide allocations from the sanitizers'
// new/delete checks in the other test binaries.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "router/config/config.h"
#include "router/proxy/worker.h"
#include "router/registry/route_registry.h"
#include "router/registry/table_publisher.h"
#include "tests/test_common/ports.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// The replacements pair malloc with free; GCC cannot see that and warns at every delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace foundry::router {
namespace {

constexpr char kHost[] = "hot-path.apps.example.com";  // longer than std::string's SSO
constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

int listenOn(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), len) != 0 || ::listen(fd, 16) != 0) return -1;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  *port = ntohs(sin.sin_port);
  return fd;
}

// Reads one message ending at the head's end (requests: no body) or, for the client, the
// fixed 5-byte body. Fixed buffers: nothing here allocates.
bool readUntil(int fd, const char* marker) {
  char buf[4096];
  size_t have = 0;
  while (have < sizeof buf - 1) {
    ssize_t n = ::recv(fd, buf + have, sizeof buf - 1 - have, 0);
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
    buf[have] = '\0';
    if (std::strstr(buf, marker) != nullptr) return true;
  }
  return false;
}

// Answers every request on every accepted connection with kResponse, one connection at a time.
void serveBackend(int listen_fd, std::atomic<bool>* stop) {
  while (!stop->load()) {
    int c = ::accept(listen_fd, nullptr, nullptr);
    if (c < 0) return;
    while (readUntil(c, "\r\n\r\n")) {
      if (::send(c, kResponse, sizeof kResponse - 1, MSG_NOSIGNAL) < 0) break;
    }
    ::close(c);
  }
}

class HotPathAllocationTest : public ::testing::TestWithParam<EventBackend> {};

TEST_P(HotPathAllocationTest, KeepAliveRequestsAllocateNothing) {
  uint16_t backend_port = 0;
  int backend_fd = listenOn(&backend_port);
  ASSERT_GE(backend_fd, 0);
  std::atomic<bool> stop{false};
  std::thread backend(serveBackend, backend_fd, &stop);

  RouteRegistry registry(RouteRegistry::Options{});
  RouteKey key;
  ASSERT_TRUE(parseRegisteredUri(kHost, &key));
  EndpointFields fields;
  fields.host = "127.0.0.1";
  fields.port = backend_port;
  registry.registerEndpoint(key, fields, 0);
  TablePublisher publisher;
  publisher.publish(registry.publish());

  Config config;
  config.ip = "127.0.0.1";
  config.port = foundry::test::freeTcpPort();
  std::string error;
  LiveConfigPublisher live(buildLiveConfig(config, 1, nullptr, &error));
  auto worker = std::make_unique<Worker>(0, live, publisher, GetParam());
  ASSERT_TRUE(worker->listen(&error)) << error;
  worker->start();

  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(config.port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  const std::string request = std::string("GET /some/path?q=1 HTTP/1.1\r\nHost: ") + kHost +
                              "\r\nUser-Agent: alloc-test\r\n\r\n";
  auto roundTrip = [&] {
    return ::send(client, request.data(), request.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(request.size()) &&
           readUntil(client, "hello");
  };
  // Warm-up: buffers reach their working size, the upstream connection is pooled.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(roundTrip()) << "request " << i;

  constexpr int kRequests = 2000;
  g_allocations = 0;
  g_counting = true;
  int ok = 0;
  for (int i = 0; i < kRequests; ++i) ok += roundTrip() ? 1 : 0;
  g_counting = false;
  EXPECT_EQ(ok, kRequests);
  EXPECT_EQ(g_allocations.load(), 0u)
      << "operator new calls during " << kRequests << " proxied requests ("
      << eventBackendName(GetParam()) << ")";
  EXPECT_EQ(worker->stats().requests.load(), 200u + kRequests);

  ::close(client);
  worker.reset();  // closes the upstream connection, so the backend thread can finish
  stop = true;
  ::shutdown(backend_fd, SHUT_RDWR);
  ::close(backend_fd);
  backend.join();
}

INSTANTIATE_TEST_SUITE_P(Backends, HotPathAllocationTest,
                         ::testing::Values(EventBackend::Epoll, EventBackend::IoUring),
                         [](const auto& info) {
                           return std::string(info.param == EventBackend::Epoll ? "epoll"
                                                                                : "io_uring");
                         });

}  // namespace
}  // namespace foundry::router
