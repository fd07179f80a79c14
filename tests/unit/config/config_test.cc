#include "router/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace foundry::router {
namespace {

// Captures what the structured logger writes to stderr (fd 2) while alive.
class StderrCapture {
 public:
  StderrCapture() {
    file_ = std::tmpfile();
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) {
      out.append(buf, n);
    }
    return out;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      fflush(stderr);
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
    }
  }
  FILE* file_;
  int saved_ = -1;
};

Config load(const std::string& yaml) {
  Config config;
  std::string error;
  EXPECT_TRUE(loadConfigString(yaml, &config, &error)) << error;
  return config;
}

std::string loadError(const std::string& yaml) {
  Config config;
  std::string error;
  EXPECT_FALSE(loadConfigString(yaml, &config, &error)) << "accepted: " << yaml;
  return error;
}

constexpr int64_t kSecond = 1'000'000'000;

TEST(ConfigTest, EmptyDocumentGivesBoshDefaults) {
  Config c = load("");
  EXPECT_EQ(c.port, 80);
  EXPECT_EQ(c.status_host, "0.0.0.0");
  EXPECT_EQ(c.status_port, 8080);
  EXPECT_EQ(c.status_routes_port, 8082);
  ASSERT_EQ(c.nats_hosts.size(), 1u);
  EXPECT_EQ(c.nats_hosts[0].hostname, "localhost");
  EXPECT_EQ(c.nats_hosts[0].port, 4222);
  EXPECT_EQ(c.droplet_stale_threshold_ns, 120 * kSecond);
  EXPECT_EQ(c.prune_stale_droplets_interval_ns, 30 * kSecond);
  EXPECT_EQ(c.start_response_delay_interval_ns, 20 * kSecond);
  EXPECT_TRUE(c.suspend_pruning_if_nats_unavailable);
  EXPECT_TRUE(c.empty_pool_response_code_503);
  EXPECT_EQ(c.endpoint_timeout_ns, 900 * kSecond);
  EXPECT_EQ(c.endpoint_dial_timeout_ns, 5 * kSecond);
  EXPECT_EQ(c.max_request_header_bytes, 1024u * 1024u);
  EXPECT_EQ(c.max_attempts, 3);
  EXPECT_EQ(c.max_conns, 500);
  EXPECT_FALSE(c.disable_keep_alives);
  EXPECT_EQ(c.max_idle_conns_per_host, 100);
  EXPECT_EQ(c.balancing_algorithm, "round-robin");
  EXPECT_EQ(c.sticky_session_cookie_names, std::vector<std::string>{"JSESSIONID"});
  EXPECT_EQ(c.healthcheck_user_agent, "HTTP-Monitor/1.1");
  EXPECT_EQ(c.logging_level, "info");
  EXPECT_EQ(c.workers, 0);
}

TEST(ConfigTest, CommentsOnlyDocumentIsDefaults) {
  Config c = load("# nothing here\n");
  EXPECT_EQ(c.port, 80);
}

TEST(ConfigTest, LoadResetsToDefaultsFirst) {
  Config c;
  c.port = 1234;
  std::string error;
  ASSERT_TRUE(loadConfigString("index: 2\n", &c, &error)) << error;
  EXPECT_EQ(c.port, 80);
  EXPECT_EQ(c.index, 2u);
}

TEST(ConfigTest, TopLevelScalars) {
  Config c = load(R"(
port: 8081
index: 3
zone: z1
workers: 4
ip: 127.0.0.1
trace_key: "42"
healthcheck_user_agent: Monitor/2
disable_keep_alives: true
max_idle_conns: 7
max_idle_conns_per_host: 9
keep_alive_100_continue_requests: yes
force_forwarded_proto_https: true
sanitize_forwarded_proto: on
suspend_pruning_if_nats_unavailable: false
empty_pool_response_code_503: false
balancing_algorithm: least-connection
sticky_session_cookie_names: [JSESSIONID, SESSION]
hop_by_hop_headers_to_filter:
  - X-Foo
  - X-Bar
)");
  EXPECT_EQ(c.port, 8081);
  EXPECT_EQ(c.index, 3u);
  EXPECT_EQ(c.zone, "z1");
  EXPECT_EQ(c.workers, 4);
  EXPECT_EQ(c.ip, "127.0.0.1");
  EXPECT_EQ(c.trace_key, "42");
  EXPECT_EQ(c.healthcheck_user_agent, "Monitor/2");
  EXPECT_TRUE(c.disable_keep_alives);
  EXPECT_EQ(c.max_idle_conns, 7);
  EXPECT_EQ(c.max_idle_conns_per_host, 9);
  EXPECT_TRUE(c.keep_alive_100_continue_requests);
  EXPECT_TRUE(c.force_forwarded_proto_https);
  EXPECT_TRUE(c.sanitize_forwarded_proto);
  EXPECT_FALSE(c.suspend_pruning_if_nats_unavailable);
  EXPECT_FALSE(c.empty_pool_response_code_503);
  EXPECT_EQ(c.balancing_algorithm, "least-connection");
  EXPECT_EQ(c.sticky_session_cookie_names, (std::vector<std::string>{"JSESSIONID", "SESSION"}));
  EXPECT_EQ(c.hop_by_hop_headers_to_filter, (std::vector<std::string>{"X-Foo", "X-Bar"}));
}

