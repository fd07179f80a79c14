#pragma once
// An immutable snapshot of every route, published by the control thread to the workers.
// Workers read it without any lock. Lookup follows ROUTER-PROTOCOL.md section 2:
//  - exact host first, then the nearest "*." wildcard parent (a.b.c.com -> *.b.c.com -> *.c.com
//    -> *.com); an exact host that has a matching pool (even an empty one) blocks wildcards;
//  - within a host, the deepest context path that is a segment-wise prefix of the request path
//    and whose pool has endpoints; if none has endpoints, the deepest matching (empty) pool.
//
// Structure: hosts are spread over a fixed number of shards, each an immutable open-addressing
// hash table from host to HostRoutes. A change copies only the shards it touches, and a shard
// is normally patched (its slot array copied, the changed slots rewritten) rather than rebuilt,
// so a publish costs about one memcpy of a shard per changed host; unchanged shards, HostRoutes
// and Pools are shared between generations.
//
// Lookup cost at 1M routes is dominated by dependent cache misses (a random DRAM access costs
// ~160-300 ns on our VMs, bench/README.md "Scale benchmarks"), so the layout minimises them:
//  - a slot is one cache line holding the host's hash, its first bytes and, for the common host
//    with only a root route, a pointer to its Pool: one miss for an exact-host lookup;
//  - when wildcard hosts exist, the nearest wildcard's slot is prefetched before the exact
//    probe, so the usual wildcard hit overlaps the two misses;
//  - hosts with context paths keep their path entries (and a flat path index when there are
//    many) in the same allocation as the HostRoutes: a second miss;
//  - the returned PoolConstSharedPtr shares ownership of the whole shard (aliasing
//    constructor), whose control block is hot, instead of the Pool's own, which would be a
//    third miss. A request thus pins the shard generation it looked up in (with the hosts
//    that generation's patches replaced, at most HostShard::kMaxDepth patches back); nearly all
//    of it is shared with newer generations anyway.
// See bench/route_table_bench.cc for numbers.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "router/route/path_regex.h"
#include "router/route/pool.h"

namespace foundry::router {

class HostRoutes;
using HostRoutesConstSharedPtr = std::shared_ptr<const HostRoutes>;

// All pools registered under one host, deepest (longest) context path first. Immutable; built
// by the registry with create(), which places the path entries and the host bytes in the same
// allocation as the object.
class HostRoutes {
 public:
  struct PathPool {
    std::string path;  // lower case, "" for the root
    PoolConstSharedPtr pool;
    bool has_endpoints = false;  // set by create(), saves touching the Pool when matching
  };

  // A regex route of the host (options.path_regex): tried only when no path route has
  // endpoints for the request (see match()).
  struct RegexPool {
    PathRegexConstSharedPtr regex;
    PathPool entry;  // entry.path is the pattern (for display; never prefix-matched)
  };

  // `host` lower case. `pools` in any order, each path unique; `regexes` each pattern unique.
  static HostRoutesConstSharedPtr create(std::string_view host, std::vector<PathPool> pools,
                                         std::vector<RegexPool> regexes = {});

  HostRoutes(const HostRoutes&) = delete;
  HostRoutes& operator=(const HostRoutes&) = delete;

  std::string_view host() const { return {host_, host_len_}; }
  std::span<const PathPool> pools() const { return {pools_, pool_count_}; }
  // Longest pattern first (then by pattern), the order they are tried in.
  std::span<const RegexPool> regexPools() const { return regexes_; }
  bool hasRegexes() const { return !regexes_.empty(); }

  // `path`: the request path with the query already cut and one trailing '/' trimmed, any
  // case. Returns the deepest segment-wise prefix whose pool has endpoints; failing that, the
  // first regex route (longest pattern first) that matches the whole path ("/" for the root)
  // and has endpoints; failing that, the deepest matching empty path pool, else the first
  // matching empty regex pool, else nullptr. So a path route with endpoints always wins over
  // a regex route. Worker threads; no allocation (RE2 matching allocates nothing once its
  // DFA cache is warm).
  const PathPool* match(std::string_view path) const;

