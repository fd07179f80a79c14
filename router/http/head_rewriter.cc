#include "router/http/head_rewriter.h"

#include <strings.h>

#include <array>

namespace foundry::router {
namespace {

// Hop-by-hop headers stripped in both directions (Go's httputil.ReverseProxy list), except the
// framing header Transfer-Encoding, which must stay since the body passes through unchanged.
constexpr std::array<std::string_view, 8> kHopByHop = {
    "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
    "Proxy-Authorization", "TE", "Trailer", "Upgrade",
};

// Request headers the router sets itself, so the client's copies are dropped.
constexpr std::array<std::string_view, 6> kRouterSetRequest = {
    "X-Forwarded-For", "X-Vcap-Request-Id", "X-CF-ApplicationID",
    "X-CF-InstanceID", "X-CF-InstanceIndex", "X-CF-App-Instance",
};

// The route-service headers (ROUTER-PROTOCOL.md 7): set by the router toward a route service,
// removed before the app once validated.
constexpr std::array<std::string_view, 3> kRouteServiceRequest = {
    "X-CF-Forwarded-Url", "X-CF-Proxy-Signature", "X-CF-Proxy-Metadata",
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <size_t N>
bool inList(const std::array<std::string_view, N>& list, std::string_view name) {
  for (std::string_view item : list) {
    if (equalsIgnoreCase(item, name)) return true;
  }
  return false;
}

bool inVector(const std::vector<std::string>& list, std::string_view name) {
  for (const std::string& item : list) {
    if (equalsIgnoreCase(item, name)) return true;
  }
  return false;
}

// Every header named by a Connection header is hop-by-hop too (RFC 7230 6.1).
bool namedByConnection(const MessageHead& head, std::string_view name,
                       const std::vector<std::string>* keep) {
  for (const HeaderField& h : head.headers) {
    if (!equalsIgnoreCase(h.name, "Connection")) continue;
    if (headerHasToken(h.value, name)) return keep == nullptr || !inVector(*keep, name);
  }
  return false;
}

void appendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

// Origin-form of an absolute-form target ("http://h/p?q" -> "/p?q"); other forms unchanged.
std::string_view originForm(std::string_view target, std::string_view* authority) {
  size_t scheme_end = target.find("://");
  if (target.empty() || target[0] == '/' || scheme_end == std::string_view::npos) return target;
  std::string_view rest = target.substr(scheme_end + 3);
  size_t path = rest.find_first_of("/?");
  *authority = rest.substr(0, path);
  if (path == std::string_view::npos) return "/";
  if (rest[path] == '?') return rest.substr(path);  // caller prefixes '/'
  return rest.substr(path);
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool headerHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (equalsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

void buildBackendRequestBase(const MessageHead& head, const HeadRewriteOptions& options,
                             const ClientConnection& connection, std::string_view request_id,
                             int64_t now_ms, std::string* out, RequestFacts* facts,
                             const RouteServiceRewrite* route_service) {
  out->clear();
  *facts = RequestFacts{};
  std::string_view authority;
  std::string_view target = originForm(head.target, &authority);
  const bool to_route_service =
      route_service != nullptr && route_service->pass == RouteServiceRewrite::Pass::ToRouteService;
  const bool from_route_service = route_service != nullptr && !to_route_service;
  // On a validated return pass the route service relays the first pass's X-Forwarded-Proto.
  const bool rewrite_proto = !from_route_service &&
                             (options.force_forwarded_proto_https || options.sanitize_forwarded_proto);
  if (to_route_service) target = route_service->target;

  out->append(head.method);
  out->push_back(' ');
  if (!target.empty() && target[0] == '?') out->push_back('/');
  out->append(target);
  out->append(head.http_minor == 0 && head.http_major == 1 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");

  std::string xff;
  bool have_host = false;
  bool have_request_start = false;
  bool have_proto = false;
  std::string_view upgrade_value;
  for (const HeaderField& h : head.headers) {
    if (equalsIgnoreCase(h.name, "X-Forwarded-For")) {
      if (!xff.empty()) xff.append(", ");
      xff.append(h.value);
      continue;
    }
    if (equalsIgnoreCase(h.name, "Expect") && equalsIgnoreCase(trim(h.value), "100-continue")) {
      facts->expect_continue = true;
    }
    if (equalsIgnoreCase(h.name, "Upgrade")) upgrade_value = h.value;
    if (equalsIgnoreCase(h.name, "TE") && equalsIgnoreCase(trim(h.value), "trailers")) {
      appendHeader(out, h.name, h.value);  // Go keeps "TE: trailers"
      continue;
    }
    if (inList(kHopByHop, h.name) || inList(kRouterSetRequest, h.name)) continue;
    if (namedByConnection(head, h.name, &options.hop_by_hop_headers_to_filter)) continue;
    if (route_service != nullptr && inList(kRouteServiceRequest, h.name)) continue;
    if (to_route_service && equalsIgnoreCase(h.name, "Host")) continue;
    if (equalsIgnoreCase(h.name, "X-Forwarded-Proto")) {
      if (rewrite_proto) continue;
      have_proto = true;
    }
    if (equalsIgnoreCase(h.name, "X-Forwarded-Client-Cert")) {
      // forward: the client's value only on a connection that proved a certificate;
      // sanitize_set: never the client's value (ours is set below).
      if (options.forwarded_client_cert == XfccMode::SanitizeSet) continue;
      if (options.forwarded_client_cert == XfccMode::Forward &&
          connection.client_cert_b64.empty()) {
        continue;
      }
    }
    if (options.enable_w3c &&
        (equalsIgnoreCase(h.name, "traceparent") || equalsIgnoreCase(h.name, "tracestate"))) {
      continue;  // rewritten by appendTraceHeaders
    }
    if (equalsIgnoreCase(h.name, "Host")) have_host = true;
    if (equalsIgnoreCase(h.name, "X-Request-Start")) have_request_start = true;
    appendHeader(out, h.name, h.value);
  }
  if (to_route_service) {
    appendHeader(out, "Host", route_service->host);
  } else if (!have_host && !authority.empty()) {
    appendHeader(out, "Host", authority);
  }

  if (!xff.empty()) xff.append(", ");
  xff.append(connection.client_ip);
  appendHeader(out, "X-Forwarded-For", xff);
  if (!have_proto && !from_route_service) {
    // 6.2: forced https, else the connection's scheme (sanitize, or no client value).
    const bool https = options.force_forwarded_proto_https || connection.tls;
    appendHeader(out, "X-Forwarded-Proto", https ? "https" : "http");
  }
  if (options.forwarded_client_cert == XfccMode::SanitizeSet &&
      !connection.client_cert_b64.empty()) {
    appendHeader(out, "X-Forwarded-Client-Cert", connection.client_cert_b64);
  }
  if (!have_request_start) appendHeader(out, "X-Request-Start", std::to_string(now_ms));
  appendHeader(out, "X-Vcap-Request-Id", request_id);
  if (to_route_service) {
    appendHeader(out, "X-CF-Forwarded-Url", route_service->forwarded_url);
    appendHeader(out, "X-CF-Proxy-Signature", route_service->signature);
    appendHeader(out, "X-CF-Proxy-Metadata", route_service->metadata);
  }

  if (head.upgrade && !upgrade_value.empty()) {
    facts->upgrade = true;
    appendHeader(out, "Connection", "Upgrade");
    appendHeader(out, "Upgrade", upgrade_value);
  } else if (facts->expect_continue && !options.keep_alive_100_continue_requests) {
    appendHeader(out, "Connection", "close");
    facts->backend_close = true;
  }
  if (head.http_major == 1 && head.http_minor == 0) facts->backend_close = true;
}

void endHeadWithoutAttemptHeaders(std::string* out) { out->append("\r\n"); }

void appendAttemptHeaders(const Endpoint& endpoint, std::string* out) {
  const EndpointFields& f = endpoint.fields();
  appendHeader(out, "X-CF-ApplicationID", f.app_id);
  appendHeader(out, "X-CF-InstanceIndex", f.private_instance_index);
  appendHeader(out, "X-CF-InstanceID", endpoint.instanceIdHeader());
  out->append("\r\n");
}

void buildClientResponseHead(const MessageHead& head, std::string_view status_line,
                             std::string_view request_id, bool keep_alive, bool client_http10,
                             std::string* out) {
  out->clear();
  out->append(status_line);
  out->append("\r\n");
  const bool switching = head.status == 101;
  bool have_request_id = false;
  std::string_view upgrade_value;
  for (const HeaderField& h : head.headers) {
    if (equalsIgnoreCase(h.name, "Upgrade")) upgrade_value = h.value;
    if (inList(kHopByHop, h.name)) continue;
    if (namedByConnection(head, h.name, nullptr)) continue;
    if (equalsIgnoreCase(h.name, "X-CF-Proxy-Signature")) continue;
    if (equalsIgnoreCase(h.name, "X-Vcap-Request-Id")) have_request_id = true;
    appendHeader(out, h.name, h.value);
  }
  if (!have_request_id && !request_id.empty()) appendHeader(out, "X-Vcap-Request-Id", request_id);
  if (switching) {
    appendHeader(out, "Connection", "Upgrade");
    if (!upgrade_value.empty()) appendHeader(out, "Upgrade", upgrade_value);
  } else if (!keep_alive) {
    appendHeader(out, "Connection", "close");
  } else if (client_http10) {
    appendHeader(out, "Connection", "keep-alive");
  }
  out->append("\r\n");
}

}  // namespace foundry::router

namespace foundry::router {

void insertHeader(std::string* head, std::string_view name, std::string_view value) {
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name).append(": ").append(value).append("\r\n");
  head->insert(head->size() - 2, line);
}

void applyResponseRewrite(std::string* head, const std::vector<std::string>& remove,
                          const std::vector<HeaderNameValue>& add) {
  if (remove.empty() && add.empty()) return;
  size_t head_end = head->find("\r\n\r\n");
  if (head_end == std::string::npos) return;
  std::string body = head->substr(head_end + 4);
  head->resize(head_end + 4);
  // Walk the header lines (after the status line), dropping removed names and noting which
  // names are present.
  std::string out;
  out.reserve(head->size() + 64);
  size_t line_end = head->find("\r\n");
  out.append(*head, 0, line_end + 2);
  size_t pos = line_end + 2;
  std::vector<bool> present(add.size(), false);
  while (pos + 2 <= head->size()) {
    size_t end = head->find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;  // the blank line
    std::string_view line(head->data() + pos, end - pos);
    std::string_view name = line.substr(0, line.find(':'));
    bool drop = false;
    for (const std::string& r : remove) drop = drop || equalsIgnoreCase(r, name);
    if (!drop) {
      out.append(line).append("\r\n");
      for (size_t i = 0; i < add.size(); ++i) {
        if (equalsIgnoreCase(add[i].name, name)) present[i] = true;
      }
    }
    pos = end + 2;
  }
  for (size_t i = 0; i < add.size(); ++i) {
    if (!present[i]) out.append(add[i].name).append(": ").append(add[i].value).append("\r\n");
  }
  out.append("\r\n");
  out.append(body);
  head->swap(out);
}

}  // namespace foundry::router

namespace foundry::router {
namespace {

void appendHex64(std::string* out, uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kHex[(v >> shift) & 0xF]);
}

bool isLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "00-<32 hex trace>-<16 hex parent>-<2 hex flags>", 55 characters.
bool validTraceparent(std::string_view v) {
  return v.size() == 55 && v[2] == '-' && v[35] == '-' && v[52] == '-' &&
         isLowerHex(v.substr(0, 2)) && isLowerHex(v.substr(3, 32)) &&
         isLowerHex(v.substr(36, 16)) && isLowerHex(v.substr(53, 2)) &&
         v.substr(3, 32) != std::string(32, '0');
}

// The request id without dashes: 32 hex characters, a ready-made 128-bit trace id.
std::string traceIdFrom(std::string_view request_id) {
  std::string id;
  for (char c : request_id) {
    if (c != '-') id.push_back(c);
  }
  return id;
}

}  // namespace

void appendTraceHeaders(const MessageHead& head, const HeadRewriteOptions& options,
                        std::string_view request_id, uint64_t random, std::string* out) {
  if (options.enable_zipkin) {
    bool has_b3 = false, has_trace = false, has_span = false;
    std::string_view trace = head.find("X-B3-TraceId", &has_trace);
    std::string_view span = head.find("X-B3-SpanId", &has_span);
    head.find("b3", &has_b3);
    if (!has_b3) {
      if (has_trace && has_span) {
        appendHeader(out, "b3", std::string(trace) + "-" + std::string(span));
      } else {
        std::string trace_id = traceIdFrom(request_id);
        std::string span_id;
        appendHex64(&span_id, random);
        if (!has_trace) appendHeader(out, "X-B3-TraceId", trace_id);
        if (!has_span) appendHeader(out, "X-B3-SpanId", span_id);
        appendHeader(out, "b3", trace_id + "-" + span_id);
      }
    }
  }
  if (options.enable_w3c) {
    std::string parent;
    appendHex64(&parent, random * 0x9E3779B97F4A7C15ULL + 1);
    std::string_view incoming = head.find("traceparent");
    std::string traceparent;
    if (validTraceparent(incoming)) {
      traceparent = std::string(incoming.substr(0, 36)) + parent + std::string(incoming.substr(52));
    } else {
      traceparent = "00-" + traceIdFrom(request_id) + "-" + parent + "-01";
    }
    appendHeader(out, "traceparent", traceparent);

    const std::string key =
        options.w3c_tenant_id.empty() ? "gorouter" : options.w3c_tenant_id + "@gorouter";
    std::string state = key + "=" + parent;
    std::string_view old_state = head.find("tracestate");
    if (old_state.size() <= 2048) {
      while (!old_state.empty()) {
        size_t comma = old_state.find(',');
        std::string_view entry = old_state.substr(0, comma);
        while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) {
          entry.remove_prefix(1);
        }
        if (!entry.empty() && entry.substr(0, entry.find('=')) != key) {
          state += ",";
          state += entry;
        }
        if (comma == std::string_view::npos) break;
        old_state.remove_prefix(comma + 1);
      }
    }
    appendHeader(out, "tracestate", state);
  }
}

}  // namespace foundry::router
