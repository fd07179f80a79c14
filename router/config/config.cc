#include "router/config/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/log/log.h"
#include "router/routeservice/hairpin_allowlist.h"

namespace foundry::router {
namespace {

constexpr size_t kMaxRequestHeaderBytes = 1024 * 1024;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Thrown by the typed readers below and caught once in applyYaml(), so each reader can stay a
// one-liner. The message already names the key. Exceptions never leave this file.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw ConfigError{"config key '" + key + "': " + what};
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    default:
      return "nothing";
  }
}

// Scalars only: yaml.v2 (gorouter) accepts any scalar for a string field, so `pass: 1234`
// is the string "1234"; a list or map is an error.
std::string readString(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    fail(key, "expected a string, got " + describe(node));
  }
  return node.Scalar();
}

int64_t readInt(const YAML::Node& node, const std::string& key, int64_t min, int64_t max) {
  if (!node.IsScalar()) {
    fail(key, "expected an integer, got " + describe(node));
  }
  std::string_view text = node.Scalar();
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
    fail(key, "expected an integer, got " + quoted(node.Scalar()));
  }
  if (value < min || value > max) {
    fail(key, "value " + std::to_string(value) + " out of range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]");
  }
  return value;
}

uint16_t readPort(const YAML::Node& node, const std::string& key) {
  return static_cast<uint16_t>(readInt(node, key, 0, 65535));
}

bool readBool(const YAML::Node& node, const std::string& key) {
  bool value = false;
  // yaml-cpp accepts the YAML 1.1 spellings (true/yes/on...), like gorouter's yaml.v2.
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    fail(key, "expected a boolean, got " + describe(node));
  }
  return value;
}

int64_t readDuration(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    fail(key, "expected a duration, got " + describe(node));
  }
  int64_t nanos = 0;
  if (!parseDuration(node.Scalar(), &nanos)) {
    fail(key, "invalid duration " + quoted(node.Scalar()));
  }
  if (nanos < 0) {
    fail(key, "negative duration " + quoted(node.Scalar()));
  }
  return nanos;
}

std::vector<std::string> readStringList(const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence()) {
    fail(key, "expected a list of strings, got " + describe(node));
  }
  std::vector<std::string> out;
  out.reserve(node.size());
  for (size_t i = 0; i < node.size(); ++i) {
    out.push_back(readString(node[i], key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

using Setter = std::function<void(const YAML::Node&, const std::string& key, Config*)>;

// A string that must be one of `allowed`; the error lists them ("expected a, b or c").
Setter choiceKey(std::string Config::*field, std::vector<std::string> allowed) {
  return [field, allowed](const YAML::Node& n, const std::string& k, Config* c) {
    std::string v = readString(n, k);
    for (const std::string& choice : allowed) {
      if (v == choice) {
        c->*field = v;
        return;
      }
    }
    std::string expected;
    for (size_t i = 0; i < allowed.size(); ++i) {
      if (i > 0) expected += i + 1 == allowed.size() ? " or " : ", ";
      expected += allowed[i];
    }
    fail(k, "invalid value " + quoted(v) + " (expected " + expected + ")");
  };
}

struct Section {
  std::unordered_map<std::string, Setter> keys;
  // Known gorouter keys that we accept without acting on them (no warning). Their value is
  // not checked.
  std::unordered_set<std::string> ignored;
};

void warnUnknown(const std::string& key) {
  log::warn("config", "unknown-config-key", {{"key", key}});
}

// Applies every key of `map` through `section`; unknown keys warn and are skipped. Null values
// (`key:` or `key: ~`) leave the default, as in gorouter.
void applySection(const YAML::Node& map, const std::string& prefix, const Section& section,
                  Config* config) {
  for (const auto& entry : map) {
    std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "<non-scalar key>";
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (section.ignored.count(name) != 0) {
      continue;
    }
    auto it = section.keys.find(name);
    if (it == section.keys.end()) {
      warnUnknown(key);
      continue;
    }
    if (entry.second.IsNull()) {
      continue;
    }
    it->second(entry.second, key, config);
  }
}

void requireMap(const YAML::Node& node, const std::string& key) {
  if (!node.IsMap()) {
    fail(key, "expected a map, got " + describe(node));
  }
}

const Section& statusRoutesSection() {
  static const Section section{
      .keys = {{"port", [](const YAML::Node& n, const std::string& k,
                           Config* c) { c->status_routes_port = readPort(n, k); }}},
      .ignored = {},
  };
  return section;
}

const Section& statusSection() {
  static const Section section{
      .keys =
          {
              {"host", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->status_host = readString(n, k); }},
              {"port", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->status_port = readPort(n, k); }},
              {"user", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->status_user = readString(n, k); }},
              {"pass", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->status_pass = readString(n, k); }},
              {"routes",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 requireMap(n, k);
                 applySection(n, k, statusRoutesSection(), c);
               }},
          },
      .ignored = {"tls", "enable_nontls_health_checks", "enable_deprecated_varz_healthz_endpoints"},
  };
  return section;
}

