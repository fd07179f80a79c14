#pragma once
// An immutable snapshot of every route, published by the control thread to the workers.
// Workers read it without any lock. Lookup follows ROUTER-PROTOCOL.md section 2:
//  - exact host first, then the nearest "*." wildcard parent (a.b.c.com -> *.b.c.com -> *.c.com
//    -> *.com); an exact host that has a matching pool (even an empty one) blocks wildcards;
//  - within a host, the deepest context path that is a segment-wise prefix of the request path
//    and whose pool has endpoints; if none has endpoints, the deepest matching (empty) pool.
//
// Structure: hosts are spread over a fixed number of shards, each an immutable hash map from
// host to HostRoutes. A change copies only the shards it touches, so publishing after one
// register copies ~N/kShards entries, not the whole table, and unchanged HostRoutes and Pools
// are shared between generations.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/route/pool.h"

namespace foundry::router {

// All pools registered under one host, deepest context path first.
struct HostRoutes {
  struct PathPool {
    std::string path;  // lower case, "" for the root
    PoolConstSharedPtr pool;
  };
  std::vector<PathPool> pools;
};
using HostRoutesConstSharedPtr = std::shared_ptr<const HostRoutes>;

class RouteTable {
 public:
  static constexpr size_t kShards = 4096;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Shard = std::unordered_map<std::string, HostRoutesConstSharedPtr, StringHash,
                                   std::equal_to<>>;
  using ShardConstSharedPtr = std::shared_ptr<const Shard>;

  RouteTable();

  // host: lower case, without port. path: the request's escaped path (any case, may carry a
  // query string, which is ignored). Returns nullptr when nothing matches (404).
  PoolConstSharedPtr lookup(std::string_view host, std::string_view path) const;

  size_t hostCount() const { return host_count_; }
  uint64_t generation() const { return generation_; }

  // Used by the registry to build the next generation.
  static size_t shardOf(std::string_view host) { return StringHash{}(host) % kShards; }
  std::vector<ShardConstSharedPtr> shards_;
  size_t host_count_ = 0;
  uint64_t generation_ = 0;
};
using RouteTableConstSharedPtr = std::shared_ptr<const RouteTable>;

}  // namespace foundry::router