TEST(ConfigTest, StatusSection) {
  Config c = load(R"(
status:
  host: 127.0.0.1
  port: 9080
  user: router-status
  pass: 1234
  routes:
    port: 9082
  tls:
    port: 8443
    certificate: x
    key: y
  enable_nontls_health_checks: true
)");
  EXPECT_EQ(c.status_host, "127.0.0.1");
  EXPECT_EQ(c.status_port, 9080);
  EXPECT_EQ(c.status_user, "router-status");
  EXPECT_EQ(c.status_pass, "1234");  // a YAML integer is fine for a string key, as in yaml.v2
  EXPECT_EQ(c.status_routes_port, 9082);
}

TEST(ConfigTest, NatsSection) {
  Config c = load(R"(
nats:
  user: nats
  pass: "p@ss:word"
  tls_enabled: false
  hosts:
  - hostname: 10.0.0.1
    port: 4223
  - hostname: nats.service.cf.internal
    port: 4224
)");
  ASSERT_EQ(c.nats_hosts.size(), 2u);
  EXPECT_EQ(c.nats_hosts[0].hostname, "10.0.0.1");
  EXPECT_EQ(c.nats_hosts[0].port, 4223);
  EXPECT_EQ(c.nats_hosts[1].hostname, "nats.service.cf.internal");
  EXPECT_EQ(c.nats_hosts[1].port, 4224);
  EXPECT_EQ(c.nats_user, "nats");
  EXPECT_EQ(c.nats_pass, "p@ss:word");
}

TEST(ConfigTest, LegacyNatsList) {
  Config c = load(R"(
nats:
- host: 10.0.0.9
  port: 4222
  user: u
  pass: p
)");
  ASSERT_EQ(c.nats_hosts.size(), 1u);
  EXPECT_EQ(c.nats_hosts[0].hostname, "10.0.0.9");
  EXPECT_EQ(c.nats_user, "u");
  EXPECT_EQ(c.nats_pass, "p");
}

TEST(ConfigTest, NatsHostsMustNotBeEmpty) {
  EXPECT_NE(loadError("nats:\n  hosts: []\n").find("'nats.hosts'"), std::string::npos);
}

TEST(ConfigTest, BackendsSection) {
  Config c = load("backends:\n  max_attempts: 5\n  max_conns: 0\n  cert_chain: abc\n");
  EXPECT_EQ(c.max_attempts, 5);
  EXPECT_EQ(c.max_conns, 0);
}

TEST(ConfigTest, MaxAttemptsZeroMeansOne) {
  EXPECT_EQ(load("backends:\n  max_attempts: 0\n").max_attempts, 1);
}

TEST(ConfigTest, MaxAttemptsNegativeFails) {
  std::string error = loadError("backends:\n  max_attempts: -1\n");
  EXPECT_NE(error.find("'backends.max_attempts'"), std::string::npos) << error;
}

TEST(ConfigTest, LoggingAndAccessLog) {
  Config c = load(R"(
logging:
  level: debug
  format:
    timestamp: rfc3339
access_log:
  file: /var/vcap/sys/log/gorouter/access.log
  enable_streaming: true
)");
  EXPECT_EQ(c.logging_level, "debug");
  EXPECT_EQ(c.access_log_file, "/var/vcap/sys/log/gorouter/access.log");
}

TEST(ConfigTest, UnknownLoggingLevelFails) {
  std::string error = loadError("logging:\n  level: verbose\n");
  EXPECT_NE(error.find("'logging.level'"), std::string::npos) << error;
}

TEST(ConfigTest, EventBackendDefaultsToAutoAndTakesTheThreeValues) {
  EXPECT_EQ(load("").event_backend, "auto");
  EXPECT_EQ(load("event_backend: io_uring\n").event_backend, "io_uring");
  EXPECT_EQ(load("event_backend: epoll\n").event_backend, "epoll");
  std::string error = loadError("event_backend: kqueue\n");
  EXPECT_NE(error.find("'event_backend'"), std::string::npos) << error;
  EXPECT_NE(error.find("auto, io_uring or epoll"), std::string::npos) << error;
}

