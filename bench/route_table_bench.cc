// Route table and registry micro benchmarks.
//  - Lookup/<kind>/<routes>: RouteTable::lookup at 1k / 100k / 1M routes, keys drawn at random
//    from the registered set (pre-generated, lower-case hosts) so large tables miss in cache
//    as real traffic does.
//      exact:    "app-N.apps.example.com", root route
//      wildcard: "*.dN.example.com" registered, "app-M.dN.example.com" requested
//      path:     16 hosts per app domain, context paths "/svc-K" with a root; requests
//                "/Svc-K/resource/123?q=1" (case folding, query, segment match)
//  - Register/<routes>: new routes into a registry, then one publish (apply rate).
//  - Heartbeat/<routes>: re-register of known endpoints with equal fields.
// Counters: items_per_second; bytes_per_route (heap growth while building the registry and
// its table, all endpoint/pool/table state included; jemalloc's stats.allocated when linked).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "router/registry/route_registry.h"

// jemalloc's control interface, when the benchmark is linked with it.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace foundry::router {
namespace {

enum class Kind { Exact, Wildcard, Path };

constexpr int64_t kNow = 1'000'000'000;

EndpointFields endpointFields(size_t i) {
  EndpointFields fields;
  fields.host = "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) +
                "." + std::to_string(i & 255);
  fields.port = static_cast<uint16_t>(61000 + (i % 1000));
  fields.app_id = "5c3bd0e4-8c4f-4bd9-a0a3-" + std::to_string(100000000000 + i);
  fields.private_instance_id = "4a7b3c1e-2d5f-4e6a-8b9c-" + std::to_string(100000000000 + i);
  fields.private_instance_index = "0";
  return fields;
}

// Bytes currently allocated (jemalloc), else the resident set size.
size_t heapBytes() {
  if (mallctl != nullptr) {
    uint64_t epoch = 1;
    size_t epoch_len = sizeof(epoch);
    mallctl("epoch", &epoch, &epoch_len, &epoch, epoch_len);
    size_t allocated = 0;
    size_t len = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) {
      return allocated;
    }
  }
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * 4096;
}

struct Request {
  std::string_view host;  // lower case
  std::string_view path;
};

struct Fixture {
  std::unique_ptr<RouteRegistry> registry;
  RouteTableConstSharedPtr table;
  // Requests in random order, their bytes packed in that order: a real request's Host and path
  // sit in a hot parse buffer, so reading them must not add a cache miss of its own.
  std::string arena;
  std::vector<Request> requests;
  double bytes_per_route = 0;
};

// Route i's URI and the request that should hit it.
void routeFor(Kind kind, size_t i, std::string* uri, std::string* host, std::string* path) {
  switch (kind) {
    case Kind::Exact:
      *uri = "app-" + std::to_string(i) + ".apps.example.com";
      *host = *uri;
      *path = "/";
      return;
    case Kind::Wildcard:
      *uri = "*.d" + std::to_string(i) + ".example.com";
      *host = "app-" + std::to_string(i * 7 % 1000) + ".d" + std::to_string(i) + ".example.com";
      *path = "/index.html";
      return;
    case Kind::Path: {
      std::string domain = "app-" + std::to_string(i / 16) + ".apps.example.com";
      std::string service = "/svc-" + std::to_string(i % 16);
      *uri = domain + (i % 16 == 0 ? std::string() : service);
      *host = domain;
      *path = "/Svc-" + std::to_string(i % 16) + "/resource/123?q=1";
      return;
    }
  }
}

