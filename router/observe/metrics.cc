#include "router/observe/metrics.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "router/common/clock.h"
#include "router/observe/access_log.h"

namespace foundry::router {
namespace {

constexpr size_t kBuckets = Metrics::kLatencyBucketsMs.size() + 1;  // + the +Inf bucket
constexpr std::string_view kOtherComponent = "_other";

// Relaxed increment by the only writer: a load and a store, no locked instruction.
inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

size_t statusGroup(int status) {
  int group = status / 100;
  return group >= 2 && group <= 5 ? static_cast<size_t>(group - 2) : 4;
}

size_t latencyBucket(int64_t ns) {
  for (size_t i = 0; i < Metrics::kLatencyBucketsMs.size(); ++i) {
    if (ns <= int64_t{Metrics::kLatencyBucketsMs[i]} * kNanosPerMilli) return i;
  }
  return Metrics::kLatencyBucketsMs.size();
}

std::string_view componentOf(const Endpoint& endpoint) {
  const TagMap& tags = endpoint.fields().tags;
  auto it = tags.find("component");
  return it == tags.end() ? std::string_view() : it->second;
}

void appendUint(std::string* out, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  out->append(buf, static_cast<size_t>(n));
}

void appendInt(std::string* out, int64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%" PRId64, v);
  out->append(buf, static_cast<size_t>(n));
}

// Nanoseconds as milliseconds, shortest exact decimal ("12.5", "0.000001", "3").
void appendNanosAsMillis(std::string* out, uint64_t ns) {
  appendUint(out, ns / 1'000'000);
  uint64_t frac = ns % 1'000'000;
  if (frac == 0) return;
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06" PRIu64, frac);
  size_t len = 6;
  while (len > 0 && digits[len - 1] == '0') --len;
  out->push_back('.');
  out->append(digits, len);
}

void header(std::string* out, std::string_view name, std::string_view help,
            std::string_view type) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string* out, std::string_view name, uint64_t value) {
  out->append(name).append(" ");
  appendUint(out, value);
  out->push_back('\n');
}

void labelledSample(std::string* out, std::string_view name, std::string_view label,
                    std::string_view label_value, uint64_t value) {
  out->append(name).append("{").append(label).append("=\"");
  appendPrometheusLabelValue(out, label_value);
  out->append("\"} ");
  appendUint(out, value);
  out->push_back('\n');
}

}  // namespace

// One component's counters in one worker. The name is published once (release) by the worker
// and immutable afterwards; a null name means the slot is free.
struct ComponentSlot {
  std::atomic<const std::string*> name{nullptr};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> latency_sum_ns{0};
  std::atomic<uint64_t> latency[kBuckets] = {};
};

// Everything one worker counts. Written by that worker only; aligned so that no cache line is
// shared with another worker's block.
struct alignas(64) Metrics::WorkerBlock {
  std::atomic<uint64_t> responses[5] = {};
  std::atomic<uint64_t> bad_gateways{0};
  std::atomic<uint64_t> rejected_requests{0};
  std::atomic<uint64_t> backend_exhausted_conns{0};
  std::atomic<uint64_t> backend_tls_handshake_failed{0};
  std::atomic<uint64_t> backend_invalid_tls_cert{0};
  std::atomic<uint64_t> backend_invalid_id{0};
  std::atomic<uint64_t> websocket_upgrades{0};
  std::atomic<uint64_t> proxy_header_invalid{0};
  std::atomic<uint64_t> proxy_header_timeout{0};
  std::atomic<uint64_t> route_lookups{0};
  std::atomic<uint64_t> route_lookup_sum_ns{0};
  size_t used = 0;  // worker-only: slots claimed so far
  ComponentSlot slots[kMaxComponents];
  std::unique_ptr<std::string> names[kMaxComponents];  // owned storage of slot names

  // Worker thread: the slot of `component`, claimed on first use.
  ComponentSlot& slotFor(std::string_view component) {
    for (size_t i = 0; i < used; ++i) {
      const std::string* name = names[i].get();
      // string_view's ==: memcmp with an empty view's null data is undefined behaviour.
      if (std::string_view(*name) == component) {
        return slots[i];
      }
    }
    const bool last = used == kMaxComponents - 1;
    if (used == kMaxComponents) return slots[kMaxComponents - 1];
    names[used] = std::make_unique<std::string>(last ? std::string(kOtherComponent) : std::string(component));
    slots[used].name.store(names[used].get(), std::memory_order_release);
    return slots[used++];
  }
};

Metrics::Metrics(int workers) {
  for (int i = 0; i < workers; ++i) blocks_.push_back(std::make_unique<WorkerBlock>());
}

Metrics::~Metrics() = default;

