#pragma once
// The router's configuration: gorouter's YAML keys (ROUTER-PROTOCOL.md section 0.2) with the
// BOSH defaults, plus our own `workers`. Durations are stored in nanoseconds.

#include <cstdint>
#include <string>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::router {

struct NatsHost {
  std::string hostname = "localhost";
  uint16_t port = 4222;
  bool operator==(const NatsHost&) const = default;
};

struct HeaderNameValue {
  std::string name;
  std::string value;
};

// A certificate chain and its key, PEM (gorouter's {cert_chain, private_key} pairs).
struct CertKeyPair {
  std::string cert_chain;
  auth::Secret private_key;
  bool empty() const { return cert_chain.empty() && private_key.empty(); }
};

struct Config {
  // Listeners.
  std::string ip = "0.0.0.0";  // bind address of the data port
  uint16_t port = 80;
  unsigned index = 0;
  std::string zone;
  int workers = 0;  // 0: one per core
  // auto: io_uring when the kernel allows it (probed at start), else epoll. io_uring / epoll:
  // that one, or start-up fails.
  std::string event_backend = "auto";
  // PROXY protocol v1/v2 header (from a TCP load balancer) read first on each connection,
  // optional as in gorouter: a connection without one is plain HTTP. gorouter's enable_proxy.
  bool enable_proxy = false;

  // Frontend TLS (ROUTER-PROTOCOL.md 8.1). tls_pem: the first pair is the default certificate;
  // SNI picks an exact name before the nearest wildcard.
  bool enable_ssl = false;
  uint16_t ssl_port = 443;
  bool disable_http = false;
  std::vector<CertKeyPair> tls_pem;
  std::string min_tls_version = "TLSv1.2";  // TLSv1.2 or TLSv1.3
  std::string max_tls_version = "TLSv1.2";
  std::string cipher_suites;  // OpenSSL or RFC names, ':'-separated; "" = OpenSSL's defaults
  std::string client_cert_validation = "request";  // none | request | require
  std::string client_ca_certs;                     // PEM bundle, added to the system roots
  bool only_trust_client_ca_certs = false;
  std::string forwarded_client_cert = "always_forward";  // always_forward | forward | sanitize_set
  int64_t tls_handshake_timeout_ns = 10'000'000'000;
  // Ours: session-ticket keys are replaced this often (the previous key still decrypts).
  int64_t tls_ticket_key_rotation_ns = 3'600'000'000'000;
  // Backend TLS (8.2): roots for backends (added to the system's), our client certificate.
  std::vector<std::string> ca_certs;  // PEM blocks
  CertKeyPair backends_tls;

  // Status server.
  std::string status_host = "0.0.0.0";
  uint16_t status_port = 8080;
  std::string status_user;
  std::string status_pass;
  uint16_t status_routes_port = 8082;

  // NATS.
  std::vector<NatsHost> nats_hosts = {NatsHost{}};
  std::string nats_user;
  std::string nats_pass;

  // Registry timing.
  int64_t droplet_stale_threshold_ns = 120'000'000'000;
  int64_t prune_stale_droplets_interval_ns = 30'000'000'000;
  int64_t start_response_delay_interval_ns = 20'000'000'000;
  bool suspend_pruning_if_nats_unavailable = true;
  bool empty_pool_response_code_503 = true;
  int64_t empty_pool_timeout_ns = 0;