// Built once per (kind, size) and shared by the iterations; building 1M routes takes ~1-2 s.
Fixture& fixture(Kind kind, size_t routes) {
  static std::map<std::pair<int, size_t>, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[{static_cast<int>(kind), routes}];
  if (slot != nullptr) {
    return *slot;
  }
  // Only one large fixture at a time keeps the benchmark's memory bounded on a shared box.
  cache.clear();
  auto& fresh = cache[{static_cast<int>(kind), routes}];
  fresh = std::make_unique<Fixture>();
  Fixture& f = *fresh;
  size_t heap_before = heapBytes();
  f.registry = std::make_unique<RouteRegistry>(RouteRegistry::Options{});
  std::string uri;
  std::string host;
  std::string path;
  std::vector<std::pair<std::string, std::string>> requests;
  requests.reserve(routes);
  for (size_t i = 0; i < routes; ++i) {
    routeFor(kind, i, &uri, &host, &path);
    RouteKey key;
    parseRegisteredUri(uri, &key);
    f.registry->registerEndpoint(key, endpointFields(i), kNow);
    requests.emplace_back(host, path);
  }
  f.table = f.registry->publish();
  f.bytes_per_route =
      static_cast<double>(static_cast<int64_t>(heapBytes()) - static_cast<int64_t>(heap_before)) /
      static_cast<double>(routes);
  // Shuffled so that consecutive lookups touch unrelated table memory.
  std::shuffle(requests.begin(), requests.end(), std::mt19937_64(42));
  size_t bytes = 0;
  for (const auto& [h, p] : requests) {
    bytes += h.size() + p.size();
  }
  f.arena.reserve(bytes);
  for (const auto& [h, p] : requests) {
    f.arena.append(h);
    f.arena.append(p);
  }
  f.requests.reserve(routes);
  size_t offset = 0;
  for (const auto& [h, p] : requests) {
    f.requests.push_back(Request{std::string_view(f.arena).substr(offset, h.size()),
                                 std::string_view(f.arena).substr(offset + h.size(), p.size())});
    offset += h.size() + p.size();
  }
  return f;
}

void BM_Lookup(benchmark::State& state, Kind kind) {
  size_t routes = static_cast<size_t>(state.range(0));
  Fixture& f = fixture(kind, routes);
  const RouteTable& table = *f.table;
  size_t i = 0;
  size_t misses = 0;
  for (auto _ : state) {
    PoolConstSharedPtr pool = table.lookup(f.requests[i].host, f.requests[i].path);
    misses += pool == nullptr;
    benchmark::DoNotOptimize(pool);
    if (++i == routes) {
      i = 0;
    }
  }
  if (misses != 0) {
    state.SkipWithError("lookup missed a registered route");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes_per_route"] = f.bytes_per_route;
}

// New routes into a registry, then one publish. Pre-made keys/fields keep string building
// out of the measurement.
void BM_Register(benchmark::State& state) {
  size_t routes = static_cast<size_t>(state.range(0));
  std::vector<RouteKey> keys(routes);
  std::vector<EndpointFields> fields;
  fields.reserve(routes);
  for (size_t i = 0; i < routes; ++i) {
    parseRegisteredUri("app-" + std::to_string(i) + ".apps.example.com", &keys[i]);
    fields.push_back(endpointFields(i));
  }
  for (auto _ : state) {
    state.PauseTiming();
    auto registry = std::make_unique<RouteRegistry>(RouteRegistry::Options{});
    state.ResumeTiming();
    for (size_t i = 0; i < routes; ++i) {
      registry->registerEndpoint(keys[i], fields[i], kNow);
    }
    benchmark::DoNotOptimize(registry->publish());
    state.PauseTiming();
    registry.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * routes));
}

// Heartbeats for known endpoints (equal fields): the steady-state NATS load.
void BM_Heartbeat(benchmark::State& state) {
  size_t routes = static_cast<size_t>(state.range(0));
  RouteRegistry registry{RouteRegistry::Options{}};
  std::vector<RouteKey> keys(routes);
  std::vector<EndpointFields> fields;
  fields.reserve(routes);
  for (size_t i = 0; i < routes; ++i) {
    parseRegisteredUri("app-" + std::to_string(i) + ".apps.example.com", &keys[i]);
    fields.push_back(endpointFields(i));
    registry.registerEndpoint(keys[i], fields[i], kNow);
  }
  registry.publish();
  std::vector<uint32_t> order(routes);
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < routes; ++i) {
    order[i] = static_cast<uint32_t>(rng() % routes);
  }
  size_t i = 0;
  int64_t now = kNow;
  for (auto _ : state) {
    size_t r = order[i];
    benchmark::DoNotOptimize(registry.registerEndpoint(keys[r], fields[r], ++now));
    if (++i == routes) {
      i = 0;
    }
  }
  if (registry.dirty()) {
    state.SkipWithError("a heartbeat dirtied the registry");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_Lookup, exact, Kind::Exact)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_CAPTURE(BM_Lookup, wildcard, Kind::Wildcard)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_CAPTURE(BM_Lookup, path, Kind::Path)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Register)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Heartbeat)->Arg(1'000)->Arg(100'000);

}  // namespace
}  // namespace foundry::router

BENCHMARK_MAIN();