void readNatsHostEntry(const YAML::Node& n, const std::string& k, NatsHost* host, Config* c,
                       bool legacy) {
  requireMap(n, k);
  for (const auto& entry : n) {
    std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "<non-scalar key>";
    std::string key = k + "." + name;
    if (entry.second.IsNull()) {
      continue;
    }
    if (name == "hostname" || (legacy && name == "host")) {
      host->hostname = readString(entry.second, key);
    } else if (name == "port") {
      host->port = readPort(entry.second, key);
    } else if (legacy && name == "user") {
      c->nats_user = readString(entry.second, key);
    } else if (legacy && name == "pass") {
      c->nats_pass = readString(entry.second, key);
    } else {
      warnUnknown(key);
    }
  }
  if (host->hostname.empty()) {
    fail(k + ".hostname", "must not be empty");
  }
}

std::vector<NatsHost> readNatsHosts(const YAML::Node& n, const std::string& k, Config* c,
                                    bool legacy) {
  if (!n.IsSequence()) {
    fail(k, "expected a list of {hostname, port}, got " + describe(n));
  }
  if (n.size() == 0) {
    fail(k, "must list at least one NATS server");
  }
  std::vector<NatsHost> hosts;
  for (size_t i = 0; i < n.size(); ++i) {
    NatsHost host;
    readNatsHostEntry(n[i], k + "[" + std::to_string(i) + "]", &host, c, legacy);
    hosts.push_back(std::move(host));
  }
  return hosts;
}

const Section& natsSection() {
  static const Section section{
      .keys =
          {
              {"hosts", [](const YAML::Node& n, const std::string& k,
                           Config* c) { c->nats_hosts = readNatsHosts(n, k, c, false); }},
              {"user", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->nats_user = readString(n, k); }},
              {"pass", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->nats_pass = readString(n, k); }},
          },
      .ignored = {"tls_enabled", "ca_certs", "cert_chain", "private_key"},
  };
  return section;
}

const Section& backendsSection() {
  static const Section section{
      .keys =
          {
              {"max_attempts",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 // gorouter treats 0 as 1 (one attempt, no retry); negative is nonsense.
                 int64_t v = readInt(n, k, 0, std::numeric_limits<int>::max());
                 c->max_attempts = v == 0 ? 1 : static_cast<int>(v);
               }},
              {"max_conns",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->max_conns = readInt(n, k, 0, std::numeric_limits<int64_t>::max());
               }},
              // Ours: no new attempt starts this long after the first one (0: no bound).
              {"max_retry_time",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->max_retry_time_ns = readDuration(n, k);
               }},
              {"cert_chain", [](const YAML::Node& n, const std::string& k,
                                Config* c) { c->backends_tls.cert_chain = readString(n, k); }},
              {"private_key",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->backends_tls.private_key = auth::Secret(readString(n, k));
               }},
          },
      .ignored = {"enable_tls", "client_auth_certificate"},
  };
  return section;
}

const Section& routeServicesSection() {
  static const Section section{
      .keys =
          {
              {"max_attempts",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 // The BOSH template enforces at least 1; 0 would mean no attempt at all.
                 int64_t v = readInt(n, k, 0, std::numeric_limits<int>::max());
                 c->route_services_max_attempts = v == 0 ? 1 : static_cast<int>(v);
               }},
              {"strict_signature_validation",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->route_services_strict_signature_validation = readBool(n, k);
               }},
              {"cert_chain", [](const YAML::Node& n, const std::string& k,
                                Config* c) { c->route_services_tls.cert_chain = readString(n, k); }},
              {"private_key",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->route_services_tls.private_key = auth::Secret(readString(n, k));
               }},
          },
      .ignored = {"client_auth_certificate"},
  };
  return section;
}