  // Proxying.
  int64_t endpoint_dial_timeout_ns = 5'000'000'000;
  int64_t endpoint_timeout_ns = 900'000'000'000;
  int64_t frontend_idle_timeout_ns = 900'000'000'000;
  // gorouter's read_header_timeout is 0 (none); we cut off slow header senders by default.
  int64_t read_header_timeout_ns = 30'000'000'000;
  int64_t backend_idle_timeout_ns = 90'000'000'000;
  size_t max_request_header_bytes = 1024 * 1024;
  int max_attempts = 3;
  // Beyond gorouter (its retries are unbounded in time, gorouter#181): no retry starts later
  // than this after the request's first attempt. backends.max_retry_time; 0 = no bound.
  int64_t max_retry_time_ns = 60'000'000'000;
  int64_t max_conns = 500;  // per backend, 0: unlimited
  bool disable_keep_alives = false;
  int max_idle_conns = 100;
  int max_idle_conns_per_host = 100;
  bool keep_alive_100_continue_requests = false;
  bool force_forwarded_proto_https = false;
  bool sanitize_forwarded_proto = false;
  std::string balancing_algorithm = "round-robin";
  std::vector<std::string> sticky_session_cookie_names = {"JSESSIONID"};
  bool secure_cookies = false;
  std::vector<std::string> hop_by_hop_headers_to_filter;
  std::string healthcheck_user_agent = "HTTP-Monitor/1.1";
  // http_rewrite.responses: applied to every response, the router's own errors included.
  std::vector<std::string> response_headers_to_remove;
  std::vector<HeaderNameValue> response_headers_to_add;  // only when absent
  // "none" or "locally-optimistic" (first attempt prefers endpoints in `zone`).
  std::string balancing_algorithm_az_preference = "none";
  // Backend response heads larger than this are refused with 502 (0: 1 MiB).
  size_t max_response_header_bytes = 0;
  std::string trace_key = "22";
  // tracing: B3 (Zipkin) and W3C trace-context headers toward backends.
  bool tracing_enable_zipkin = false;
  bool tracing_enable_w3c = false;
  std::string tracing_w3c_tenant_id;

  // HTTP/2 (ROUTER-PROTOCOL.md 10). gorouter's enable_http2 offers h2 by ALPN on TLS; beyond
  // gorouter, the plain port also takes h2c with prior knowledge (a connection that opens with
  // the HTTP/2 preface). http2.* keys are ours.
  bool enable_http2 = true;
  // SETTINGS_MAX_CONCURRENT_STREAMS offered to clients (http2.max_concurrent_streams).
  uint32_t http2_max_concurrent_streams = 100;
  // RST_STREAM frames a client may send per second; one more ends the connection with GOAWAY
  // ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487) (http2.max_resets_per_second).
  uint32_t http2_max_resets_per_second = 100;

  // Graceful drain on SIGUSR1 (BOSH defaults): health turns 503 at once, traffic is served
  // for drain_wait, then listeners close and in-flight requests get up to drain_timeout.
  int64_t drain_wait_ns = 20'000'000'000;
  int64_t drain_timeout_ns = 900'000'000'000;

  // Logging.
  std::string access_log_file;
  bool disable_log_forwarded_for = false;  // access log prints x_forwarded_for:"-"
  bool disable_log_source_ip = false;      // access log prints "-" for the client address
  std::string redact_query_params = "none";  // none | all | hash (GET queries in the access log)
  std::string logging_level = "info";

  // Route services (ROUTER-PROTOCOL.md 7): on when route_services_secret is set. The secrets
  // are typed so they never reach a log line; the keys are derived from them once at start.
  auth::Secret route_services_secret;
  auth::Secret route_services_secret_decrypt_only;  // the previous secret: validates only
  int64_t route_services_timeout_ns = 60'000'000'000;
  bool route_services_recommend_https = true;
  // Serve a route service that is itself a route of this router in-process (BOSH
  // route_services_internal_lookup, default false), limited to the allowlist when it is set.
  bool route_services_hairpinning = false;
  std::vector<std::string> route_services_hairpinning_allowlist;
  bool route_services_strict_signature_validation = false;
  int route_services_max_attempts = 3;
  // The client certificate presented to route services (route_services.cert_chain/private_key).
  CertKeyPair route_services_tls;
  // Route services only: do not verify their certificates (backends are always verified).
  bool skip_ssl_validation = false;

  // Metrics: /metrics is served on the status port and, when this is non-zero, also on this
  // port (plain HTTP; gorouter serves it with TLS here, we do not support TLS yet).
  uint16_t prometheus_port = 0;
};

// Loads `path`. Unknown keys are logged as warnings; a known key with a bad value (wrong type,
// out of range, unparsable duration) fails with a message naming the key.
// Returns true on success; on failure *error says why.
bool loadConfigFile(const std::string& path, Config* config, std::string* error);
bool loadConfigString(const std::string& yaml, Config* config, std::string* error);

// Parses a Go duration ("1m30s", "500ms", "20s"); a bare integer means seconds.
bool parseDuration(const std::string& text, int64_t* nanos);

}  // namespace foundry::router
