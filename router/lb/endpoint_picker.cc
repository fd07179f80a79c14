#include "router/lb/endpoint_picker.h"

#include <random>

namespace foundry::router {
namespace {

bool overloaded(const Endpoint& e, int64_t max_conns) {
  return max_conns > 0 && e.in_flight.load(std::memory_order_relaxed) >= max_conns;
}

bool recentlyFailed(const Endpoint& e, int64_t now_ns) {
  int64_t failed = e.failed_at_ns.load(std::memory_order_relaxed);
  return failed != 0 && now_ns - failed < kRetryAfterFailureNs;
}

uint32_t randomIndex(size_t n) {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  return static_cast<uint32_t>(rng() % n);
}

bool outsideZone(const Endpoint& e, std::string_view zone) {
  return !zone.empty() && e.fields().availability_zone != zone;
}

EndpointSharedPtr pickRoundRobin(const Pool& pool, const TriedEndpoints& tried, int64_t now_ns,
                                 int64_t max_conns, PickResult* result, std::string_view zone) {
  const auto& eps = pool.endpoints();
  const size_t n = eps.size();
  const size_t start = pool.nextIndex();
  size_t overloaded_count = 0;
  const EndpointSharedPtr* failed_candidate = nullptr;
  for (size_t i = 0; i < n; ++i) {
    const EndpointSharedPtr& e = eps[(start + i) % n];
    if (tried.contains(e.get()) || e->pruned() || outsideZone(*e, zone)) continue;
    if (overloaded(*e, max_conns)) {
      ++overloaded_count;
      continue;
    }
    if (recentlyFailed(*e, now_ns)) {
      if (failed_candidate == nullptr) failed_candidate = &e;
      continue;
    }
    *result = PickResult::Picked;
    return e;
  }
  if (failed_candidate != nullptr) {
    *result = PickResult::Picked;
    return *failed_candidate;
  }
  *result = (tried.count == 0 && overloaded_count == n) ? PickResult::AllOverloaded
                                                       : PickResult::NoneLeft;
  return nullptr;
}

EndpointSharedPtr pickLeastConnection(const Pool& pool, const TriedEndpoints& tried,
                                      int64_t max_conns, PickResult* result,
                                      std::string_view zone) {
  const auto& eps = pool.endpoints();
  const size_t n = eps.size();
  const size_t start = randomIndex(n);
  const EndpointSharedPtr* best = nullptr;
  int32_t best_load = 0;
  size_t overloaded_count = 0;
  for (size_t i = 0; i < n; ++i) {
    const EndpointSharedPtr& e = eps[(start + i) % n];
    if (tried.contains(e.get()) || e->pruned() || outsideZone(*e, zone)) continue;
    if (overloaded(*e, max_conns)) {
      ++overloaded_count;
      continue;
    }
    int32_t load = e->in_flight.load(std::memory_order_relaxed);
    if (best == nullptr || load < best_load) {
      best = &e;
      best_load = load;
    }
  }
  if (best != nullptr) {
    *result = PickResult::Picked;
    return *best;
  }
  *result = (overloaded_count == n) ? PickResult::AllOverloaded : PickResult::NoneLeft;
  return nullptr;
}

}  // namespace

EndpointSharedPtr pickEndpoint(const Pool& pool, const TriedEndpoints& tried, int64_t now_ns,
                               int64_t max_conns, PickResult* result, std::string_view zone) {
  if (pool.empty()) {
    *result = PickResult::NoneLeft;
    return nullptr;
  }
  if (pool.lbAlgorithm() == LbAlgorithm::LeastConnection) {
    return pickLeastConnection(pool, tried, max_conns, result, zone);
  }
  return pickRoundRobin(pool, tried, now_ns, max_conns, result, zone);
}

}  // namespace foundry::router
