#include "common/log/json_escape.h"
#include "router/nats/registry_message.h"

#include <simdjson.h>

#include <cstdio>
#include <limits>

#include "common/log/log.h"

namespace foundry::router {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The decoders below return false with *error naming the field, mirroring Go's encoding/json
// into gorouter's typed struct: a JSON null leaves the field at its zero value (absent), any
// other type mismatch fails the whole message.

bool fieldError(std::string_view field, std::string_view what, std::string* error) {
  *error = "field '";
  error->append(field);
  error->append("': ");
  error->append(what);
  return false;
}

bool decodeString(std::string_view field, element value, std::string* out, std::string* error) {
  switch (value.type()) {
    case element_type::STRING:
      out->assign(value.get_string().value_unsafe());
      return true;
    case element_type::NULL_VALUE:
      return true;
    default:
      return fieldError(field, "expected a string", error);
  }
}

// Integers only: Go rejects 1.0 or 1e3 for an integer field, and simdjson reports those as
// DOUBLE, so they fail here too.
bool decodeInt(std::string_view field, element value, int64_t min, int64_t max, int64_t* out,
               bool* present, std::string* error) {
  switch (value.type()) {
    case element_type::INT64: {
      int64_t v = value.get_int64().value_unsafe();
      if (v < min || v > max) {
        return fieldError(field, "integer out of range", error);
      }
      *out = v;
      *present = true;
      return true;
    }
    case element_type::UINT64:  // only produced above INT64_MAX: out of range for us
      return fieldError(field, "integer out of range", error);
    case element_type::NULL_VALUE:
      return true;
    default:
      return fieldError(field, "expected an integer", error);
  }
}

bool decodePort(std::string_view field, element value, uint16_t* out, std::string* error) {
  int64_t v = 0;
  bool present = false;
  if (!decodeInt(field, value, 0, 65535, &v, &present, error)) {
    return false;
  }
  if (present) {
    *out = static_cast<uint16_t>(v);
  }
  return true;
}

bool decodeUris(element value, std::vector<std::string>* uris, std::string* error) {
  if (value.is_null()) {
    return true;
  }
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return fieldError("uris", "expected an array of strings", error);
  }
  uris->reserve(array.size());
  for (element item : array) {
    if (item.is_null()) {
      continue;  // Go would decode "" here, which names no route: skipping is equivalent
    }
    std::string_view uri;
    if (item.get_string().get(uri) != simdjson::SUCCESS) {
      return fieldError("uris", "expected an array of strings", error);
    }
    uris->emplace_back(uri);
  }
  return true;
}

bool decodeTags(element value, TagMap* tags, std::string* error) {
  if (value.is_null()) {
    return true;
  }
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return fieldError("tags", "expected an object of strings", error);
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto field : object) {
    if (field.value.is_null()) {
      continue;
    }
    std::string_view tag;
    if (field.value.get_string().get(tag) != simdjson::SUCCESS) {
      std::string name = "tags.";
      name.append(field.key);
      return fieldError(name, "expected a string", error);
    }
    pairs.emplace_back(std::string(field.key), std::string(tag));
  }
  *tags = TagMap(std::move(pairs));  // a repeated key: the last one wins, as before
  return true;
}

bool validLbAlgorithm(std::string_view lb) {
  return lb == "round-robin" || lb == "least-connection";
}

// options.weight: an integer 1..100. Anything else is logged and ignored, keeping the
// endpoint unweighted: a typo in a canary's weight must not take its route down.
void decodeWeight(element value, uint8_t* weight) {
  if (value.is_null()) {
    return;
  }
  int64_t v = 0;
  if (value.type() == element_type::INT64) {
    v = value.get_int64().value_unsafe();
    if (v >= 1 && v <= 100) {
      *weight = static_cast<uint8_t>(v);
      return;
    }
  }
  log::warn("nats", "invalid-weight", {{"weight", simdjson::minify(value)}});
}

