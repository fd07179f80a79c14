#include "router/route/pool.h"

#include <random>

namespace foundry::router {
namespace {

// Pools are created on the control thread; a per-thread generator keeps this lock-free should
// another thread ever build one (tests, benchmarks).
size_t randomCursor() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return static_cast<size_t>(generator());
}

}  // namespace

Pool::Pool(std::string host, std::string context_path, std::vector<EndpointSharedPtr> endpoints,
           LbAlgorithm lb_algorithm, std::string route_service_url)
    : host_(std::move(host)),
      context_path_(std::move(context_path)),
      endpoints_(std::move(endpoints)),
      lb_algorithm_(lb_algorithm),
      route_service_url_(std::move(route_service_url)),
      weighted_(WeightedApps::build(endpoints_)),
      // A random start, so that after a table update every router (and every new pool) does not
      // send its first request to the same, first-registered instance.
      cursor_(randomCursor()) {}

}  // namespace foundry::router