TEST(ConfigTest, EnableProxyDefaultsOffAndIsABoolean) {
  EXPECT_FALSE(load("").enable_proxy);
  EXPECT_TRUE(load("enable_proxy: true\n").enable_proxy);
  std::string error = loadError("enable_proxy: maybe\n");
  EXPECT_NE(error.find("'enable_proxy'"), std::string::npos) << error;
}

TEST(ConfigTest, Durations) {
  Config c = load(R"(
droplet_stale_threshold: 2m
prune_stale_droplets_interval: 1m30s
start_response_delay_interval: 5
endpoint_timeout: 250ms
endpoint_dial_timeout: 1.5s
frontend_idle_timeout: 1h
read_header_timeout: 0
backend_idle_timeout: 45s
empty_pool_timeout: 10s
)");
  EXPECT_EQ(c.droplet_stale_threshold_ns, 120 * kSecond);
  EXPECT_EQ(c.prune_stale_droplets_interval_ns, 90 * kSecond);
  EXPECT_EQ(c.start_response_delay_interval_ns, 5 * kSecond);
  EXPECT_EQ(c.endpoint_timeout_ns, 250'000'000);
  EXPECT_EQ(c.endpoint_dial_timeout_ns, 1'500'000'000);
  EXPECT_EQ(c.frontend_idle_timeout_ns, 3600 * kSecond);
  EXPECT_EQ(c.read_header_timeout_ns, 0);
  EXPECT_EQ(c.backend_idle_timeout_ns, 45 * kSecond);
  EXPECT_EQ(c.empty_pool_timeout_ns, 10 * kSecond);
}

TEST(ConfigTest, StaleThresholdRaisedToStartResponseDelay) {
  Config c = load("droplet_stale_threshold: 10s\nstart_response_delay_interval: 30s\n");
  EXPECT_EQ(c.droplet_stale_threshold_ns, 30 * kSecond);
}

TEST(ConfigTest, BadDurationNamesKey) {
  std::string error = loadError("endpoint_timeout: abc\n");
  EXPECT_EQ(error, "config key 'endpoint_timeout': invalid duration \"abc\"");
}

TEST(ConfigTest, NegativeDurationFails) {
  std::string error = loadError("drain_wait: 1s\nendpoint_dial_timeout: -5s\n");
  EXPECT_NE(error.find("'endpoint_dial_timeout'"), std::string::npos) << error;
}

TEST(ConfigTest, HeaderBytesBothNames) {
  EXPECT_EQ(load("max_header_bytes: 8192\n").max_request_header_bytes, 8192u);
  EXPECT_EQ(load("max_request_header_bytes: 4096\n").max_request_header_bytes, 4096u);
  EXPECT_EQ(load("max_request_header_bytes: 0\n").max_request_header_bytes, 1024u * 1024u);
  EXPECT_EQ(load("max_header_bytes: 99999999\n").max_request_header_bytes, 1024u * 1024u);
  EXPECT_NE(loadError("max_request_header_bytes: -1\n").find("'max_request_header_bytes'"),
            std::string::npos);
}

TEST(ConfigTest, UnknownKeysWarnButLoad) {
  StderrCapture capture;
  Config config;
  std::string error;
  bool ok = loadConfigString("port: 81\nbogus_key: 1\nstatus:\n  foo: bar\n", &config, &error);
  std::string logged = capture.text();
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(config.port, 81);
  EXPECT_NE(logged.find("unknown-config-key"), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"key\":\"bogus_key\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"key\":\"status.foo\""), std::string::npos) << logged;
}

TEST(ConfigTest, IgnoredGorouterKeysDoNotWarn) {
  StderrCapture capture;
  Config config;
  std::string error;
  bool ok = loadConfigString(R"(
enable_ssl: true
tls_pem:
- cert_chain: abc
  private_key: def
route_services_secret: s3cret
drain_wait: 20s
drain_timeout: 900s
oauth:
  token_endpoint: uaa.service.cf.internal
  port: 8443
routing_api:
  uri: http://routing-api
tracing:
  enable_zipkin: true
prometheus:
  port: 9100
)",
                             &config, &error);
  std::string logged = capture.text();
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(logged.find("unknown-config-key"), std::string::npos) << logged;
}

TEST(ConfigTest, NullValueKeepsDefault) {
  Config c = load("port:\nstatus:\n  port: ~\n");
  EXPECT_EQ(c.port, 80);
  EXPECT_EQ(c.status_port, 8080);
}

