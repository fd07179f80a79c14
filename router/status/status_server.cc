#include "common/log/json_escape.h"
#include "router/status/status_server.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/log/log.h"

namespace foundry::router {
namespace {

constexpr int kTimeoutSeconds = 10;  // gorouter's status server read/write timeouts
constexpr char kHealthPath[] = "/health";
constexpr char kAlivePath[] = "/is-process-alive-do-not-use-for-loadbalancing";
constexpr char kRoutesPath[] = "/routes";
constexpr char kMetricsPath[] = "/metrics";


// RFC 4648 base64 with optional padding; false on any character outside the alphabet.
bool base64Decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
  }
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

// Compares without an early exit so the response time does not reveal how much matched.
bool constantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? a[i] : 0;
    unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

std::string requestPath(evhttp_request* req) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  return path != nullptr ? path : "";
}

uint16_t boundPort(evhttp_bound_socket* handle) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(evhttp_bound_socket_get_fd(handle), reinterpret_cast<sockaddr*>(&addr), &len) !=
      0) {
    return 0;
  }
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return 0;
}

}  // namespace

struct StatusServer::Impl {
  Impl(event_base* base, const Config& cfg, const RouteRegistry& reg, std::function<bool()> h)
      : control_base(base), config(cfg), registry(reg), healthy(std::move(h)) {}

  ~Impl() {
    if (health_http != nullptr) {
      evhttp_free(health_http);
    }
    if (routes_http != nullptr) {
      evhttp_free(routes_http);
    }
    if (metrics_http != nullptr) {
      evhttp_free(metrics_http);
    }
  }

  bool bind(const std::string& host, uint16_t port, void (*cb)(evhttp_request*, void*),
            evhttp** http, uint16_t* bound, std::string* error) {
    *http = evhttp_new(control_base);
    if (*http == nullptr) {
      *error = "status: evhttp_new failed";
      return false;
    }
    evhttp_set_timeout(*http, kTimeoutSeconds);
    // Go writes no Content-Type for an empty body; evhttp would add text/html otherwise.
    evhttp_set_default_content_type(*http, nullptr);
    evhttp_set_gencb(*http, cb, this);
    evhttp_bound_socket* handle = evhttp_bind_socket_with_handle(*http, host.c_str(), port);
    if (handle == nullptr) {
      int err = errno;
      *error = "status: cannot listen on " + host + ":" + std::to_string(port) + ": " +
               std::strerror(err);
      return false;
    }
    *bound = boundPort(handle);
    log::info("status", "status-listener-started",
              {{"address", host + ":" + std::to_string(*bound)}});
    return true;
  }

