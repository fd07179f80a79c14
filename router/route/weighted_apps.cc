#include "router/route/weighted_apps.h"

#include <numeric>
#include <random>
#include <string_view>

namespace foundry::router {
namespace {

size_t randomStart() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return static_cast<size_t>(generator());
}

}  // namespace

std::vector<uint16_t> smoothWeightedOrder(std::span<const int> weights) {
  std::vector<uint16_t> order;
  if (weights.empty()) {
    return order;
  }
  int divisor = 0;
  for (int w : weights) {
    divisor = std::gcd(divisor, w);
  }
  std::vector<int64_t> effective(weights.size());
  int64_t total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    effective[i] = weights[i] / divisor;
    total += effective[i];
  }
  // nginx: every peer gains its weight, the largest current weight is picked and pays back the
  // total. Over `total` steps each index is picked exactly effective[i] times.
  std::vector<int64_t> current(weights.size(), 0);
  order.reserve(static_cast<size_t>(total));
  for (int64_t step = 0; step < total; ++step) {
    size_t best = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      current[i] += effective[i];
      if (current[i] > current[best]) {
        best = i;
      }
    }
    current[best] -= total;
    order.push_back(static_cast<uint16_t>(best));
  }
  return order;
}

std::unique_ptr<const WeightedApps> WeightedApps::build(
    std::span<const EndpointSharedPtr> endpoints) {
  bool weighted = false;
  for (const EndpointSharedPtr& e : endpoints) {
    weighted = weighted || e->fields().weight != 0;
  }
  if (!weighted) {
    return nullptr;
  }
  // Group by app in order of first appearance. Routes have a handful of apps, so a linear
  // search beats a map; the order keeps the cycle stable across publishes.
  struct Group {
    std::string_view app_id;
    int weight = 0;
    uint64_t newest_seq = 0;
    std::vector<EndpointSharedPtr> endpoints;
  };
  std::vector<Group> groups;
  for (const EndpointSharedPtr& e : endpoints) {
    std::string_view app = e->fields().app_id;
    Group* group = nullptr;
    for (Group& g : groups) {
      if (g.app_id == app) {
        group = &g;
        break;
      }
    }
    // The order() indices are 16-bit; a route with more apps than that shares the last group.
    if (group == nullptr && groups.size() == UINT16_MAX) {
      group = &groups.back();
    }
    if (group == nullptr) {
      group = &groups.emplace_back();
      group->app_id = app;
    }
    if (group->endpoints.empty() || e->change_seq >= group->newest_seq) {
      group->newest_seq = e->change_seq;
      group->weight = e->fields().weight;
    }
    group->endpoints.push_back(e);
  }

  std::unique_ptr<WeightedApps> out(new WeightedApps());
  out->apps_ = std::make_unique<App[]>(groups.size());
  out->app_count_ = groups.size();
  std::vector<int> weights;
  weights.reserve(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    App& app = out->apps_[i];
    app.weight = groups[i].weight == 0 ? 1 : groups[i].weight;  // unweighted app: 1
    app.endpoints = std::move(groups[i].endpoints);
    app.cursor.store(randomStart(), std::memory_order_relaxed);
    weights.push_back(app.weight);
  }
  out->order_ = smoothWeightedOrder(weights);
  out->cursor_.store(randomStart(), std::memory_order_relaxed);
  return out;
}

}  // namespace foundry::router
