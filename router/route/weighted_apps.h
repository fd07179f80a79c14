#pragma once
// Weighted destinations (canary releases): a pool's endpoints grouped by app (fields.app_id),
// each app with a weight 1..100, and a precomputed order in which the apps take turns.
//
// The order is nginx's smooth weighted round-robin (ngx_http_upstream_round_robin.c
// ngx_http_upstream_get_peer) run once over the apps, at publish time on the control thread:
// weights 1:3 give b a b b, never a burst of the heavy app. Replaying the precomputed order
// with one shared atomic cursor gives exactly nginx's sequence without its per-peer mutable
// current_weight, which workers would otherwise have to share under a lock. Within the app
// whose turn it is, the pool's algorithm (round-robin with the app's own cursor, or
// least-connection) picks the instance.
//
// An app's weight is the one carried by its most recently added or changed endpoint
// (Endpoint::change_seq): instances of one app are meant to share it, and during a change the
// newest register wins. In a pool where some apps have a weight and others none, the
// unweighted ones count as weight 1. A pool without any weight has no WeightedApps at all and
// balances exactly as before.
//
// Immutable after construction except the cursors (relaxed atomics).

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "router/route/endpoint.h"

namespace foundry::router {

// nginx's smooth weighted round-robin over `weights` (each >= 1), for one full cycle: the
// indices in the order they are picked. The weights are first divided by their greatest
// common divisor (10:90 cycles like 1:9), so the cycle has sum(weights / gcd) entries. Ties
// go to the lower index, as in nginx. Cost: O(cycle length x weights.size()).
std::vector<uint16_t> smoothWeightedOrder(std::span<const int> weights);

class WeightedApps {
 public:
  struct App {
    int weight = 1;
    std::vector<EndpointSharedPtr> endpoints;  // in pool order
    // Round-robin position within the app; random start like Pool's cursor.
    mutable std::atomic<size_t> cursor{0};
  };

  // nullptr when no endpoint has a weight (the pool is unweighted).
  static std::unique_ptr<const WeightedApps> build(std::span<const EndpointSharedPtr> endpoints);

  std::span<const App> apps() const { return {apps_.get(), app_count_}; }
  const std::vector<uint16_t>& order() const { return order_; }
  // The app whose turn it is; advances the shared cursor. Any thread.
  size_t nextApp() const {
    return order_[cursor_.fetch_add(1, std::memory_order_relaxed) % order_.size()];
  }

 private:
  WeightedApps() = default;

  std::unique_ptr<App[]> apps_;  // App holds an atomic: not movable, so not a vector
  size_t app_count_ = 0;
  std::vector<uint16_t> order_;
  mutable std::atomic<size_t> cursor_{0};
};

}  // namespace foundry::router