 private:
  struct Deleter;
  // Flat open-addressing index entry: low 32 bits of the path hash, entry number + 1 (0 =
  // empty).
  struct IndexEntry {
    uint32_t hash;
    uint32_t entry_plus_one;
  };
  // Up to this many context paths a host is matched by scanning path_lens_ (4 bytes per
  // path, so 64 paths span four cache lines and only candidates touch their PathPool); more
  // get a hash index (path -> entry) probed once per segment boundary of the request.
  static constexpr uint32_t kLinearScanMax = 64;

  HostRoutes() = default;
  ~HostRoutes();
  const PathPool* matchScan(std::string_view path) const;
  const PathPool* matchIndexed(std::string_view path) const;
  const PathPool* matchRegex(std::string_view path, const PathPool* empty_path_pool) const;
  const PathPool* findIndexed(std::string_view lower_path) const;

  // All four arrays live in this object's own allocation, right after it.
  PathPool* pools_ = nullptr;
  uint32_t* path_lens_ = nullptr;  // pools_[i].path.size(), clamped; for the scan
  IndexEntry* index_ = nullptr;    // only when pool_count_ > kLinearScanMax
  const char* host_ = nullptr;
  uint32_t pool_count_ = 0;
  uint32_t index_mask_ = 0;  // index size - 1 (a power of two)
  uint32_t host_len_ = 0;
  uint32_t max_path_len_ = 0;
  // Regex routes are rare and few per host: a plain vector beside the packed arrays.
  std::vector<RegexPool> regexes_;
};

// One shard: an immutable open-addressing (linear probing) table of the hosts whose hash falls
// in it, plus the owning references.
//
// A generation is either built in full from every host of the shard, or patched from the
// previous generation (patched()): its slot array copied with memcpy and only the changed
// hosts written. Patching is what makes publish cost proportional to the changes, not to the
// shard's size (a full build re-references every host: a cache miss each). Slots hold raw
// HostRoutes pointers; the hosts a generation introduced are owned by its Owners node, which
// also holds the previous generation's node, so every host a slot can reach stays alive. That
// chain (and the replaced hosts it keeps) is cut by the next full build, at most kMaxDepth
// patches later.
class HostShard {
 public:
  static constexpr size_t kInlineHost = 37;
  static constexpr uint32_t kMaxDepth = 32;
  struct alignas(64) Slot {
    uint64_t hash = 0;
    const HostRoutes* routes = nullptr;  // nullptr: empty slot
    // Set when the host's only route is its root (and it has no regex routes): it matches
    // every path, so lookup is done.
    const Pool* root_pool = nullptr;
    uint16_t host_len = 0;  // clamped at 0xffff
    // The first bytes of the host. Hosts up to kInlineHost bytes are compared here;
    // longer ones against routes->host().
    char host_head[kInlineHost] = {};
  };
  static_assert(sizeof(Slot) == 64);

  // One host's new state for patched(): `routes` null means the host is gone.
  struct Change {
    std::string_view host;
    uint64_t hash;
    HostRoutesConstSharedPtr routes;
  };

  explicit HostShard(std::vector<HostRoutesConstSharedPtr> hosts);
  // `parent` with `changes` applied (a host may appear more than once; the last entry wins),
  // in a larger slot array when they could fill it beyond 3/4. nullptr when a full build is
  // due instead: the chain is kMaxDepth long.
  static std::shared_ptr<const HostShard> patched(const HostShard& parent,
                                                  std::span<const Change> changes);

  // Every host in the shard (slot order). For tests and tools.
  std::vector<const HostRoutes*> hosts() const;
  size_t hostCount() const { return live_; }
  uint32_t depth() const { return depth_; }
  const Slot* slots() const { return slots_.data(); }
  size_t slotCount() const { return slots_.size(); }
  const Slot* find(std::string_view host, uint64_t hash) const;

