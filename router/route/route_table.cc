#include "router/route/route_table.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

namespace foundry::router {
namespace {

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Reads 1..8 bytes without touching memory past p + n.
inline uint64_t loadTail(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline char lowerAscii(char c) {
  return static_cast<unsigned char>(c - 'A') < 26 ? static_cast<char>(c | 0x20) : c;
}

// `registered` is lower case; `request` any case. True when `registered` is a whole-segment
// prefix of `request`: "/foo" matches "/foo" and "/foo/bar" but not "/foobar". The root ""
// matches every path.
inline bool segmentPrefix(std::string_view registered, std::string_view request) {
  size_t n = registered.size();
  if (n == 0) {
    return true;
  }
  if (request.size() < n || (request.size() > n && request[n] != '/')) {
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    if (lowerAscii(request[i]) != registered[i]) {
      return false;
    }
  }
  return true;
}

// Scratch space for per-lookup string building (lower-cased paths, wildcard candidates).
// Requests up to the stack size never allocate; longer ones reuse a per-thread buffer, which
// allocates only when it grows. Each use site passes its own `Site`, so nested scratches (the
// wildcard walk calls the path index) never share a buffer.
enum class ScratchSite { WildcardHost, LowerPath };

template <ScratchSite Site>
class Scratch {
 public:
  explicit Scratch(size_t size) {
    if (size <= sizeof(stack_)) {
      data_ = stack_;
    } else {
      thread_local std::string heap;
      if (heap.size() < size) {
        heap.resize(size);
      }
      data_ = heap.data();
    }
  }
  char* data() { return data_; }

 private:
  char stack_[256];
  char* data_;
};

// The empty shard every RouteTable starts with: one empty slot, so probing needs no special
// case.
const HostShardConstSharedPtr& emptyShard() {
  static const HostShardConstSharedPtr shard =
      std::make_shared<const HostShard>(std::vector<HostRoutesConstSharedPtr>{});
  return shard;
}

inline size_t slotIndex(uint64_t hash, size_t count) {
  // Multiply-shift range reduction: no power-of-two capacity (saves memory), no division.
  return static_cast<size_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * count) >> 32);
}

inline size_t clampedLength(size_t length) { return std::min<size_t>(length, 0xffff); }

inline const HostShard::Slot* probe(const HostShard::Slot* slots, size_t count,
                                    std::string_view host, uint64_t hash) {
  size_t length = clampedLength(host.size());
  size_t i = slotIndex(hash, count);
  while (true) {
    const HostShard::Slot& slot = slots[i];
    if (slot.routes == nullptr) {
      return nullptr;
    }
    if (slot.hash == hash && slot.host_len == length) {
      // Same 64-bit hash and length: all but certainly the host; the byte compare makes it so.
      if (host.size() <= HostShard::kInlineHost
              ? host.empty() || std::memcmp(slot.host_head, host.data(), host.size()) == 0
              : slot.routes->host() == host) {
        return &slot;
      }
    }
    if (++i == count) {
      i = 0;
    }
  }
}

}  // namespace

// ---- HostRoutes ----

struct HostRoutes::Deleter {
  void operator()(const HostRoutes* routes) const {
    auto* mutable_routes = const_cast<HostRoutes*>(routes);
    mutable_routes->~HostRoutes();
    ::operator delete(mutable_routes);
  }
};