void Metrics::onRequestDone(int worker_id, const RequestRecord& record) {
  if (worker_id < 0 || static_cast<size_t>(worker_id) >= blocks_.size()) return;
  WorkerBlock& block = *blocks_[static_cast<size_t>(worker_id)];
  const int status = record.status;
  if (!record.router_error.empty()) {
    if (status == 502) {
      bump(block.bad_gateways);
    } else if (status == 400 || status == 404) {
      bump(block.rejected_requests);
    } else if (status == 503 && record.router_error == "Connection Limit Reached") {
      bump(block.backend_exhausted_conns);
    }
  }
  if (status == 101) bump(block.websocket_upgrades);
  if (record.backend_tls_handshake_failed > 0) {
    bump(block.backend_tls_handshake_failed, record.backend_tls_handshake_failed);
  }
  if (record.backend_invalid_tls_cert > 0) {
    bump(block.backend_invalid_tls_cert, record.backend_invalid_tls_cert);
  }
  if (record.backend_invalid_id > 0) bump(block.backend_invalid_id, record.backend_invalid_id);
  if (record.route_lookup_ns > 0) {
    bump(block.route_lookups);
    bump(block.route_lookup_sum_ns, static_cast<uint64_t>(record.route_lookup_ns));
  }
  if (!record.endpoint) return;

  bump(block.responses[statusGroup(status)]);
  ComponentSlot& slot = block.slotFor(componentOf(*record.endpoint));
  if (record.attempts > 0) bump(slot.requests, static_cast<uint64_t>(record.attempts));
  // As gorouter: the routing latency ends when the backend's response head arrives (a long
  // body or a slow client is not the route's latency); responses without one end at the end.
  const int64_t until = record.head_mono_ns > 0 ? record.head_mono_ns : record.end_mono_ns;
  int64_t ns = until - record.start_mono_ns;
  if (ns < 0) ns = 0;
  bump(slot.latency[latencyBucket(ns)]);
  bump(slot.latency_sum_ns, static_cast<uint64_t>(ns));
}

void Metrics::onConnectionRejected(int worker_id, ConnectionRejection why) {
  if (worker_id < 0 || static_cast<size_t>(worker_id) >= blocks_.size()) return;
  WorkerBlock& block = *blocks_[static_cast<size_t>(worker_id)];
  switch (why) {
    case ConnectionRejection::ProxyHeaderInvalid: bump(block.proxy_header_invalid); break;
    case ConnectionRejection::ProxyHeaderTimeout: bump(block.proxy_header_timeout); break;
  }
}

Metrics::Totals Metrics::totals() const {
  Totals t;
  for (const auto& block : blocks_) {
    for (size_t i = 0; i < 5; ++i) t.responses[i] += block->responses[i].load(std::memory_order_relaxed);
    t.bad_gateways += block->bad_gateways.load(std::memory_order_relaxed);
    t.rejected_requests += block->rejected_requests.load(std::memory_order_relaxed);
    t.backend_exhausted_conns += block->backend_exhausted_conns.load(std::memory_order_relaxed);
    t.backend_tls_handshake_failed +=
        block->backend_tls_handshake_failed.load(std::memory_order_relaxed);
    t.backend_invalid_tls_cert += block->backend_invalid_tls_cert.load(std::memory_order_relaxed);
    t.backend_invalid_id += block->backend_invalid_id.load(std::memory_order_relaxed);
    t.websocket_upgrades += block->websocket_upgrades.load(std::memory_order_relaxed);
    t.proxy_header_invalid += block->proxy_header_invalid.load(std::memory_order_relaxed);
    t.proxy_header_timeout += block->proxy_header_timeout.load(std::memory_order_relaxed);
    t.route_lookups += block->route_lookups.load(std::memory_order_relaxed);
    t.route_lookup_sum_ns += block->route_lookup_sum_ns.load(std::memory_order_relaxed);
    for (const ComponentSlot& slot : block->slots) {
      const std::string* name = slot.name.load(std::memory_order_acquire);
      if (name == nullptr) break;  // slots are claimed in order
      t.requests_by_component[*name] += slot.requests.load(std::memory_order_relaxed);
      auto& buckets = t.latency_buckets[*name];
      for (size_t b = 0; b < kBuckets; ++b) {
        buckets[b] += slot.latency[b].load(std::memory_order_relaxed);
      }
      t.latency_sum_ns[*name] += slot.latency_sum_ns.load(std::memory_order_relaxed);
    }
  }
  return t;
}

