#pragma once
// Chooses the endpoint for one attempt (ROUTER-PROTOCOL.md 3.1, 3.2, 3.4).
// Round-robin walks from the pool's shared cursor, skipping endpoints already tried by this
// request, endpoints at max_conns, and endpoints that failed within the last 30 s; when every
// endpoint was skipped only for failures, the failure marks are ignored (gorouter clears them)
// so "all failed" degrades to trying them again. Least-connection picks the fewest in-flight
// attempts from a random start, ignoring failure marks.
// A weighted pool (route/weighted_apps.h) first chooses the app whose turn it is in the smooth
// weighted cycle, then the endpoint within that app by the same rules; an app with nothing
// usable passes to the next app, and a recently failed endpoint is the fallback only when no
// app has a better one. Runs on workers; touches only atomics.

#include <cstdint>
#include <string_view>

#include "router/route/pool.h"

namespace foundry::router {

// The endpoints a request already tried (bounded by max_attempts, so a small array).
struct TriedEndpoints {
  static constexpr int kMax = 16;
  const Endpoint* items[kMax];
  int count = 0;
  bool contains(const Endpoint* e) const {
    for (int i = 0; i < count; ++i) {
      if (items[i] == e) return true;
    }
    return false;
  }
  void add(const Endpoint* e) {
    if (count < kMax) items[count++] = e;
  }
};

enum class PickResult { Picked, AllOverloaded, NoneLeft };

constexpr int64_t kRetryAfterFailureNs = 30'000'000'000;

// Returns the endpoint or nullptr with *result saying why. max_conns 0 means unlimited.
// A non-empty `zone` considers only endpoints whose availability_zone equals it
// (locally-optimistic AZ preference, first attempt only; the caller falls back to all zones).
EndpointSharedPtr pickEndpoint(const Pool& pool, const TriedEndpoints& tried, int64_t now_ns,
                               int64_t max_conns, PickResult* result,
                               std::string_view zone = {});

}  // namespace foundry::router