const Section& accessLogSection() {
  static const Section section{
      .keys = {{"file", [](const YAML::Node& n, const std::string& k,
                           Config* c) { c->access_log_file = readString(n, k); }}},
      .ignored = {"enable_streaming", "extra_headers_to_log"},
  };
  return section;
}

const Section& loggingSection() {
  static const Section section{
      .keys = {{"level",
                [](const YAML::Node& n, const std::string& k, Config* c) {
                  std::string level = readString(n, k);
                  log::Level parsed;
                  if (!log::parseLevel(level, &parsed)) {
                    fail(k, "unknown level " + quoted(level) +
                                " (expected debug, info, warn, error or fatal)");
                  }
                  c->logging_level = level;
                }},
               {"disable_log_forwarded_for",
                [](const YAML::Node& n, const std::string& k, Config* c) {
                  c->disable_log_forwarded_for = readBool(n, k);
                }},
               {"disable_log_source_ip",
                [](const YAML::Node& n, const std::string& k, Config* c) {
                  c->disable_log_source_ip = readBool(n, k);
                }},
               {"redact_query_params",
                choiceKey(&Config::redact_query_params, {"none", "all", "hash"})}},
      .ignored = {"syslog", "syslog_addr", "syslog_network", "loggregator_enabled",
                  "metron_address", "enable_attempts_details", "format", "job_name"},
  };
  return section;
}

const Section& prometheusSection() {
  static const Section section{
      .keys = {{"port", [](const YAML::Node& n, const std::string& k,
                           Config* c) { c->prometheus_port = readPort(n, k); }}},
      // TLS for the metrics port is not supported: /metrics is served plain.
      .ignored = {"cert_path", "key_path", "ca_path"},
  };
  return section;
}

// http_rewrite: {responses: {remove_headers: [{name}], add_headers_if_not_present:
// [{name, value}]}}.
void readHttpRewrite(const YAML::Node& n, const std::string& k, Config* c) {
  requireMap(n, k);
  for (const auto& entry : n) {
    const std::string section = entry.first.Scalar();
    if (section != "responses") {
      warnUnknown(k + "." + section);
      continue;
    }
    const YAML::Node& responses = entry.second;
    requireMap(responses, k + ".responses");
    for (const auto& rule : responses) {
      const std::string name = rule.first.Scalar();
      const std::string key = k + ".responses." + name;
      if (name != "remove_headers" && name != "add_headers_if_not_present") {
        warnUnknown(key);
        continue;
      }
      if (!rule.second.IsSequence()) fail(key, "expected a list of {name, value}");
      for (size_t i = 0; i < rule.second.size(); ++i) {
        const YAML::Node& item = rule.second[i];
        const std::string item_key = key + "[" + std::to_string(i) + "]";
        requireMap(item, item_key);
        if (!item["name"]) fail(item_key, "missing name");
        HeaderNameValue header{readString(item["name"], item_key + ".name"), ""};
        if (item["value"]) header.value = readString(item["value"], item_key + ".value");
        if (name == "remove_headers") {
          c->response_headers_to_remove.push_back(header.name);
        } else {
          c->response_headers_to_add.push_back(header);
        }
      }
    }
  }
}

const Section& tracingSection();

// tls_pem: [{cert_chain, private_key}], PEM strings.
void readTlsPem(const YAML::Node& n, const std::string& k, Config* c) {
  if (!n.IsSequence()) fail(k, "expected a list of {cert_chain, private_key}, got " + describe(n));
  c->tls_pem.clear();
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string item_key = k + "[" + std::to_string(i) + "]";
    requireMap(n[i], item_key);
    if (!n[i]["cert_chain"] || !n[i]["private_key"]) {
      fail(item_key, "needs both cert_chain and private_key");
    }
    c->tls_pem.push_back(CertKeyPair{
        readString(n[i]["cert_chain"], item_key + ".cert_chain"),
        auth::Secret(readString(n[i]["private_key"], item_key + ".private_key"))});
  }
}