 private:
  struct Owners {
    std::vector<HostRoutesConstSharedPtr> hosts;
    std::shared_ptr<const Owners> parent;
  };
  HostShard() = default;
  Slot& freeSlot(uint64_t hash);
  void place(const HostRoutesConstSharedPtr& routes, uint64_t hash);
  void erase(size_t index);

  std::shared_ptr<const Owners> owners_;
  std::vector<Slot> slots_;  // always more slots than hosts, so probing terminates
  size_t live_ = 0;
  uint32_t depth_ = 0;
};
using HostShardConstSharedPtr = std::shared_ptr<const HostShard>;

class RouteTable {
 public:
  static constexpr size_t kShardBits = 13;
  static constexpr size_t kShards = size_t{1} << kShardBits;  // 8192
  // Why 8192: a change copies its shard's slot array (~120 hosts, ~12 KiB at 1M routes), so
  // fewer, larger shards slow publishing (4096: ~70k new routes/s at 1M in scale_apply, 8192:
  // ~95k); more shards make lookups slower (16384: +20-100 ns p50 at 1M, the shards' control
  // blocks, which every lookup increments, no longer stay in cache).

  using Shard = HostShard;
  using ShardConstSharedPtr = HostShardConstSharedPtr;

  // Hash used for hosts everywhere (shard choice, slot choice, the registry's maps).
  static uint64_t hashHost(std::string_view host);
  static size_t shardOf(std::string_view host) { return shardOfHash(hashHost(host)); }
  static size_t shardOfHash(uint64_t hash) { return hash >> (64 - kShardBits); }

  // Transparent hasher for maps keyed by host, consistent with hashHost().
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return hashHost(s); }
  };

  // Every shard empty, generation 0.
  RouteTable();

  // host: lower case, without port. path: the request's escaped path (any case, may carry a
  // query string, which is ignored). Returns nullptr when nothing matches (404). Any thread;
  // no lock, no allocation.
  PoolConstSharedPtr lookup(std::string_view host, std::string_view path) const;

  size_t hostCount() const { return host_count_; }
  uint64_t generation() const { return generation_; }

  // Used by the registry to build the next generation (a copy of this one, then setShard for
  // each changed shard). A null shard means an empty one. setShard must only be called on a
  // table no other thread can see yet.
  const ShardConstSharedPtr& shard(size_t index) const { return entry(index).owner; }
  void setShard(size_t index, ShardConstSharedPtr shard);

  size_t host_count_ = 0;
  size_t wildcard_host_count_ = 0;  // hosts starting with "*."; 0 skips the wildcard walk
  uint64_t generation_ = 0;

 private:
  // The shard and, for the hot path, its slot array: one 32-byte entry per shard.
  struct ShardEntry {
    ShardConstSharedPtr owner;
    const HostShard::Slot* slots;
    size_t count;
  };
  // The shard directory is split into groups so that a new generation copies 64 group
  // pointers plus the groups it changes (4 KiB each), not one 256 KiB array: an allocation
  // that large came fresh from the kernel at every publish (page faults were ~15 % of the
  // control thread's time during a bulk load at 1M routes).
  static constexpr size_t kGroupBits = 7;
  static constexpr size_t kGroupSize = size_t{1} << kGroupBits;
  struct Group {
    ShardEntry entries[kGroupSize];
  };

  const ShardEntry& entry(size_t index) const {
    return groups_[index >> kGroupBits]->entries[index & (kGroupSize - 1)];
  }

  // The pool for `host` (whose hashHost() is `hash`; exact, no wildcard walk) and `path`, or
  // nullptr; *shard is set to the shard it was found in.
  const Pool* matchHost(std::string_view host, uint64_t hash, std::string_view path,
                        size_t* shard) const;
  // Starts loading the home slot of `hash` into cache.
  void prefetchSlot(uint64_t hash) const;

  std::shared_ptr<const Group> groups_[kShards / kGroupSize];
};
using RouteTableConstSharedPtr = std::shared_ptr<const RouteTable>;

}  // namespace foundry::router