HostRoutesConstSharedPtr HostRoutes::create(std::string_view host, std::vector<PathPool> pools,
                                             std::vector<RegexPool> regexes) {
  // Longest first: the matching prefixes of one request path are nested, so the first
  // match in this order is the deepest.
  std::sort(pools.begin(), pools.end(),
            [](const PathPool& a, const PathPool& b) { return a.path.size() > b.path.size(); });
  size_t index_size = 0;
  if (pools.size() > kLinearScanMax) {
    index_size = 1;
    while (index_size < pools.size() * 2) {
      index_size <<= 1;
    }
  }
  static_assert(sizeof(HostRoutes) % alignof(PathPool) == 0);
  static_assert(sizeof(PathPool) % alignof(uint32_t) == 0);
  static_assert(alignof(IndexEntry) == alignof(uint32_t));
  size_t bytes = sizeof(HostRoutes) + pools.size() * (sizeof(PathPool) + sizeof(uint32_t)) +
                 index_size * sizeof(IndexEntry) + host.size();
  void* memory = ::operator new(bytes);
  auto* routes = new (memory) HostRoutes();
  // Ownership first, so that a throw below frees what was built.
  HostRoutesConstSharedPtr owner(routes, Deleter{});

  char* cursor = static_cast<char*>(memory) + sizeof(HostRoutes);
  routes->pools_ = reinterpret_cast<PathPool*>(cursor);
  for (PathPool& pool : pools) {
    pool.has_endpoints = pool.pool != nullptr && !pool.pool->empty();
    PathPool* entry = new (&routes->pools_[routes->pool_count_]) PathPool(std::move(pool));
    ++routes->pool_count_;  // counts constructed entries, for the destructor
    routes->max_path_len_ =
        std::max(routes->max_path_len_, static_cast<uint32_t>(entry->path.size()));
  }
  cursor += pools.size() * sizeof(PathPool);
  routes->path_lens_ = reinterpret_cast<uint32_t*>(cursor);
  for (uint32_t i = 0; i < routes->pool_count_; ++i) {
    // A path longer than 4 GiB cannot match a request anyway.
    routes->path_lens_[i] = static_cast<uint32_t>(
        std::min<size_t>(routes->pools_[i].path.size(), std::numeric_limits<uint32_t>::max()));
  }
  cursor += pools.size() * sizeof(uint32_t);
  if (index_size > 0) {
    routes->index_ = reinterpret_cast<IndexEntry*>(cursor);
    std::uninitialized_value_construct_n(routes->index_, index_size);
    routes->index_mask_ = static_cast<uint32_t>(index_size - 1);
    for (uint32_t i = 0; i < routes->pool_count_; ++i) {
      uint64_t hash = RouteTable::hashHost(routes->pools_[i].path);
      size_t slot = hash & routes->index_mask_;
      while (routes->index_[slot].entry_plus_one != 0) {
        slot = (slot + 1) & routes->index_mask_;
      }
      routes->index_[slot] = IndexEntry{static_cast<uint32_t>(hash), i + 1};
    }
    cursor += index_size * sizeof(IndexEntry);
  }
  if (!host.empty()) {
    std::memcpy(cursor, host.data(), host.size());
  }
  routes->host_ = cursor;
  routes->host_len_ = static_cast<uint32_t>(host.size());
  // A fixed order, so that which of two matching patterns wins does not depend on the order
  // they were registered in: the longer (usually the more specific) first.
  std::sort(regexes.begin(), regexes.end(), [](const RegexPool& a, const RegexPool& b) {
    return a.entry.path.size() != b.entry.path.size() ? a.entry.path.size() > b.entry.path.size()
                                                      : a.entry.path < b.entry.path;
  });
  for (RegexPool& regex : regexes) {
    regex.entry.has_endpoints = regex.entry.pool != nullptr && !regex.entry.pool->empty();
  }
  routes->regexes_ = std::move(regexes);
  return owner;
}

HostRoutes::~HostRoutes() {
  for (uint32_t i = 0; i < pool_count_; ++i) {
    pools_[i].~PathPool();
  }
}

const HostRoutes::PathPool* HostRoutes::match(std::string_view path) const {
  const PathPool* found = index_ != nullptr ? matchIndexed(path) : matchScan(path);
  if (regexes_.empty() || (found != nullptr && found->has_endpoints)) {
    return found;
  }
  return matchRegex(path, found);
}

const HostRoutes::PathPool* HostRoutes::matchRegex(std::string_view path,
                                                   const PathPool* empty_path_pool) const {
  // The root arrives as "" (its '/' trimmed like any trailing one); patterns see it as "/".
  std::string_view subject = path.empty() ? std::string_view("/") : path;
  const PathPool* first_empty = nullptr;
  for (const RegexPool& regex : regexes_) {
    if (!regex.regex->matches(subject)) {
      continue;
    }
    if (regex.entry.has_endpoints) {
      return &regex.entry;
    }
    if (first_empty == nullptr) {
      first_empty = &regex.entry;
    }
  }
  return empty_path_pool != nullptr ? empty_path_pool : first_empty;
}

