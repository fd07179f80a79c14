// scale_lookup: the distribution of single route lookups at 1M routes, in process.
// Builds a RouteRegistry (the router's own code, router_core) with --routes routes, publishes
// one RouteTable, then times --lookups lookups one by one (lfence; rdtsc; lookup; lfence; rdtsc;
// ticks converted to ns with a calibration against CLOCK_MONOTONIC) and prints p50 / p90 / p99
// / p99.9 / max, plus the mean of the same lookups run back to back without timers (where
// consecutive misses overlap, as in bench/route_table_bench.cc).
//
// Kinds (route i and the request that hits it; the same shapes as route_table_bench):
//   exact     "app-N.apps.example.com" (root route), requested as is
//   wildcard  "*.dN.example.com", requested as "app-M.dN.example.com/index.html"
//   path      16 context paths per host ("/svc-K"), requested as "/Svc-K/resource/123?q=1"
//   exact-hot the exact table, but every request goes to one of 1,000 hosts (cache-resident)
// Requests are drawn uniformly at random from the registered set, so at 1M routes nearly every
// lookup misses the CPU caches: the pessimistic case. Timed region: RouteTable::lookup() only
// (the returned shared_ptr is released outside it). The timer's own cost (an empty timed
// region, median) is printed; the figures include it.
//
// Output: markdown table rows "| lookup <kind> | ... |" on stdout, as bench/scale/run-scale.sh
// expects. Usage: scale_lookup [--routes 1000000] [--lookups 1000000] [--kinds exact,wildcard,
// path,exact-hot]

#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "router/registry/route_registry.h"

namespace {

using foundry::router::EndpointFields;
using foundry::router::parseRegisteredUri;
using foundry::router::PoolConstSharedPtr;
using foundry::router::RouteKey;
using foundry::router::RouteRegistry;
using foundry::router::RouteTable;
using foundry::router::RouteTableConstSharedPtr;

enum class Kind { Exact, Wildcard, Path, ExactHot };

inline uint64_t ticks() {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

double nsPerTick() {
  using Clock = std::chrono::steady_clock;
  auto c0 = Clock::now();
  uint64_t t0 = ticks();
  while (Clock::now() - c0 < std::chrono::milliseconds(200)) {
  }
  auto c1 = Clock::now();
  uint64_t t1 = ticks();
  return std::chrono::duration<double, std::nano>(c1 - c0).count() / static_cast<double>(t1 - t0);
}

EndpointFields endpointFields(size_t i) {
  EndpointFields f;
  f.host = "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
           std::to_string(i & 255);
  f.port = static_cast<uint16_t>(61000 + (i % 1000));
  f.app_id = "5c3bd0e4-8c4f-4bd9-a0a3-" + std::to_string(100000000000 + i);
  f.private_instance_id = "4a7b3c1e-2d5f-4e6a-8b9c-" + std::to_string(100000000000 + i);
  f.private_instance_index = "0";
  return f;
}

void routeFor(Kind kind, size_t i, std::string* uri, std::string* host, std::string* path) {
  switch (kind) {
    case Kind::Exact:
    case Kind::ExactHot:
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
      *uri = domain + (i % 16 == 0 ? std::string() : "/svc-" + std::to_string(i % 16));
      *host = domain;
      *path = "/Svc-" + std::to_string(i % 16) + "/resource/123?q=1";
      return;
    }
  }
}

struct Request {
  std::string_view host;
  std::string_view path;
};

double pct(const std::vector<uint32_t>& sorted, double p) {
  size_t idx = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(idx == 0 ? 0 : idx - 1, sorted.size() - 1)];
}

