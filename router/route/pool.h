#pragma once
// The endpoints registered under one route key (host + context path). Immutable after it is
// published to workers; the registry builds a new Pool when membership changes. Only the
// round-robin cursor and the endpoints' counters change, through relaxed atomics.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "router/route/endpoint.h"
#include "router/route/weighted_apps.h"

namespace foundry::router {

class Pool {
 public:
  Pool(std::string host, std::string context_path, std::vector<EndpointSharedPtr> endpoints,
       LbAlgorithm lb_algorithm, std::string route_service_url = {});

  // The route's host as registered (lower case), e.g. "app.example.com" or "*.example.com".
  const std::string& host() const { return host_; }
  // Context path as registered (original case, no trailing slash), "" for the root.
  const std::string& contextPath() const { return context_path_; }
  const std::vector<EndpointSharedPtr>& endpoints() const { return endpoints_; }
  bool empty() const { return endpoints_.empty(); }
  LbAlgorithm lbAlgorithm() const { return lb_algorithm_; }
  // The route service for the whole pool: route_service_url of the endpoint most recently
  // added or changed (gorouter's last writer wins, "" for none). Heartbeats do not change it.
  const std::string& routeServiceUrl() const { return route_service_url_; }

  // Round-robin: the next endpoint index to start from. Shared by all workers (one relaxed
  // fetch_add), so traffic is spread evenly across the pool whichever worker serves it.
  size_t nextIndex() const { return cursor_.fetch_add(1, std::memory_order_relaxed); }

  // The endpoints grouped by app with their weights, when any endpoint carries one
  // (options.weight); nullptr for an unweighted pool, which balances over all endpoints.
  const WeightedApps* weighted() const { return weighted_.get(); }

 private:
  std::string host_;
  std::string context_path_;
  std::vector<EndpointSharedPtr> endpoints_;
  LbAlgorithm lb_algorithm_;
  std::string route_service_url_;
  std::unique_ptr<const WeightedApps> weighted_;
  mutable std::atomic<size_t> cursor_;
};

using PoolConstSharedPtr = std::shared_ptr<const Pool>;

}  // namespace foundry::router