Setter subsection(const Section& (*section)()) {
  return [section](const YAML::Node& n, const std::string& k, Config* c) {
    requireMap(n, k);
    applySection(n, k, section(), c);
  };
}

Setter durationKey(int64_t Config::*field);
Setter boolKey(bool Config::*field);
Setter stringKey(std::string Config::*field);

const Section& tracingSection() {
  static const Section section{
      .keys = {{"enable_zipkin", boolKey(&Config::tracing_enable_zipkin)},
               {"enable_w3c", boolKey(&Config::tracing_enable_w3c)},
               {"w3c_tenant_id", stringKey(&Config::tracing_w3c_tenant_id)}},
      .ignored = {},
  };
  return section;
}

Setter durationKey(int64_t Config::*field) {
  return [field](const YAML::Node& n, const std::string& k, Config* c) {
    c->*field = readDuration(n, k);
  };
}

Setter boolKey(bool Config::*field) {
  return
      [field](const YAML::Node& n, const std::string& k, Config* c) { c->*field = readBool(n, k); };
}

Setter stringKey(std::string Config::*field) {
  return [field](const YAML::Node& n, const std::string& k, Config* c) {
    c->*field = readString(n, k);
  };
}

Setter nonNegativeIntKey(int Config::*field) {
  return [field](const YAML::Node& n, const std::string& k, Config* c) {
    c->*field = static_cast<int>(readInt(n, k, 0, std::numeric_limits<int>::max()));
  };
}

Setter headerBytesKey() {
  return [](const YAML::Node& n, const std::string& k, Config* c) {
    int64_t v = readInt(n, k, 0, std::numeric_limits<int64_t>::max());
    // 0 means the 1 MiB server cap; larger values are clamped to it (section 6.6).
    c->max_request_header_bytes = (v == 0 || v > static_cast<int64_t>(kMaxRequestHeaderBytes))
                                      ? kMaxRequestHeaderBytes
                                      : static_cast<size_t>(v);
  };
}

const Section& http2Section() {
  static const Section section{
      .keys =
          {
              {"max_concurrent_streams",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->http2_max_concurrent_streams =
                     static_cast<uint32_t>(readInt(n, k, 1, 1'000'000));
               }},
              {"max_resets_per_second",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->http2_max_resets_per_second =
                     static_cast<uint32_t>(readInt(n, k, 1, 1'000'000));
               }},
          },
      .ignored = {},
  };
  return section;
}

// route_services_hairpinning_allowlist: FQDNs or "*.domain"; an invalid entry stops start-up
// (gorouter only logs it, and then serves every host in-process).
void readHairpinAllowlist(const YAML::Node& n, const std::string& k, Config* c) {
  std::vector<std::string> entries = readStringList(n, k);
  HairpinAllowlist allowlist;
  std::string error;
  if (!HairpinAllowlist::parse(entries, &allowlist, &error)) fail(k, error);
  c->route_services_hairpinning_allowlist = std::move(entries);
}