// One options.health_check field: an integer in [min, max].
bool healthCheckInt(element value, int64_t min, int64_t max, int64_t* out) {
  if (value.type() != element_type::INT64) return false;
  int64_t v = value.get_int64().value_unsafe();
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// options.health_check {path, interval_ms, timeout_ms, healthy_threshold, unhealthy_threshold}
// (missing fields keep HealthCheckSpec's defaults). Anything invalid is logged and the whole
// check ignored, as an invalid weight is: a bad check must not take a route down, and the
// route stays served without it. The path goes into a request line, so it must be a plain
// absolute path.
void decodeHealthCheck(element value, HealthCheckSpec* out) {
  *out = HealthCheckSpec{};
  if (value.is_null()) return;
  HealthCheckSpec spec;
  spec.path = "/";
  simdjson::dom::object object;
  bool ok = value.get_object().get(object) == simdjson::SUCCESS;
  if (ok) {
    for (auto field : object) {
      if (field.key == "path") {
        std::string_view path;
        ok = field.value.get_string().get(path) == simdjson::SUCCESS && !path.empty() &&
             path[0] == '/' && path.size() <= 1024 &&
             path.find_first_of(" \t\r\n") == std::string_view::npos;
        if (ok) spec.path.assign(path);
      } else if (field.key == "interval_ms") {
        ok = healthCheckInt(field.value, 100, 3'600'000, &spec.interval_ms);
      } else if (field.key == "timeout_ms") {
        ok = healthCheckInt(field.value, 1, 3'600'000, &spec.timeout_ms);
      } else if (field.key == "healthy_threshold") {
        ok = healthCheckInt(field.value, 1, 100, &spec.healthy_threshold);
      } else if (field.key == "unhealthy_threshold") {
        ok = healthCheckInt(field.value, 1, 100, &spec.unhealthy_threshold);
      }
      if (!ok) break;
    }
  }
  if (!ok || spec.timeout_ms > spec.interval_ms) {
    log::warn("nats", "invalid-health-check", {{"health_check", simdjson::minify(value)}});
    return;
  }
  *out = std::move(spec);
}

// options.loadbalancing (current gorouter) or options.lb_algo (older emitters), and our
// options.weight, options.path_regex and options.health_check. A wrong JSON type drops the message like any other
// field; an unknown algorithm name is only logged, because gorouter keeps the route and falls
// back to the pool's algorithm.
bool decodeOptions(element value, EndpointFields* f, std::string* path_regex,
                   std::string* error) {
  if (value.is_null()) {
    return true;
  }
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return fieldError("options", "expected an object", error);
  }
  std::string loadbalancing;
  std::string legacy;
  for (auto field : object) {
    if (field.key == "loadbalancing") {
      if (!decodeString("options.loadbalancing", field.value, &loadbalancing, error)) {
        return false;
      }
    } else if (field.key == "lb_algo") {
      if (!decodeString("options.lb_algo", field.value, &legacy, error)) {
        return false;
      }
    } else if (field.key == "weight") {
      f->weight = 0;  // a repeated key replaces, as in Go
      decodeWeight(field.value, &f->weight);
    } else if (field.key == "health_check") {
      decodeHealthCheck(field.value, &f->health_check);
    } else if (field.key == "path_regex") {
      if (!decodeString("options.path_regex", field.value, path_regex, error)) {
        return false;
      }
    }
  }
  for (const std::string* candidate : {&loadbalancing, &legacy}) {
    if (candidate->empty()) {
      continue;
    }
    if (validLbAlgorithm(*candidate)) {
      f->lb_algo = *candidate;
      return true;
    }
    log::warn("nats", "invalid-lb-algorithm", {{"lb_algo", *candidate}});
  }
  return true;
}

}  // namespace