const HostRoutes::PathPool* HostRoutes::matchScan(std::string_view path) const {
  const PathPool* deepest_empty = nullptr;
  for (uint32_t i = 0; i < pool_count_; ++i) {
    // Length and boundary first, from the compact array; the entry itself only for candidates.
    size_t length = path_lens_[i];
    if (length > path.size() || (length != 0 && length < path.size() && path[length] != '/')) {
      continue;
    }
    const PathPool& entry = pools_[i];
    if (!segmentPrefix(entry.path, path)) {
      continue;
    }
    if (entry.has_endpoints) {
      return &entry;
    }
    if (deepest_empty == nullptr) {
      deepest_empty = &entry;
    }
  }
  return deepest_empty;
}

const HostRoutes::PathPool* HostRoutes::findIndexed(std::string_view lower_path) const {
  uint64_t hash = RouteTable::hashHost(lower_path);
  size_t slot = hash & index_mask_;
  while (index_[slot].entry_plus_one != 0) {
    const IndexEntry& entry = index_[slot];
    if (entry.hash == static_cast<uint32_t>(hash) &&
        pools_[entry.entry_plus_one - 1].path == lower_path) {
      return &pools_[entry.entry_plus_one - 1];
    }
    slot = (slot + 1) & index_mask_;
  }
  return nullptr;
}

const HostRoutes::PathPool* HostRoutes::matchIndexed(std::string_view path) const {
  // Candidates are the request path's segment boundaries no longer than the longest registered
  // path, tried deepest first; only that many bytes need lower-casing.
  size_t limit = std::min<size_t>(path.size(), size_t{max_path_len_} + 1);
  Scratch<ScratchSite::LowerPath> scratch(limit);
  char* lower = scratch.data();
  for (size_t i = 0; i < limit; ++i) {
    lower[i] = lowerAscii(path[i]);
  }
  size_t end;
  if (path.size() <= max_path_len_) {
    end = path.size();
  } else {
    // Longest prefix of at most max_path_len_ bytes that ends at a segment boundary.
    end = max_path_len_;
    while (end > 0 && lower[end] != '/') {
      --end;
    }
  }
  const PathPool* deepest_empty = nullptr;
  while (true) {
    if (const PathPool* entry = findIndexed(std::string_view(lower, end)); entry != nullptr) {
      if (entry->has_endpoints) {
        return entry;
      }
      if (deepest_empty == nullptr) {
        deepest_empty = entry;
      }
    }
    if (end == 0) {
      break;
    }
    // The next shallower boundary: the previous '/', or the root.
    do {
      --end;
    } while (end > 0 && lower[end] != '/');
  }
  return deepest_empty;
}

// ---- HostShard ----

HostShard::HostShard(std::vector<HostRoutesConstSharedPtr> hosts) {
  // Load factor <= 2/3: a hit is usually in its home slot (one cache line) and misses stay
  // short.
  size_t count = hosts.size() + hosts.size() / 2 + 1;
  slots_.resize(count);
  for (const HostRoutesConstSharedPtr& routes : hosts) {
    place(routes, RouteTable::hashHost(routes->host()));
  }
  auto owners = std::make_shared<Owners>();
  owners->hosts = std::move(hosts);
  owners_ = std::move(owners);
}

// The first free slot of `hash`'s probe sequence.
HostShard::Slot& HostShard::freeSlot(uint64_t hash) {
  size_t count = slots_.size();
  size_t i = slotIndex(hash, count);
  while (slots_[i].routes != nullptr) {
    if (++i == count) {
      i = 0;
    }
  }
  return slots_[i];
}

// Writes `routes` into the first free slot of its probe sequence (the host is not present).
void HostShard::place(const HostRoutesConstSharedPtr& routes, uint64_t hash) {
  std::string_view host = routes->host();
  Slot& slot = freeSlot(hash);
  slot.hash = hash;
  slot.routes = routes.get();
  std::span<const HostRoutes::PathPool> pools = routes->pools();
  if (pools.size() == 1 && pools[0].path.empty() && !routes->hasRegexes()) {
    slot.root_pool = pools[0].pool.get();
  }
  slot.host_len = static_cast<uint16_t>(clampedLength(host.size()));
  std::memcpy(slot.host_head, host.data(), std::min(host.size(), kInlineHost));
  ++live_;
}