const Section& topSection() {
  static const Section section{
      .keys =
          {
              // Listeners and identity.
              {"ip", stringKey(&Config::ip)},  // ours: bind address of the data port
              {"port", [](const YAML::Node& n, const std::string& k,
                          Config* c) { c->port = readPort(n, k); }},
              {"index",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->index =
                     static_cast<unsigned>(readInt(n, k, 0, std::numeric_limits<unsigned>::max()));
               }},
              {"zone", stringKey(&Config::zone)},
              {"workers", nonNegativeIntKey(&Config::workers)},  // ours: 0 = one per core
              // ours: how the workers wait for sockets (io_uring, or epoll through libevent).
              {"event_backend", choiceKey(&Config::event_backend, {"auto", "io_uring", "epoll"})},
              {"enable_proxy", boolKey(&Config::enable_proxy)},
              {"status", subsection(&statusSection)},
              {"nats",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 // Very old gorouter configs list the servers directly:
                 // nats: [{host, port, user, pass}].
                 if (n.IsSequence()) {
                   c->nats_hosts = readNatsHosts(n, k, c, true);
                   return;
                 }
                 requireMap(n, k);
                 applySection(n, k, natsSection(), c);
               }},
              // Registry timing.
              {"droplet_stale_threshold", durationKey(&Config::droplet_stale_threshold_ns)},
              {"prune_stale_droplets_interval",
               durationKey(&Config::prune_stale_droplets_interval_ns)},
              {"start_response_delay_interval",
               durationKey(&Config::start_response_delay_interval_ns)},
              {"suspend_pruning_if_nats_unavailable",
               boolKey(&Config::suspend_pruning_if_nats_unavailable)},
              {"empty_pool_response_code_503", boolKey(&Config::empty_pool_response_code_503)},
              {"empty_pool_timeout", durationKey(&Config::empty_pool_timeout_ns)},
              // Proxying.
              {"endpoint_dial_timeout", durationKey(&Config::endpoint_dial_timeout_ns)},
              {"endpoint_timeout", durationKey(&Config::endpoint_timeout_ns)},
              {"frontend_idle_timeout", durationKey(&Config::frontend_idle_timeout_ns)},
              {"read_header_timeout", durationKey(&Config::read_header_timeout_ns)},
              // ours: idle time before a pooled backend connection is closed.
              {"backend_idle_timeout", durationKey(&Config::backend_idle_timeout_ns)},
              {"max_header_bytes", headerBytesKey()},
              {"max_request_header_bytes", headerBytesKey()},
              {"backends", subsection(&backendsSection)},
              {"disable_keep_alives", boolKey(&Config::disable_keep_alives)},
              {"max_idle_conns", nonNegativeIntKey(&Config::max_idle_conns)},
              {"max_idle_conns_per_host", nonNegativeIntKey(&Config::max_idle_conns_per_host)},
              {"keep_alive_100_continue_requests",
               boolKey(&Config::keep_alive_100_continue_requests)},
              {"force_forwarded_proto_https", boolKey(&Config::force_forwarded_proto_https)},
              {"sanitize_forwarded_proto", boolKey(&Config::sanitize_forwarded_proto)},
              {"balancing_algorithm",
               choiceKey(&Config::balancing_algorithm, {"round-robin", "least-connection"})},
              {"sticky_session_cookie_names",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->sticky_session_cookie_names = readStringList(n, k);
               }},
              {"hop_by_hop_headers_to_filter",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->hop_by_hop_headers_to_filter = readStringList(n, k);
               }},
              {"secure_cookies", boolKey(&Config::secure_cookies)},
              {"drain_wait", durationKey(&Config::drain_wait_ns)},
              {"http_rewrite", &readHttpRewrite},
              {"tracing", subsection(&tracingSection)},
              {"enable_http2", boolKey(&Config::enable_http2)},
              {"http2", subsection(&http2Section)},
              {"balancing_algorithm_az_preference",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 std::string v = readString(n, k);
                 if (v != "none" && v != "locally-optimistic") {
                   fail(k, "invalid value " + quoted(v) + " (expected none or locally-optimistic)");
                 }
                 c->balancing_algorithm_az_preference = v;
               }},
              {"max_response_header_bytes",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->max_response_header_bytes = static_cast<size_t>(
                     readInt(n, k, 0, std::numeric_limits<int64_t>::max()));
               }},
              {"drain_timeout", durationKey(&Config::drain_timeout_ns)},
              {"healthcheck_user_agent", stringKey(&Config::healthcheck_user_agent)},
              {"trace_key", stringKey(&Config::trace_key)},
              // Frontend and backend TLS (ROUTER-PROTOCOL.md 8).
              {"enable_ssl", boolKey(&Config::enable_ssl)},
              {"ssl_port", [](const YAML::Node& n, const std::string& k,
                              Config* c) { c->ssl_port = readPort(n, k); }},
              {"tls_port", [](const YAML::Node& n, const std::string& k,
                              Config* c) { c->ssl_port = readPort(n, k); }},  // BOSH's name
              {"disable_http", boolKey(&Config::disable_http)},
              {"tls_pem", &readTlsPem},
              {"min_tls_version",
               choiceKey(&Config::min_tls_version, {"TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"})},
              {"max_tls_version", choiceKey(&Config::max_tls_version, {"TLSv1.2", "TLSv1.3"})},
              {"cipher_suites", stringKey(&Config::cipher_suites)},
              {"client_cert_validation",
               choiceKey(&Config::client_cert_validation, {"none", "request", "require"})},
              {"client_ca_certs", stringKey(&Config::client_ca_certs)},
              {"only_trust_client_ca_certs", boolKey(&Config::only_trust_client_ca_certs)},
              {"forwarded_client_cert",
               choiceKey(&Config::forwarded_client_cert,
                         {"always_forward", "forward", "sanitize_set"})},
              {"tls_handshake_timeout", durationKey(&Config::tls_handshake_timeout_ns)},
              {"tls_ticket_key_rotation", durationKey(&Config::tls_ticket_key_rotation_ns)},
              {"ca_certs",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 // Older gorouters take one PEM string, newer ones a list.
                 c->ca_certs = n.IsSequence() ? readStringList(n, k)
                                              : std::vector<std::string>{readString(n, k)};
               }},
              // Route services (ROUTER-PROTOCOL.md 7).
              {"route_services_secret",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->route_services_secret = auth::Secret(readString(n, k));
               }},
              {"route_services_secret_decrypt_only",
               [](const YAML::Node& n, const std::string& k, Config* c) {
                 c->route_services_secret_decrypt_only = auth::Secret(readString(n, k));
               }},
              {"route_services_timeout", durationKey(&Config::route_services_timeout_ns)},
              {"route_services_recommend_https",
               boolKey(&Config::route_services_recommend_https)},
              {"route_services_hairpinning", boolKey(&Config::route_services_hairpinning)},
              {"route_services_hairpinning_allowlist", &readHairpinAllowlist},
              // The BOSH job's names for the same two settings.
              {"route_services_internal_lookup", boolKey(&Config::route_services_hairpinning)},
              {"route_services_internal_lookup_allowlist", &readHairpinAllowlist},
              {"route_services_strict_signature_validation",
               boolKey(&Config::route_services_strict_signature_validation)},
              {"route_services", subsection(&routeServicesSection)},
              {"skip_ssl_validation", boolKey(&Config::skip_ssl_validation)},
              // Logging.
              {"access_log", subsection(&accessLogSection)},
              {"logging", subsection(&loggingSection)},
              {"prometheus", subsection(&prometheusSection)},
          },
      // gorouter keys we parse nowhere yet: accepted silently so a real gorouter.yml loads
      // without a wall of warnings. Sections listed here are skipped whole.
      .ignored =
          {
              "go_max_procs",
              "debug_addr",
              "enable_http1_concurrent_read_write",
              "isolation_segments",
              "routing_table_sharding_mode",
              "enable_verify_client_certificate_metadata",
              "verify_client_certificate_metadata",
              "load_balancer_healthy_threshold",
              "publish_start_message_interval",
              "publish_active_apps_interval",
              "websocket_dial_timeout",
              "endpoint_keep_alive_probe_interval",
              "route_latency_metric_muzzle_duration",
              "sticky_sessions_for_auth_negotiate",
              "oauth",
              "routing_api",
              "route_services_internal_server_port",
              "nats_client_ping_interval",
              "extra_headers_to_log",
              "token_fetcher_max_retries",
              "token_fetcher_retry_interval",
              "token_fetcher_expiration_buffer_time",
              "pid_file",
              "max_request_headers",
              "max_response_headers",
              "html_error_template_file",
              "per_request_metrics_reporting",
              "send_http_start_stop_server_event",
              "send_http_start_stop_client_event",
              "per_app_prometheus_http_metrics_reporting",
              "healthcheck_poll_interval",
              "healthcheck_timeout",
              "router_group",
          },
  };
  return section;
}