bool decodeRegistryMessage(std::string_view json, RegistryMessage* out, std::string* error) {
  // One parser per thread: it keeps its buffers between messages, so steady-state decoding
  // allocates only for the strings we copy out. The input is copied into the parser's padded
  // buffer (simdjson reads up to 64 bytes past the end).
  thread_local simdjson::dom::parser parser;
  if (json.empty()) {
    *error = "invalid JSON: empty payload";
    return false;
  }
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err != simdjson::SUCCESS) {
    *error = "invalid JSON: ";
    error->append(simdjson::error_message(err));
    return false;
  }
  if (doc.is_null()) {
    // Go decodes `null` into the zero struct, which then fails for the missing host.
    *error = "field 'host': missing";
    return false;
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    *error = "expected a JSON object";
    return false;
  }

  RegistryMessage msg;
  EndpointFields& f = msg.fields;
  uint16_t port = 0;
  uint16_t tls_port = 0;
  std::string protocol;
  bool has_host = false;
  for (auto field : object) {
    std::string_view key = field.key;
    element value = field.value;
    bool ok = true;
    bool present = false;
    if (key == "host") {
      ok = decodeString(key, value, &f.host, error);
      has_host = has_host || !value.is_null();
    } else if (key == "port") {
      ok = decodePort(key, value, &port, error);
    } else if (key == "tls_port") {
      ok = decodePort(key, value, &tls_port, error);
    } else if (key == "uris") {
      msg.uris.clear();  // a repeated key replaces, as in Go
      ok = decodeUris(value, &msg.uris, error);
    } else if (key == "app") {
      ok = decodeString(key, value, &f.app_id, error);
    } else if (key == "private_instance_id") {
      ok = decodeString(key, value, &f.private_instance_id, error);
    } else if (key == "private_instance_index") {
      ok = decodeString(key, value, &f.private_instance_index, error);
    } else if (key == "tags") {
      f.tags = TagMap();
      ok = decodeTags(value, &f.tags, error);
    } else if (key == "route_service_url") {
      ok = decodeString(key, value, &f.route_service_url, error);
    } else if (key == "server_cert_domain_san") {
      ok = decodeString(key, value, &f.server_cert_domain_san, error);
    } else if (key == "stale_threshold_in_seconds") {
      ok = decodeInt(key, value, std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), &f.stale_threshold_s, &present, error);
    } else if (key == "isolation_segment") {
      ok = decodeString(key, value, &f.isolation_segment, error);
    } else if (key == "protocol") {
      ok = decodeString(key, value, &protocol, error);
    } else if (key == "availability_zone") {
      ok = decodeString(key, value, &f.availability_zone, error);
    } else if (key == "endpoint_updated_at_ns") {
      ok = decodeInt(key, value, std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), &f.updated_at_ns, &present, error);
    } else if (key == "options") {
      ok = decodeOptions(value, &f, &msg.path_regex, error);
    }
    // Anything else (dea, modification_tag, ...) is ignored, as gorouter does.
    if (!ok) {
      return false;
    }
  }

  if (!has_host || f.host.empty()) {
    *error = "field 'host': missing or empty";
    return false;
  }
  if (port == 0 && tls_port == 0) {
    *error = "field 'port': port and tls_port are both zero or missing";
    return false;
  }
  if (!f.route_service_url.empty() && f.route_service_url.compare(0, 5, "https") != 0) {
    *error = "field 'route_service_url': must be an https URL";
    return false;
  }
  if (f.stale_threshold_s < 0) {
    // A negative TTL cannot shorten anything meaningfully; treat it like 0 (use the global).
    f.stale_threshold_s = 0;
  }
  if (tls_port != 0) {
    f.port = tls_port;
    f.tls = true;
  } else {
    f.port = port;
  }
  if (!protocol.empty()) {
    f.protocol = std::move(protocol);
  }
  *out = std::move(msg);
  return true;
}

std::string routerStartPayload(const std::string& id, const std::string& host_ip,
                               int64_t minimum_register_interval_s, int64_t prune_threshold_s) {
  std::string out;
  out.reserve(128 + id.size() + host_ip.size());
  out.append("{\"id\":");
  appendJsonString(&out, id);
  out.append(",\"hosts\":[");
  appendJsonString(&out, host_ip);
  out.append("],\"minimumRegisterIntervalInSeconds\":");
  out.append(std::to_string(minimum_register_interval_s));
  out.append(",\"pruneThresholdInSeconds\":");
  out.append(std::to_string(prune_threshold_s));
  out.append("}");
  return out;
}

}  // namespace foundry::router