std::string fmt(double v, const char* f = "%.0f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

bool run(Kind kind, const char* name, size_t routes, size_t lookups, double ns_per_tick,
         double overhead_ns) {
  auto t_build = std::chrono::steady_clock::now();
  auto registry = std::make_unique<RouteRegistry>(RouteRegistry::Options{});
  std::string uri;
  std::string host;
  std::string path;
  std::vector<std::pair<std::string, std::string>> targets;
  targets.reserve(routes);
  for (size_t i = 0; i < routes; ++i) {
    routeFor(kind, i, &uri, &host, &path);
    RouteKey key;
    if (!parseRegisteredUri(uri, &key)) {
      std::fprintf(stderr, "bad uri %s\n", uri.c_str());
      return false;
    }
    registry->registerEndpoint(key, endpointFields(i), 1'000'000'000);
    targets.emplace_back(host, path);
  }
  RouteTableConstSharedPtr table = registry->publish();
  double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count();

  // The request sequence, its bytes packed in order (a real request's Host sits in a hot
  // parse buffer, so reading it must not add a miss of its own).
  std::mt19937_64 rng(42);
  const size_t space = kind == Kind::ExactHot ? std::min<size_t>(1000, routes) : routes;
  std::vector<uint32_t> order(lookups);
  for (auto& o : order) o = static_cast<uint32_t>(rng() % space);
  std::string arena;
  size_t bytes = 0;
  for (uint32_t o : order) bytes += targets[o].first.size() + targets[o].second.size();
  arena.reserve(bytes);
  std::vector<Request> requests;
  requests.reserve(lookups);
  for (uint32_t o : order) {
    size_t at = arena.size();
    arena += targets[o].first;
    arena += targets[o].second;
    requests.push_back(Request{
        std::string_view(arena).substr(at, targets[o].first.size()),
        std::string_view(arena).substr(at + targets[o].first.size(), targets[o].second.size())});
  }
  std::vector<std::pair<std::string, std::string>>().swap(targets);

  const RouteTable& t = *table;
  std::vector<uint32_t> samples(lookups);
  size_t misses = 0;
  for (size_t i = 0; i < lookups; ++i) {
    uint64_t t0 = ticks();
    PoolConstSharedPtr pool = t.lookup(requests[i].host, requests[i].path);
    uint64_t t1 = ticks();
    misses += pool == nullptr;
    samples[i] = static_cast<uint32_t>(std::min<uint64_t>(t1 - t0, UINT32_MAX));
  }
  // Back to back, no timers: the mean a busy worker sees when lookups overlap.
  std::shuffle(requests.begin(), requests.end(), rng);
  auto b0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < lookups; ++i) {
    PoolConstSharedPtr pool = t.lookup(requests[i].host, requests[i].path);
    misses += pool == nullptr;
  }
  double mean_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - b0).count() /
      static_cast<double>(lookups);
  if (misses != 0) {
    std::fprintf(stderr, "%s: %zu lookups missed a registered route\n", name, misses);
    return false;
  }
  std::sort(samples.begin(), samples.end());
  auto ns = [&](double p) { return fmt(pct(samples, p) * ns_per_tick); };
  std::string value = ns(50) + " / " + ns(90) + " / " + ns(99) + " / " + ns(99.9) + " / " + ns(100);
  size_t under10us = static_cast<size_t>(
      std::upper_bound(samples.begin(), samples.end(), 10'000.0 / ns_per_tick) - samples.begin());
  std::printf(
      "| lookup %s | %s routes: ns p50 / p90 / p99 / p99.9 / max | %s | %zu timed lookups, "
      "%.4f %% under 10 us; back-to-back mean %.0f ns; timer overhead ~%.0f ns "
      "included; table built in %.1f s |\n",
      name, fmt(static_cast<double>(routes)).c_str(), value.c_str(), lookups,
      100.0 * static_cast<double>(under10us) / static_cast<double>(lookups), mean_ns, overhead_ns,
      build_s);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t routes = 1'000'000;
  size_t lookups = 1'000'000;
  std::string kinds = "exact,wildcard,path,exact-hot";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--routes") {
      routes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (k == "--lookups") {
      lookups = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (k == "--kinds") {
      kinds = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (routes == 0 || lookups == 0 || routes > 50'000'000) {
    std::fprintf(stderr, "need 0 < --routes <= 50M and --lookups > 0\n");
    return 2;
  }
  const double ns_per_tick = nsPerTick();
  // The timer's own cost: median of empty timed regions.
  std::vector<uint64_t> empty(100'000);
  for (auto& e : empty) {
    uint64_t t0 = ticks();
    e = ticks() - t0;
  }
  std::nth_element(empty.begin(), empty.begin() + empty.size() / 2, empty.end());
  const double overhead_ns = static_cast<double>(empty[empty.size() / 2]) * ns_per_tick;

  bool ok = true;
  std::stringstream list(kinds);
  std::string kind;
  while (std::getline(list, kind, ',')) {
    if (kind == "exact") {
      ok &= run(Kind::Exact, "exact", routes, lookups, ns_per_tick, overhead_ns);
    } else if (kind == "wildcard") {
      ok &= run(Kind::Wildcard, "wildcard", routes, lookups, ns_per_tick, overhead_ns);
    } else if (kind == "path") {
      ok &= run(Kind::Path, "path", routes, lookups, ns_per_tick, overhead_ns);
    } else if (kind == "exact-hot") {
      ok &= run(Kind::ExactHot, "exact-hot", routes, lookups, ns_per_tick, overhead_ns);
    } else {
      std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
      return 2;
    }
  }
  return ok ? 0 : 1;
}