// gorouter's Config.Process() checks on the TLS keys (the certificates themselves are checked
// when the TLS contexts are built: router/tls/).
bool validateTls(const Config& c, std::string* error) {
  if (c.disable_http && !c.enable_ssl) {
    *error = "config key 'disable_http': needs enable_ssl (no listener would be left)";
    return false;
  }
  if (c.enable_ssl && c.tls_pem.empty()) {
    *error = "config key 'tls_pem': enable_ssl needs at least one certificate and key";
    return false;
  }
  if (c.enable_ssl && c.min_tls_version == "TLSv1.3" && c.max_tls_version == "TLSv1.2") {
    *error = "config key 'min_tls_version': TLSv1.3 is above max_tls_version TLSv1.2";
    return false;
  }
  if (c.forwarded_client_cert != "always_forward" && c.client_cert_validation == "none") {
    *error = "config key 'forwarded_client_cert': " + c.forwarded_client_cert +
             " needs client_cert_validation request or require";
    return false;
  }
  return true;
}

bool applyYaml(const YAML::Node& root, Config* out, std::string* error) {
  Config config;  // starts from the defaults in config.h
  try {
    if (!root.IsNull()) {
      if (!root.IsMap()) {
        *error = "config: the document must be a map of keys, got " + describe(root);
        return false;
      }
      applySection(root, "", topSection(), &config);
    }
  } catch (const ConfigError& e) {
    *error = e.message;
    return false;
  } catch (const YAML::Exception& e) {
    *error = std::string("config: ") + e.what();
    return false;
  }
  if (!validateTls(config, error)) return false;
  // gorouter's Config.Process(): a route must survive at least until emitters have had the
  // advertised interval to re-register.
  if (config.start_response_delay_interval_ns > config.droplet_stale_threshold_ns) {
    config.droplet_stale_threshold_ns = config.start_response_delay_interval_ns;
  }
  *out = std::move(config);
  return true;
}

}  // namespace