  static void addCommonHeaders(evhttp_request* req) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Cache-Control", "private, max-age=0");
    evhttp_add_header(headers, "Expires", "0");
    // gorouter closes the status connection after every response; LB health checkers
    // expect a fresh connection per probe.
    evhttp_add_header(headers, "Connection", "close");
  }

  static void sendText(evhttp_request* req, int code, const char* reason, std::string_view body) {
    evbuffer* buf = evbuffer_new();
    if (!body.empty()) {
      evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                        "text/plain; charset=utf-8");
      evbuffer_add(buf, body.data(), body.size());
    }
    evhttp_send_reply(req, code, reason, buf);
    evbuffer_free(buf);
  }

  static void onHealthRequest(evhttp_request* req, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    std::string path = requestPath(req);
    addCommonHeaders(req);
    if (path == kHealthPath) {
      if (self->healthy && self->healthy()) {
        sendText(req, 200, "OK", "ok\n");
      } else {
        sendText(req, 503, "Service Unavailable", "");
      }
    } else if (path == kAlivePath) {
      // Liveness only: answers 200 whatever the health state, as gorouter does.
      sendText(req, 200, "OK", "ok\n");
    } else if (path == kMetricsPath && self->metrics) {
      sendMetrics(self, req);
    } else {
      sendText(req, 404, "Not Found", "404 page not found\n");
    }
  }

  static void sendMetrics(Impl* self, evhttp_request* req) {
    std::string body = self->metrics();
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evbuffer* buf = evbuffer_new();
    evbuffer_add(buf, body.data(), body.size());
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
  }

  static void onMetricsRequest(evhttp_request* req, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    addCommonHeaders(req);
    if (requestPath(req) == kMetricsPath) {
      sendMetrics(self, req);
    } else {
      sendText(req, 404, "Not Found", "404 page not found\n");
    }
  }

  bool authorized(evhttp_request* req) const {
    const char* header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (header == nullptr) {
      return false;
    }
    std::string_view value = header;
    constexpr std::string_view kScheme = "basic ";
    if (value.size() < kScheme.size()) {
      return false;
    }
    for (size_t i = 0; i < kScheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) {
        return false;
      }
    }
    value.remove_prefix(kScheme.size());
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    std::string decoded;
    if (!base64Decode(value, &decoded)) {
      return false;
    }
    return constantTimeEquals(decoded, config.status_user + ":" + config.status_pass);
  }

  int64_t ttlSeconds(const EndpointFields& fields) const {
    int64_t global_s = config.droplet_stale_threshold_ns / 1'000'000'000;
    // A per-endpoint threshold can only shorten the global one (ROUTER-PROTOCOL.md 1.2).
    if (fields.stale_threshold_s > 0 && fields.stale_threshold_s < global_s) {
      return fields.stale_threshold_s;
    }
    return global_s;
  }

  std::string routesJson() const {
    std::string out;
    out.reserve(256 + registry.endpointCount() * 200);
    out.push_back('{');
    bool first_route = true;
    registry.forEachRoute([&](const std::string& uri, const Pool& pool) {
      if (!first_route) {
        out.push_back(',');
      }
      first_route = false;
      appendJsonString(&out, uri);
      out.append(":[");
      bool first_endpoint = true;
      for (const EndpointSharedPtr& endpoint : pool.endpoints()) {
        const EndpointFields& f = endpoint->fields();
        if (!first_endpoint) {
          out.push_back(',');
        }
        first_endpoint = false;
        out.append("{\"address\":");
        appendJsonString(&out, endpoint->address());
        out.append(",\"availability_zone\":");
        appendJsonString(&out, f.availability_zone);
        out.append(",\"protocol\":");
        appendJsonString(&out, f.protocol.empty() ? std::string_view("http1") : f.protocol);
        out.append(",\"tls\":");
        out.append(f.tls ? "true" : "false");
        out.append(",\"ttl\":");
        out.append(std::to_string(ttlSeconds(f)));
        out.append(",\"tags\":{");
        bool first_tag = true;
        for (const auto& [name, value] : f.tags) {
          if (!first_tag) {
            out.push_back(',');
          }
          first_tag = false;
          appendJsonString(&out, name);
          out.push_back(':');
          appendJsonString(&out, value);
        }
        out.push_back('}');
        auto optional = [&](std::string_view key, const std::string& value) {
          if (value.empty()) {
            return;
          }
          out.append(",\"");
          out.append(key);
          out.append("\":");
          appendJsonString(&out, value);
        };
        optional("route_service_url", f.route_service_url);
        optional("isolation_segment", f.isolation_segment);
        optional("private_instance_id", f.private_instance_id);
        optional("server_cert_domain_san", f.server_cert_domain_san);
        optional("load_balancing_algorithm", f.lb_algo);
        if (f.weight != 0) {
          out.append(",\"weight\":");
          out.append(std::to_string(f.weight));
        }
        out.push_back('}');
      }
      out.push_back(']');
    });
    out.push_back('}');
    return out;
  }

  static void onRoutesRequest(evhttp_request* req, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    std::string path = requestPath(req);
    addCommonHeaders(req);
    if (path != kRoutesPath) {
      sendText(req, 404, "Not Found", "404 page not found\n");
      return;
    }
    if (!self->authorized(req)) {
      evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                        "Basic realm=\"\"");
      sendText(req, 401, "Unauthorized", "401 Unauthorized\n");
      return;
    }
    std::string body = self->routesJson();
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer* buf = evbuffer_new();
    evbuffer_add(buf, body.data(), body.size());
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
  }

  event_base* control_base;
  Config config;
  const RouteRegistry& registry;
  std::function<bool()> healthy;
  std::function<std::string()> metrics;
  evhttp* health_http = nullptr;
  evhttp* routes_http = nullptr;
  evhttp* metrics_http = nullptr;
  uint16_t health_port = 0;
  uint16_t routes_port = 0;
  uint16_t metrics_port = 0;
};

StatusServer::StatusServer(event_base* control_base, const Config& config,
                           const RouteRegistry& registry, std::function<bool()> healthy)
    : impl_(std::make_unique<Impl>(control_base, config, registry, std::move(healthy))) {}

StatusServer::~StatusServer() = default;

bool StatusServer::start(std::string* error) {
  if (!impl_->bind(impl_->config.status_host, impl_->config.status_port, &Impl::onHealthRequest,
                   &impl_->health_http, &impl_->health_port, error)) {
    return false;
  }
  // The routes dump exposes every backend address: loopback only, like gorouter.
  if (!impl_->bind("127.0.0.1", impl_->config.status_routes_port, &Impl::onRoutesRequest,
                   &impl_->routes_http, &impl_->routes_port, error)) {
    return false;
  }
  if (impl_->config.prometheus_port != 0 && impl_->metrics) {
    // Plain HTTP where gorouter uses TLS (see the header).
    return impl_->bind(impl_->config.status_host, impl_->config.prometheus_port,
                       &Impl::onMetricsRequest, &impl_->metrics_http, &impl_->metrics_port,
                       error);
  }
  return true;
}

void StatusServer::setMetricsSource(std::function<std::string()> source) {
  impl_->metrics = std::move(source);
}

uint16_t StatusServer::healthPort() const { return impl_->health_port; }

uint16_t StatusServer::prometheusPort() const { return impl_->metrics_port; }

uint16_t StatusServer::routesPort() const { return impl_->routes_port; }

}  // namespace foundry::router
