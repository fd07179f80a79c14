#include "router/lb/endpoint_picker.h"

#include <random>
#include <span>

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

// What one walk over a set of endpoints found. A walk returns as soon as it finds a usable
// endpoint; otherwise it leaves a fallback (the first recently failed one) and counts the
// endpoints it skipped for max_conns, so that a caller walking several sets (the apps of a
// weighted pool) can choose the fallback and the result across all of them.
struct Walk {
  const EndpointSharedPtr* picked = nullptr;
  const EndpointSharedPtr* failed_candidate = nullptr;
  size_t overloaded = 0;
};

void walkRoundRobin(std::span<const EndpointSharedPtr> eps, size_t start,
                    const TriedEndpoints& tried, int64_t now_ns, int64_t max_conns,
                    std::string_view zone, Walk* walk) {
  const size_t n = eps.size();
  for (size_t i = 0; i < n; ++i) {
    const EndpointSharedPtr& e = eps[(start + i) % n];
    if (tried.contains(e.get()) || e->outOfRotation() || outsideZone(*e, zone)) continue;
    if (overloaded(*e, max_conns)) {
      ++walk->overloaded;
      continue;
    }
    if (recentlyFailed(*e, now_ns)) {
      if (walk->failed_candidate == nullptr) walk->failed_candidate = &e;
      continue;
    }
    walk->picked = &e;
    return;
  }
}

// Least-connection ignores failure marks (gorouter does).
void walkLeastConnection(std::span<const EndpointSharedPtr> eps, const TriedEndpoints& tried,
                         int64_t max_conns, std::string_view zone, Walk* walk) {
  const size_t n = eps.size();
  const size_t start = randomIndex(n);
  int32_t best_load = 0;
  for (size_t i = 0; i < n; ++i) {
    const EndpointSharedPtr& e = eps[(start + i) % n];
    if (tried.contains(e.get()) || e->outOfRotation() || outsideZone(*e, zone)) continue;
    if (overloaded(*e, max_conns)) {
      ++walk->overloaded;
      continue;
    }
    int32_t load = e->in_flight.load(std::memory_order_relaxed);
    if (walk->picked == nullptr || load < best_load) {
      walk->picked = &e;
      best_load = load;
    }
  }
}

EndpointSharedPtr finish(const Walk& walk, size_t total, const TriedEndpoints& tried,
                         PickResult* result) {
  if (walk.picked != nullptr || walk.failed_candidate != nullptr) {
    *result = PickResult::Picked;
    return walk.picked != nullptr ? *walk.picked : *walk.failed_candidate;
  }
  *result = (tried.count == 0 && walk.overloaded == total) ? PickResult::AllOverloaded
                                                           : PickResult::NoneLeft;
  return nullptr;
}

// One app of a weighted pool: its own round-robin cursor, or least-connection.
void walkApp(const Pool& pool, const WeightedApps::App& app, const TriedEndpoints& tried,
             int64_t now_ns, int64_t max_conns, std::string_view zone, Walk* walk) {
  if (pool.lbAlgorithm() == LbAlgorithm::LeastConnection) {
    walkLeastConnection(app.endpoints, tried, max_conns, zone, walk);
  } else {
    walkRoundRobin(app.endpoints, app.cursor.fetch_add(1, std::memory_order_relaxed), tried,
                   now_ns, max_conns, zone, walk);
  }
}

// The app whose turn it is first; when none of its endpoints is usable, the other apps in
// order, so that a drained or failing app never blocks the route. A recently failed endpoint
// is taken only when no app has a better one. With a zone (locally-optimistic AZ preference)
// each app is tried in the zone first and then in every zone before moving on: the weights
// decide the app, locality only the instance, so the caller's all-zones retry (which would
// take a second turn from the cycle) is not needed.
EndpointSharedPtr pickWeighted(const Pool& pool, const WeightedApps& weighted,
                               const TriedEndpoints& tried, int64_t now_ns, int64_t max_conns,
                               PickResult* result, std::string_view zone) {
  std::span<const WeightedApps::App> apps = weighted.apps();
  const size_t first = weighted.nextApp();
  Walk total;
  for (size_t k = 0; k < apps.size(); ++k) {
    const WeightedApps::App& app = apps[(first + k) % apps.size()];
    Walk walk;
    if (!zone.empty()) {
      walkApp(pool, app, tried, now_ns, max_conns, zone, &walk);
      if (walk.picked != nullptr) {
        *result = PickResult::Picked;
        return *walk.picked;
      }
      walk = Walk{};
    }
    walkApp(pool, app, tried, now_ns, max_conns, {}, &walk);
    if (walk.picked != nullptr) {
      *result = PickResult::Picked;
      return *walk.picked;
    }
    total.overloaded += walk.overloaded;
    if (total.failed_candidate == nullptr) total.failed_candidate = walk.failed_candidate;
  }
  return finish(total, pool.endpoints().size(), tried, result);
}

}  // namespace

EndpointSharedPtr pickEndpoint(const Pool& pool, const TriedEndpoints& tried, int64_t now_ns,
                               int64_t max_conns, PickResult* result, std::string_view zone) {
  if (pool.empty()) {
    *result = PickResult::NoneLeft;
    return nullptr;
  }
  if (const WeightedApps* weighted = pool.weighted(); weighted != nullptr) {
    return pickWeighted(pool, *weighted, tried, now_ns, max_conns, result, zone);
  }
  const auto& eps = pool.endpoints();
  Walk walk;
  if (pool.lbAlgorithm() == LbAlgorithm::LeastConnection) {
    walkLeastConnection(eps, tried, max_conns, zone, &walk);
    // Without failure marks a walk that found nothing had only skipped endpoints; the
    // all-overloaded verdict does not depend on earlier attempts (as before).
    if (walk.picked == nullptr) {
      *result = walk.overloaded == eps.size() ? PickResult::AllOverloaded : PickResult::NoneLeft;
      return nullptr;
    }
    *result = PickResult::Picked;
    return *walk.picked;
  }
  walkRoundRobin(eps, pool.nextIndex(), tried, now_ns, max_conns, zone, &walk);
  return finish(walk, eps.size(), tried, result);
}

}  // namespace foundry::router
