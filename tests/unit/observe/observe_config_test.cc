// The config keys the access log and metrics read: logging.disable_log_forwarded_for,
// logging.disable_log_source_ip, logging.redact_query_params, prometheus.port.

#include <gtest/gtest.h>

#include "router/config/config.h"

namespace foundry::router {
namespace {

TEST(ObserveConfigTest, Defaults) {
  Config c;
  std::string error;
  ASSERT_TRUE(loadConfigString("port: 81\n", &c, &error)) << error;
  EXPECT_FALSE(c.disable_log_forwarded_for);
  EXPECT_FALSE(c.disable_log_source_ip);
  EXPECT_EQ(c.redact_query_params, "none");
  EXPECT_EQ(c.prometheus_port, 0);
  EXPECT_EQ(c.access_log_file, "");
}

TEST(ObserveConfigTest, KeysAreRead) {
  Config c;
  std::string error;
  ASSERT_TRUE(loadConfigString(R"(
access_log:
  file: /var/vcap/sys/log/gorouter/access.log
logging:
  level: info
  disable_log_forwarded_for: true
  disable_log_source_ip: yes
  redact_query_params: hash
prometheus:
  port: 9100
  cert_path: /var/vcap/jobs/gorouter/config/certs/prometheus/prometheus.crt
  key_path: /var/vcap/jobs/gorouter/config/certs/prometheus/prometheus.key
  ca_path: /var/vcap/jobs/gorouter/config/certs/prometheus/prometheus_ca.crt
)",
                               &c, &error))
      << error;
  EXPECT_EQ(c.access_log_file, "/var/vcap/sys/log/gorouter/access.log");
  EXPECT_TRUE(c.disable_log_forwarded_for);
  EXPECT_TRUE(c.disable_log_source_ip);
  EXPECT_EQ(c.redact_query_params, "hash");
  EXPECT_EQ(c.prometheus_port, 9100);
}

TEST(ObserveConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  const Case cases[] = {
      {"logging:\n  redact_query_params: some\n", "'logging.redact_query_params'"},
      {"logging:\n  disable_log_source_ip: perhaps\n", "'logging.disable_log_source_ip'"},
      {"logging:\n  disable_log_forwarded_for: [1]\n", "'logging.disable_log_forwarded_for'"},
      {"prometheus:\n  port: 70000\n", "'prometheus.port'"},
      {"prometheus: 9100\n", "'prometheus'"},
  };
  for (const Case& c : cases) {
    Config config;
    std::string error;
    EXPECT_FALSE(loadConfigString(c.yaml, &config, &error)) << c.yaml;
    EXPECT_NE(error.find(c.key), std::string::npos) << c.yaml << " -> " << error;
  }
}

}  // namespace
}  // namespace foundry::router
