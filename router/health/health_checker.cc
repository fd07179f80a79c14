#include "router/health/health_checker.h"

#include <arpa/inet.h>
#include <event2/http.h>
#include <netinet/in.h>

#include <algorithm>
#include <vector>

#include "common/log/log.h"

namespace foundry::router {
namespace {

timeval millis(int64_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// The endpoint's resolved address as an IP literal, "" when it has none.
std::string numericHost(const Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr_storage& address = endpoint.sockaddr();
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    return inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr ? text : "";
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    return inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text) != nullptr ? text : "";
  }
  return "";
}

}  // namespace

struct HealthChecker::Check {
  HealthChecker* owner = nullptr;
  std::string key;   // address + spec
  std::string host;  // IP literal
  uint16_t port = 0;
  std::string address;  // host:port as registered, for the log
  HealthCheckSpec spec;
  std::vector<std::weak_ptr<Endpoint>> endpoints;
  event* timer = nullptr;
  evhttp_connection* connection = nullptr;
  bool in_flight = false;
  bool down = false;
  int64_t passes = 0;    // in a row
  int64_t failures = 0;  // in a row

  ~Check() {
    if (connection != nullptr) evhttp_connection_free(connection);
    if (timer != nullptr) event_free(timer);
  }
};

HealthChecker::HealthChecker(event_base* base) : base_(base) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::watch(const EndpointSharedPtr& endpoint) {
  const HealthCheckSpec& spec = endpoint->fields().health_check;
  if (spec.path.empty()) return;
  std::string host = numericHost(*endpoint);
  if (host.empty()) return;
  std::string key = endpoint->address() + " " + spec.path + " " +
                    std::to_string(spec.interval_ms) + " " + std::to_string(spec.timeout_ms) +
                    " " + std::to_string(spec.healthy_threshold) + " " +
                    std::to_string(spec.unhealthy_threshold);
  auto [it, added] = checks_.try_emplace(key);
  if (added) {
    auto check = std::make_unique<Check>();
    check->owner = this;
    check->key = key;
    check->host = std::move(host);
    check->port = endpoint->fields().port;
    check->address = endpoint->address();
    check->spec = spec;
    check->timer = evtimer_new(base_, &onTimer, check.get());
    const timeval now = {0, 0};  // the first check at once
    evtimer_add(check->timer, &now);
    it->second = std::move(check);
    log::info("health", "health-check-started",
              {{"address", it->second->address}, {"path", spec.path}});
  }
  Check& check = *it->second;
  for (const std::weak_ptr<Endpoint>& known : check.endpoints) {
    if (known.lock() == endpoint) return;  // a heartbeat
  }
  check.endpoints.push_back(endpoint);
  endpoint->health_down.store(check.down, std::memory_order_relaxed);
}

void HealthChecker::onTimer(evutil_socket_t, short, void* arg) {
  auto* check = static_cast<Check*>(arg);
  HealthChecker* self = check->owner;
  std::erase_if(check->endpoints, [](const std::weak_ptr<Endpoint>& e) { return e.expired(); });
  if (check->endpoints.empty() && !check->in_flight) {
    log::info("health", "health-check-stopped", {{"address", check->address}});
    self->checks_.erase(check->key);  // frees this timer: allowed from its own callback
    return;
  }
  if (!check->in_flight) self->probe(check);
  const timeval interval = millis(check->spec.interval_ms);
  evtimer_add(check->timer, &interval);
}

void HealthChecker::probe(Check* check) {
  if (check->connection == nullptr) {
    check->connection =
        evhttp_connection_base_new(base_, nullptr, check->host.c_str(), check->port);
    if (check->connection == nullptr) {
      record(check, false);
      return;
    }
    evhttp_connection_set_retries(check->connection, 0);
  }
  const timeval timeout = millis(check->spec.timeout_ms);
  evhttp_connection_set_timeout_tv(check->connection, &timeout);
  evhttp_request* request = evhttp_request_new(&onResponse, check);
  evhttp_add_header(evhttp_request_get_output_headers(request), "Host", check->address.c_str());
  evhttp_add_header(evhttp_request_get_output_headers(request), "User-Agent",
                    "foundry-router-health-check");
  check->in_flight = true;
  const char* path = check->spec.path.c_str();
  if (evhttp_make_request(check->connection, request, EVHTTP_REQ_GET, path) != 0) {
    // evhttp_make_request frees the request on failure.
    check->in_flight = false;
    record(check, false);
  }
}

void HealthChecker::onResponse(evhttp_request* request, void* arg) {
  auto* check = static_cast<Check*>(arg);
  check->in_flight = false;
  const int status = request == nullptr ? 0 : evhttp_request_get_response_code(request);
  check->owner->record(check, status >= 200 && status < 400);
}

void HealthChecker::record(Check* check, bool passed) {
  check->passes = passed ? check->passes + 1 : 0;
  check->failures = passed ? 0 : check->failures + 1;
  bool flip = passed ? check->down && check->passes >= check->spec.healthy_threshold
                     : !check->down && check->failures >= check->spec.unhealthy_threshold;
  if (!flip) return;
  check->down = !passed;
  for (const std::weak_ptr<Endpoint>& weak : check->endpoints) {
    if (EndpointSharedPtr endpoint = weak.lock()) {
      endpoint->health_down.store(check->down, std::memory_order_relaxed);
    }
  }
  log::info("health", check->down ? "endpoint-health-down" : "endpoint-health-up",
            {{"address", check->address}, {"path", check->spec.path}});
}

}  // namespace foundry::router