TEST(ConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  const Case cases[] = {
      {"port: 70000\n", "'port'"},
      {"port: -1\n", "'port'"},
      {"port: abc\n", "'port'"},
      {"port: [1]\n", "'port'"},
      {"index: -2\n", "'index'"},
      {"workers: -1\n", "'workers'"},
      {"status:\n  port: 65536\n", "'status.port'"},
      {"status:\n  routes:\n    port: x\n", "'status.routes.port'"},
      {"status: hello\n", "'status'"},
      {"status:\n  user: [a, b]\n", "'status.user'"},
      {"nats:\n  hosts:\n  - hostname: a\n    port: 99999\n", "'nats.hosts[0].port'"},
      {"nats:\n  hosts: notalist\n", "'nats.hosts'"},
      {"backends:\n  max_conns: -3\n", "'backends.max_conns'"},
      {"disable_keep_alives: maybe\n", "'disable_keep_alives'"},
      {"max_idle_conns: -1\n", "'max_idle_conns'"},
      {"balancing_algorithm: random\n", "'balancing_algorithm'"},
      {"sticky_session_cookie_names: JSESSIONID\n", "'sticky_session_cookie_names'"},
      {"droplet_stale_threshold: 10x\n", "'droplet_stale_threshold'"},
      {"prune_stale_droplets_interval: {a: 1}\n", "'prune_stale_droplets_interval'"},
      {"max_request_header_bytes: 1.5\n", "'max_request_header_bytes'"},
  };
  for (const Case& c : cases) {
    std::string error = loadError(c.yaml);
    EXPECT_NE(error.find(c.key), std::string::npos) << c.yaml << " -> " << error;
  }
}

TEST(ConfigTest, InvalidYamlFails) {
  EXPECT_FALSE(loadError("port: [1, 2\n").empty());
  EXPECT_FALSE(loadError("- a\n- b\n").empty());
}

TEST(ConfigTest, LoadFile) {
  char path[] = "/tmp/config_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    out << "port: 8088\nstatus:\n  pass: secret\n";
  }
  Config c;
  std::string error;
  EXPECT_TRUE(loadConfigFile(path, &c, &error)) << error;
  EXPECT_EQ(c.port, 8088);
  EXPECT_EQ(c.status_pass, "secret");
  unlink(path);
  EXPECT_FALSE(loadConfigFile(path, &c, &error));
  EXPECT_NE(error.find(path), std::string::npos);
}

TEST(ConfigDurationTest, GoSyntax) {
  int64_t ns = 0;
  ASSERT_TRUE(parseDuration("5s", &ns));
  EXPECT_EQ(ns, 5 * kSecond);
  ASSERT_TRUE(parseDuration("1m30s", &ns));
  EXPECT_EQ(ns, 90 * kSecond);
  ASSERT_TRUE(parseDuration("250ms", &ns));
  EXPECT_EQ(ns, 250'000'000);
  ASSERT_TRUE(parseDuration("1h", &ns));
  EXPECT_EQ(ns, 3600 * kSecond);
  ASSERT_TRUE(parseDuration("1h2m3s4ms5us6ns", &ns));
  EXPECT_EQ(ns, 3723 * kSecond + 4'005'006);
  ASSERT_TRUE(parseDuration("1.5h", &ns));
  EXPECT_EQ(ns, 5400 * kSecond);
  ASSERT_TRUE(parseDuration(".5s", &ns));
  EXPECT_EQ(ns, 500'000'000);
  ASSERT_TRUE(parseDuration("3\xc2\xb5s", &ns));
  EXPECT_EQ(ns, 3'000);
  ASSERT_TRUE(parseDuration("0", &ns));
  EXPECT_EQ(ns, 0);
  ASSERT_TRUE(parseDuration("-2s", &ns));
  EXPECT_EQ(ns, -2 * kSecond);
}

TEST(ConfigDurationTest, BareIntegerIsSeconds) {
  int64_t ns = 0;
  ASSERT_TRUE(parseDuration("20", &ns));
  EXPECT_EQ(ns, 20 * kSecond);
  ASSERT_TRUE(parseDuration("900", &ns));
  EXPECT_EQ(ns, 900 * kSecond);
}

TEST(ConfigDurationTest, Rejects) {
  int64_t ns = 0;
  for (const char* bad : {"", "abc", "s", "5x", "1.5", "1..5s", "5s5", "-", "+", " 5s",
                          "99999999999999999999s", "9999999999h", "5 s", "."}) {
    EXPECT_FALSE(parseDuration(bad, &ns)) << bad;
  }
}

}  // namespace
}  // namespace foundry::router