std::string Metrics::renderPrometheus(const ControlMetrics& control,
                                      const AccessLog* access_log) const {
  const Totals t = totals();
  std::string out;
  out.reserve(4096 + t.latency_buckets.size() * 1024);

  // Registry (control thread).
  header(&out, "registry_message", "number of route registration messages", "counter");
  for (const auto& [component, m] : control.registry_messages) {
    const std::pair<const char*, uint64_t> actions[] = {
        {"added", m.added}, {"unmodified", m.unmodified}, {"updated", m.updated}};
    for (const auto& [action, value] : actions) {
      out.append("registry_message{action=\"").append(action).append("\",component=\"");
      appendPrometheusLabelValue(&out, component);
      out.append("\"} ");
      appendUint(&out, value);
      out.push_back('\n');
    }
  }
  header(&out, "unregistry_message", "number of unregister messages", "counter");
  for (const auto& [component, value] : control.unregistry_messages) {
    labelledSample(&out, "unregistry_message", "component", component, value);
  }
  header(&out, "routes_pruned", "number of pruned routes", "counter");
  sample(&out, "routes_pruned", control.routes_pruned);
  header(&out, "total_routes", "number of total routes", "gauge");
  sample(&out, "total_routes", control.total_routes);
  header(&out, "ms_since_last_registry_update", "time since last registry update in ms", "gauge");
  out.append("ms_since_last_registry_update ");
  appendInt(&out, control.ms_since_last_registry_update);
  out.push_back('\n');
  header(&out, "total_dropped_messages", "number of total dropped messages in NATS", "gauge");
  sample(&out, "total_dropped_messages", control.nats_dropped_messages);
  header(&out, "nats_validation_errors",
         "number of invalid router.register/unregister messages dropped", "counter");
  sample(&out, "nats_validation_errors", control.nats_validation_errors);

  // Requests (workers).
  header(&out, "total_requests", "number of routing requests", "counter");
  for (const auto& [component, value] : t.requests_by_component) {
    labelledSample(&out, "total_requests", "component", component, value);
  }
  header(&out, "responses", "number of responses", "counter");
  static constexpr const char* kGroups[5] = {"2xx", "3xx", "4xx", "5xx", "xxx"};
  for (size_t i = 0; i < 5; ++i) {
    labelledSample(&out, "responses", "status_group", kGroups[i], t.responses[i]);
  }
  header(&out, "bad_gateways", "number of bad gateway errors received from backends", "counter");
  sample(&out, "bad_gateways", t.bad_gateways);
  header(&out, "rejected_requests", "number of rejected requests", "counter");
  sample(&out, "rejected_requests", t.rejected_requests);
  header(&out, "backend_exhausted_conns",
         "number of errors related to backend connection limit reached", "counter");
  sample(&out, "backend_exhausted_conns", t.backend_exhausted_conns);
  header(&out, "backend_tls_handshake_failed", "TLS handshakes with backends that failed",
         "counter");
  sample(&out, "backend_tls_handshake_failed", t.backend_tls_handshake_failed);
  header(&out, "backend_invalid_tls_cert", "backend certificates that did not verify", "counter");
  sample(&out, "backend_invalid_tls_cert", t.backend_invalid_tls_cert);
  header(&out, "backend_invalid_id", "backend certificates for another name than registered",
         "counter");
  sample(&out, "backend_invalid_id", t.backend_invalid_id);
  header(&out, "websocket_upgrades", "websocket upgrade to websocket", "counter");
  sample(&out, "websocket_upgrades", t.websocket_upgrades);
  header(&out, "proxy_protocol_rejected_connections",
         "connections closed for an invalid or unfinished PROXY protocol header", "counter");
  labelledSample(&out, "proxy_protocol_rejected_connections", "reason", "invalid",
                 t.proxy_header_invalid);
  labelledSample(&out, "proxy_protocol_rejected_connections", "reason", "timeout",
                 t.proxy_header_timeout);

  header(&out, "route_lookup_time", "time to look up the route of a request, in ns",
         "summary");
  sample(&out, "route_lookup_time_sum", t.route_lookup_sum_ns);
  sample(&out, "route_lookup_time_count", t.route_lookups);

  header(&out, "latency", "routing response latency in ms (request start to response head)",
         "histogram");
  for (const auto& [component, buckets] : t.latency_buckets) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      cumulative += buckets[b];
      out.append("latency_bucket{component=\"");
      appendPrometheusLabelValue(&out, component);
      out.append("\",le=\"");
      if (b < kLatencyBucketsMs.size()) {
        appendInt(&out, kLatencyBucketsMs[b]);
      } else {
        out.append("+Inf");
      }
      out.append("\"} ");
      appendUint(&out, cumulative);
      out.push_back('\n');
    }
    out.append("latency_sum{component=\"");
    appendPrometheusLabelValue(&out, component);
    out.append("\"} ");
    appendNanosAsMillis(&out, t.latency_sum_ns.at(component));
    out.push_back('\n');
    // The count is the +Inf bucket, so the two always agree even while workers count.
    labelledSample(&out, "latency_count", "component", component, cumulative);
  }

  if (access_log != nullptr) {
    header(&out, "access_log_dropped_lines",
           "access log lines dropped because the writer fell behind or a write failed",
           "counter");
    sample(&out, "access_log_dropped_lines", access_log->droppedLines());
  }
  return out;
}

void appendPrometheusLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace foundry::router
