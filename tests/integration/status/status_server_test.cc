// StatusServer over real sockets: /health and its headers, the liveness path, and /routes
// behind basic auth on a loopback-only listener, with a real RouteRegistry behind it.

#include "router/status/status_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "router/route/route_key.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/ports.h"

namespace foundry::router {
namespace {

using test::EventLoopThread;
using test::HttpClient;
using test::HttpResponse;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> nonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return std::nullopt;
  }
  std::optional<std::string> found;
  for (ifaddrs* it = list; it != nullptr && !found; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET ||
        (it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0) {
      continue;
    }
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr, buf, sizeof buf);
    found = buf;
  }
  freeifaddrs(list);
  return found;
}

bool canConnect(const std::string& ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

class StatusServerTest : public ::testing::Test {
 protected:
  StatusServerTest() : registry_(RouteRegistry::Options{}) {
    config_.status_host = "0.0.0.0";
    config_.status_port = 0;
    config_.status_routes_port = 0;
    config_.status_user = "router-status";
    config_.status_pass = "s3cr3t:pass";
    config_.droplet_stale_threshold_ns = 120'000'000'000;
  }

  void TearDown() override {
    loop_.run([this] { server_.reset(); });
  }

  void startServer() {
    bool ok = false;
    std::string error;
    loop_.run([&] {
      server_ = std::make_unique<StatusServer>(loop_.base(), config_, registry_,
                                               [this] { return healthy_.load(); });
      ok = server_->start(&error);
    });
    ASSERT_TRUE(ok) << error;
    ASSERT_NE(server_->healthPort(), 0);
    ASSERT_NE(server_->routesPort(), 0);
  }

  void registerRoute(const std::string& uri, const EndpointFields& fields) {
    loop_.run([&] {
      RouteKey key;
      ASSERT_TRUE(parseRegisteredUri(uri, &key));
      registry_.registerEndpoint(key, fields, 1);
    });
  }

  // A keep-alive GET: the server, not the client, has to close the connection.
  std::optional<HttpResponse> get(uint16_t port, const std::string& path,
                                  const std::vector<std::string>& headers = {}) {
    HttpClient client(port);
    return client.get("localhost", path, headers);
  }

  std::optional<HttpResponse> getRoutes(const std::string& user, const std::string& pass) {
    return get(server_->routesPort(), "/routes",
               {"Authorization: Basic " + base64(user + ":" + pass)});
  }

  EventLoopThread loop_;
  Config config_;
  RouteRegistry registry_;
  std::atomic<bool> healthy_{false};
  std::unique_ptr<StatusServer> server_;
};

TEST_F(StatusServerTest, HealthIs503UntilHealthy) {
  startServer();
  auto r = get(server_->healthPort(), "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->header("Content-Length"), "0");
  EXPECT_FALSE(r->hasHeader("Content-Type"));
  EXPECT_EQ(r->header("Cache-Control"), "private, max-age=0");
  EXPECT_EQ(r->header("Expires"), "0");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(r->closed);

  healthy_ = true;
  r = get(server_->healthPort(), "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->header("Cache-Control"), "private, max-age=0");
  EXPECT_EQ(r->header("Expires"), "0");
  EXPECT_TRUE(r->closed);

  healthy_ = false;  // e.g. draining
  r = get(server_->healthPort(), "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(StatusServerTest, ProcessAliveIgnoresHealth) {
  startServer();
  auto r = get(server_->healthPort(), "/is-process-alive-do-not-use-for-loadbalancing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
}

TEST_F(StatusServerTest, UnknownPaths404) {
  startServer();
  auto r = get(server_->healthPort(), "/routes");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = get(server_->routesPort(), "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(StatusServerTest, HealthQueryStringIgnored) {
  startServer();
  healthy_ = true;
  auto r = get(server_->healthPort(), "/health?probe=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(StatusServerTest, RoutesRequireBasicAuth) {
  startServer();
  auto r = get(server_->routesPort(), "/routes");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("WWW-Authenticate"), "Basic realm=\"\"");

  r = getRoutes("router-status", "wrong");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = getRoutes("someone", "s3cr3t:pass");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = get(server_->routesPort(), "/routes", {"Authorization: Bearer abc"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = get(server_->routesPort(), "/routes", {"Authorization: Basic !!!"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  r = getRoutes("router-status", "s3cr3t:pass");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r->body), nlohmann::json::object());
}

TEST_F(StatusServerTest, RoutesJsonShape) {
  EndpointFields plain;
  plain.host = "10.0.0.1";
  plain.port = 8080;
  plain.app_id = "app-guid";
  plain.tags = {{"component", "route-emitter"}};
  registerRoute("app.example.com", plain);

  EndpointFields full;
  full.host = "10.0.0.2";
  full.port = 8443;
  full.tls = true;
  full.protocol = "http2";
  full.availability_zone = "z1";
  full.private_instance_id = "inst-2";
  full.route_service_url = "https://rs.example.com";
  full.server_cert_domain_san = "inst-2.san";
  full.isolation_segment = "iso";
  full.lb_algo = "least-connection";
  full.stale_threshold_s = 30;
  registerRoute("app.example.com/path", full);

  startServer();
  auto r = getRoutes("router-status", "s3cr3t:pass");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto json = nlohmann::json::parse(r->body);
  ASSERT_TRUE(json.is_object());
  ASSERT_EQ(json.size(), 2u) << json.dump();

  ASSERT_TRUE(json.contains("app.example.com")) << json.dump();
  auto e = json["app.example.com"];
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], nlohmann::json::parse(R"({
      "address": "10.0.0.1:8080", "availability_zone": "", "protocol": "http1", "tls": false,
      "ttl": 120, "tags": {"component": "route-emitter"}})"));

  ASSERT_TRUE(json.contains("app.example.com/path")) << json.dump();
  e = json["app.example.com/path"];
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], nlohmann::json::parse(R"({
      "address": "10.0.0.2:8443", "availability_zone": "z1", "protocol": "http2", "tls": true,
      "ttl": 30, "tags": {}, "private_instance_id": "inst-2",
      "route_service_url": "https://rs.example.com", "server_cert_domain_san": "inst-2.san",
      "isolation_segment": "iso", "load_balancing_algorithm": "least-connection"})"));
}

TEST_F(StatusServerTest, TtlNeverExceedsGlobalThreshold) {
  EndpointFields f;
  f.host = "10.0.0.3";
  f.port = 1;
  f.stale_threshold_s = 500;  // larger than the global 120 s: the global one applies
  registerRoute("ttl.example.com", f);
  startServer();
  auto r = getRoutes("router-status", "s3cr3t:pass");
  ASSERT_TRUE(r);
  auto json = nlohmann::json::parse(r->body);
  EXPECT_EQ(json["ttl.example.com"][0]["ttl"], 120);
}

TEST_F(StatusServerTest, SeveralEndpointsInOnePool) {
  for (int i = 0; i < 3; ++i) {
    EndpointFields f;
    f.host = "10.0.1." + std::to_string(i);
    f.port = 9000;
    registerRoute("multi.example.com", f);
  }
  startServer();
  auto r = getRoutes("router-status", "s3cr3t:pass");
  ASSERT_TRUE(r);
  auto json = nlohmann::json::parse(r->body);
  ASSERT_EQ(json["multi.example.com"].size(), 3u);
  std::set<std::string> addresses;
  for (const auto& e : json["multi.example.com"]) {
    addresses.insert(e["address"].get<std::string>());
  }
  EXPECT_EQ(addresses, (std::set<std::string>{"10.0.1.0:9000", "10.0.1.1:9000", "10.0.1.2:9000"}));
}

TEST_F(StatusServerTest, RoutesListenerIsLoopbackOnly) {
  std::optional<std::string> ip = nonLoopbackIpv4();
  if (!ip) {
    GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  }
  startServer();
  EXPECT_TRUE(canConnect("127.0.0.1", server_->routesPort()));
  EXPECT_FALSE(canConnect(*ip, server_->routesPort()));
  EXPECT_TRUE(canConnect(*ip, server_->healthPort()));  // status.host is 0.0.0.0
}

TEST_F(StatusServerTest, ConfiguredPortsAreUsed) {
  config_.status_port = test::freeTcpPort();
  config_.status_routes_port = test::freeTcpPort();
  startServer();
  EXPECT_EQ(server_->healthPort(), config_.status_port);
  EXPECT_EQ(server_->routesPort(), config_.status_routes_port);
}

TEST_F(StatusServerTest, BindFailureNamesTheAddress) {
  // Occupy a port on all interfaces so the status listener cannot have it.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  config_.status_port = ntohs(addr.sin_port);

  bool ok = true;
  std::string error;
  loop_.run([&] {
    server_ = std::make_unique<StatusServer>(loop_.base(), config_, registry_, [] { return true; });
    ok = server_->start(&error);
  });
  close(fd);
  EXPECT_FALSE(ok);
  EXPECT_NE(error.find(":" + std::to_string(config_.status_port)), std::string::npos) << error;
}

}  // namespace
}  // namespace foundry::router