bool loadConfigString(const std::string& yaml, Config* config, std::string* error) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    *error = std::string("config: invalid YAML: ") + e.what();
    return false;
  }
  return applyYaml(root, config, error);
}

bool loadConfigFile(const std::string& path, Config* config, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "config: cannot open " + path;
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    *error = "config: cannot read " + path;
    return false;
  }
  return loadConfigString(buffer.str(), config, error);
}

bool parseDuration(const std::string& text, int64_t* nanos) {
  std::string_view s = text;
  if (s.empty()) {
    return false;
  }
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

  // Our extension: a bare integer is seconds (BOSH templates sometimes render plain numbers).
  bool all_digits = true;
  for (char ch : s) {
    all_digits = all_digits && ch >= '0' && ch <= '9';
  }
  if (all_digits) {
    uint64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || seconds > kMax / kNanosPerSecond) {
      return false;
    }
    *nanos = static_cast<int64_t>(seconds * kNanosPerSecond) * (negative ? -1 : 1);
    return true;
  }

  // Go's time.ParseDuration: one or more <decimal><unit>, e.g. "1h2m3.5s".
  struct Unit {
    std::string_view name;
    uint64_t nanos;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"\xc2\xb5s", 1'000},  // U+00B5 micro sign
      {"\xce\xbcs", 1'000},  // U+03BC Greek mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  };
  uint64_t total = 0;
  while (!s.empty()) {
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (whole > (kMax - (s[i] - '0')) / 10) {
        overflow = true;
      }
      whole = whole * 10 + (s[i] - '0');
      ++i;
    }
    if (overflow) {
      return false;
    }
    bool had_whole = i > 0;
    uint64_t frac = 0;
    uint64_t frac_scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        had_frac = true;
        // Digits beyond nanosecond precision of an hour cannot matter; drop them.
        if (frac_scale < 1'000'000'000'000'000ULL) {
          frac = frac * 10 + (s[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
    }
    if (!had_whole && !had_frac) {
      return false;
    }
    s.remove_prefix(i);
    size_t unit_len = 0;
    while (unit_len < s.size() && s[unit_len] != '.' && (s[unit_len] < '0' || s[unit_len] > '9')) {
      ++unit_len;
    }
    std::string_view unit_name = s.substr(0, unit_len);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) {
      return false;  // a missing unit is an error, as in Go (except for a bare integer)
    }
    s.remove_prefix(unit_len);
    if (whole > kMax / unit->nanos) {
      return false;
    }
    uint64_t value = whole * unit->nanos;
    if (frac != 0) {
      // frac / frac_scale of a unit; long double keeps this exact enough for any sane input.
      value += static_cast<uint64_t>(static_cast<long double>(frac) *
                                     static_cast<long double>(unit->nanos) /
                                     static_cast<long double>(frac_scale));
    }
    if (value > kMax - total) {
      return false;
    }
    total += value;
  }
  *nanos = static_cast<int64_t>(total) * (negative ? -1 : 1);
  return true;
}

}  // namespace foundry::router