// Backward-shift deletion: later members of the probe run move up into the hole when their
// home slot allows it, so no tombstones are needed and probes stay as short as after a full
// build. Only ever done on a private copy, before the shard is published.
void HostShard::erase(size_t hole) {
  size_t count = slots_.size();
  size_t j = hole;
  while (true) {
    if (++j == count) {
      j = 0;
    }
    if (slots_[j].routes == nullptr) {
      break;
    }
    size_t home = slotIndex(slots_[j].hash, count);
    // The entry at j may stay only if its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --live_;
}

std::shared_ptr<const HostShard> HostShard::patched(const HostShard& parent,
                                                    std::span<const Change> changes) {
  if (parent.depth_ >= kMaxDepth) {
    return nullptr;
  }
  std::shared_ptr<HostShard> shard(new HostShard());
  size_t worst = parent.live_ + changes.size();
  if (worst * 4 <= parent.slots_.size() * 3) {
    shard->slots_ = parent.slots_;  // trivially copyable slots: one memcpy
    shard->live_ = parent.live_;
  } else {
    // Growing: rehash the parent's slots into a larger array (load 2/3 again). Slots carry
    // their hash, so this reads only the slot array, never the hosts.
    shard->slots_.resize(worst + worst / 2 + 1);
    for (const Slot& slot : parent.slots_) {
      if (slot.routes != nullptr) {
        shard->freeSlot(slot.hash) = slot;
        ++shard->live_;
      }
    }
  }
  shard->depth_ = parent.depth_ + 1;
  auto owners = std::make_shared<Owners>();
  owners->parent = parent.owners_;
  for (const Change& change : changes) {
    const Slot* found = probe(shard->slots_.data(), shard->slots_.size(), change.host, change.hash);
    size_t index = found == nullptr ? 0 : static_cast<size_t>(found - shard->slots_.data());
    if (change.routes == nullptr) {
      if (found != nullptr) {
        shard->erase(index);
      }
      continue;
    }
    if (found != nullptr) {
      // Same host, same hash: the slot stays where it is, only its routes change.
      Slot& slot = shard->slots_[index];
      std::span<const HostRoutes::PathPool> pools = change.routes->pools();
      slot.routes = change.routes.get();
      slot.root_pool = pools.size() == 1 && pools[0].path.empty() && !change.routes->hasRegexes()
                           ? pools[0].pool.get()
                           : nullptr;
    } else {
      shard->place(change.routes, change.hash);
    }
    owners->hosts.push_back(change.routes);
  }
  shard->owners_ = std::move(owners);
  return shard;
}

std::vector<const HostRoutes*> HostShard::hosts() const {
  std::vector<const HostRoutes*> out;
  out.reserve(live_);
  for (const Slot& slot : slots_) {
    if (slot.routes != nullptr) {
      out.push_back(slot.routes);
    }
  }
  return out;
}

const HostShard::Slot* HostShard::find(std::string_view host, uint64_t hash) const {
  return probe(slots_.data(), slots_.size(), host, hash);
}

// ---- RouteTable ----

uint64_t RouteTable::hashHost(std::string_view host) {
  // A wyhash-style multiply-mix, 16 bytes per round: hosts are short, so this beats
  // std::hash (murmur) by a few ns per lookup. Not DoS-resistant, but request hosts can only
  // probe, never insert, so a crafted collision costs the attacker's own lookup only.
  constexpr uint64_t kSeed = 0xa0761d6478bd642full;
  constexpr uint64_t kM1 = 0xe7037ed1a0b428dbull;
  constexpr uint64_t kM2 = 0x8ebc6af09c88c6e3ull;
  const char* p = host.data();
  size_t n = host.size();
  uint64_t h = kSeed ^ n;
  while (n > 16) {
    h = mix(load64(p) ^ kM1, load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0;
  uint64_t b = 0;
  if (n > 8) {
    a = load64(p);
    b = loadTail(p + 8, n - 8);
  } else if (n > 0) {
    a = loadTail(p, n);
  }
  h = mix(a ^ kM1, b ^ h);
  return mix(h ^ kM2, static_cast<uint64_t>(host.size()) ^ kM1);
}

RouteTable::RouteTable() {
  // Every group starts as the one shared all-empty group.
  static const std::shared_ptr<const Group> empty_group = [] {
    auto group = std::make_shared<Group>();
    for (ShardEntry& entry : group->entries) {
      entry = ShardEntry{emptyShard(), emptyShard()->slots(), emptyShard()->slotCount()};
    }
    return group;
  }();
  for (std::shared_ptr<const Group>& group : groups_) {
    group = empty_group;
  }
}

void RouteTable::setShard(size_t index, ShardConstSharedPtr shard) {
  if (shard == nullptr) {
    shard = emptyShard();
  }
  std::shared_ptr<const Group>& group = groups_[index >> kGroupBits];
  // A group referenced only by this (unpublished) table was copied for this generation
  // already and is changed in place; any other is shared with older tables: copy it first.
  if (group.use_count() != 1) {
    group = std::make_shared<Group>(*group);
  }
  const HostShard::Slot* slots = shard->slots();
  size_t count = shard->slotCount();
  const_cast<Group&>(*group).entries[index & (kGroupSize - 1)] =
      ShardEntry{std::move(shard), slots, count};
}

void RouteTable::prefetchSlot(uint64_t hash) const {
  const ShardEntry& entry = this->entry(shardOfHash(hash));
  __builtin_prefetch(entry.slots + slotIndex(hash, entry.count));
}

const Pool* RouteTable::matchHost(std::string_view host, uint64_t hash, std::string_view path,
                                  size_t* shard) const {
  size_t index = shardOfHash(hash);
  const ShardEntry& entry = this->entry(index);
  // The shard's control block (make_shared: just before the object) is written when the
  // caller's PoolConstSharedPtr is made; start loading it now, alongside the slot, so that
  // the two misses overlap instead of following each other.
  __builtin_prefetch(entry.owner.get(), 1);
  const HostShard::Slot* slot = probe(entry.slots, entry.count, host, hash);
  if (slot == nullptr) {
    return nullptr;
  }
  *shard = index;
  if (slot->root_pool != nullptr) {
    return slot->root_pool;
  }
  const HostRoutes::PathPool* matched = slot->routes->match(path);
  return matched == nullptr ? nullptr : matched->pool.get();
}

PoolConstSharedPtr RouteTable::lookup(std::string_view host, std::string_view path) const {
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    path = path.substr(0, q);
  }
  if (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  size_t shard = 0;
  size_t dot = wildcard_host_count_ == 0 ? std::string_view::npos : host.find('.');
  if (dot == std::string_view::npos) {
    const Pool* pool = matchHost(host, hashHost(host), path, &shard);
    return pool == nullptr ? nullptr : PoolConstSharedPtr(entry(shard).owner, pool);
  }
  // Wildcard walk: "*" + host[dot:] for each '.' from the left. The host is copied once, one
  // byte to the right, so each candidate is made in place by writing '*' just before its dot
  // (over a byte the walk has already passed).
  Scratch<ScratchSite::WildcardHost> scratch(host.size() + 1);
  char* buffer = scratch.data();
  std::memcpy(buffer + 1, host.data(), host.size());
  buffer[dot] = '*';
  std::string_view candidate(buffer + dot, host.size() - dot + 1);
  uint64_t candidate_hash = hashHost(candidate);
  // The nearest wildcard is the usual hit; loading its slot now overlaps that cache miss with
  // the exact probe's instead of paying for them one after the other.
  prefetchSlot(candidate_hash);
  if (const Pool* pool = matchHost(host, hashHost(host), path, &shard); pool != nullptr) {
    // Aliasing: the caller's reference keeps the shard, and through it the pool, alive.
    return PoolConstSharedPtr(entry(shard).owner, pool);
  }
  while (true) {
    if (const Pool* pool = matchHost(candidate, candidate_hash, path, &shard); pool != nullptr) {
      return PoolConstSharedPtr(entry(shard).owner, pool);
    }
    dot = host.find('.', dot + 1);
    if (dot == std::string_view::npos) {
      return nullptr;
    }
    buffer[dot] = '*';
    candidate = std::string_view(buffer + dot, host.size() - dot + 1);
    candidate_hash = hashHost(candidate);
  }
}

}  // namespace foundry::router
