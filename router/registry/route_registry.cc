#include "router/registry/route_registry.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>

#include "router/registry/expiry_list.h"
#include "router/route/path_regex.h"

namespace foundry::router {
namespace {

bool isWildcardHost(std::string_view host) {
  return host.size() >= 2 && host[0] == '*' && host[1] == '.';
}

// options.loadbalancing: invalid values are ignored (the decoder has already logged them).
bool parseLbAlgorithm(std::string_view name, LbAlgorithm* out) {
  if (name == "round-robin") {
    *out = LbAlgorithm::RoundRobin;
    return true;
  }
  if (name == "least-connection") {
    *out = LbAlgorithm::LeastConnection;
    return true;
  }
  return false;
}

}  // namespace

// Layout, sized for ~1M routes:
//  - hosts live in kShards maps, sharded exactly like RouteTable, so publish() rebuilds a
//    dirty table shard from one small map, or patches it with just the hosts that changed
//    (listed per dirty shard in changed_hosts);
//  - each host holds a short vector of context paths (almost always one), each path a vector
//    of endpoints in pool order plus, for large pools only, an address -> position index;
//    paths are heap-allocated so that an endpoint's Entry can point at its path;
//  - every prunable endpoint's Entry sits in the ExpiryList of its stale threshold, oldest
//    heartbeat first, so pruneStale() visits only stale endpoints;
//  - "dirty" is encoded as a missing cache: a PathState without `pool` or a HostState without
//    `routes` is rebuilt at the next publish(), and the shard is listed in dirty_shards.
struct RouteRegistry::State {
  // Pools up to this size are searched linearly by (host, port); larger ones keep an index.
  static constexpr size_t kIndexThreshold = 16;

  struct PathState;
  struct HostState;

  // The registry's record of one endpoint: its place in the expiry order and the way back to
  // its pool when it expires.
  struct Entry : ExpiryNode {
    PathState* path = nullptr;
    ExpiryList* list = nullptr;  // null: never pruned (TLS)
  };

  struct PathState {
    HostState* host = nullptr;
    std::string path;                // lower case
    std::string path_original_case;  // as first registered
    std::string regex_pattern;       // a regex route's pattern, "" for a path route
    PathRegexConstSharedPtr regex;   // compiled once when the route appeared
    std::vector<EndpointSharedPtr> endpoints;
    std::vector<std::unique_ptr<Entry>> entries;  // parallel to endpoints
    // address -> position in endpoints, keys view Endpoint::address(); only for large pools.
    std::unique_ptr<std::unordered_map<std::string_view, uint32_t>> index;
    LbAlgorithm lb_algorithm = LbAlgorithm::RoundRobin;
    std::string route_service_url;
    int64_t empty_since_ns = 0;  // when the pool last became empty (empty_pool_timeout)
    PoolConstSharedPtr pool;     // built by publish(); null when changed since
  };

  struct HostState {
    const std::string* name = nullptr;  // the map's key (node-based map: stable)
    uint32_t shard = 0;
    bool listed = false;  // in changed_hosts since the last publish
    std::vector<std::unique_ptr<PathState>> paths;
    HostRoutesConstSharedPtr routes;  // built by publish(); null when changed since
  };

  // A pool that became empty while empty_pool_timeout > 0, in the order they emptied. Checked
  // (and possibly stale: the pool may have been repopulated) by pruneStale.
  struct EmptyMark {
    std::string host;
    std::string path;
    std::string regex_pattern;
    int64_t since_ns;
  };

  using HostMap =
      std::unordered_map<std::string, HostState, RouteTable::StringHash, std::equal_to<>>;

  explicit State(Options opts)
      : options(opts),
        hosts(RouteTable::kShards),
        shard_dirty(RouteTable::kShards, false),
        changed_hosts(RouteTable::kShards),
        table(std::make_shared<const RouteTable>()) {}

  Options options;
  std::vector<HostMap> hosts;  // indexed by RouteTable::shardOf(host)
  std::vector<bool> shard_dirty;
  std::vector<uint32_t> dirty_shards;
  // Per shard: the hosts changed since the last publish (a host erased and registered again
  // in between may appear twice; the last entry wins).
  std::vector<std::vector<std::string>> changed_hosts;
  std::map<int64_t, ExpiryList> expiry;  // stale threshold (ns) -> its endpoints
  std::deque<EmptyMark> emptied;
  RouteTableConstSharedPtr table;  // the last published generation
  size_t host_count = 0;
  size_t wildcard_host_count = 0;
  size_t route_count = 0;
  size_t endpoint_count = 0;
  uint64_t change_seq = 0;  // stamped on every Endpoint created for an add or a change

  static std::string addressOf(std::string_view host, uint16_t port) {
    std::string address;
    address.reserve(host.size() + 6);
    address.append(host);
    address.push_back(':');
    char digits[8];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), port);
    address.append(digits, end);
    return address;
  }

  // The route `key` names (path and regex pattern alike), or nullptr.
  static PathState* findPath(const HostState& host, const RouteKey& key) {
    for (const std::unique_ptr<PathState>& candidate : host.paths) {
      if (candidate->path == key.path && candidate->regex_pattern == key.path_regex) {
        return candidate.get();
      }
    }
    return nullptr;
  }

  // Position of the endpoint host:port in the path's pool, or -1.
  static ptrdiff_t findEndpoint(const PathState& path, std::string_view host, uint16_t port) {
    if (path.index != nullptr) {
      auto it = path.index->find(addressOf(host, port));
      return it == path.index->end() ? -1 : static_cast<ptrdiff_t>(it->second);
    }
    for (size_t i = 0; i < path.endpoints.size(); ++i) {
      const EndpointFields& fields = path.endpoints[i]->fields();
      if (fields.port == port && fields.host == host) {
        return static_cast<ptrdiff_t>(i);
      }
    }
    return -1;
  }

  int64_t staleThresholdNs(const Endpoint& endpoint) const {
    // stale_threshold_in_seconds can only shorten the global TTL.
    int64_t seconds = endpoint.fields().stale_threshold_s;
    int64_t global = options.droplet_stale_threshold_ns;
    if (seconds > 0 && seconds < global / 1'000'000'000) {
      return seconds * 1'000'000'000;
    }
    return global;
  }

  // Puts `entry` in the expiry list its endpoint belongs to (none for TLS endpoints, which
  // are never TTL-pruned: route integrity removes them on failure).
  void track(Entry* entry, const Endpoint& endpoint, int64_t seen_ns) {
    entry->list = endpoint.fields().tls ? nullptr : &expiry[staleThresholdNs(endpoint)];
    if (entry->list != nullptr) {
      entry->list->insert(entry, seen_ns);
    }
  }

  static void untrack(Entry* entry) {
    if (entry->list != nullptr) {
      entry->list->remove(entry);
      entry->list = nullptr;
    }
  }

  void appendEndpoint(PathState* path, EndpointSharedPtr endpoint, int64_t now_ns) {
    auto entry = std::make_unique<Entry>();
    entry->path = path;
    track(entry.get(), *endpoint, now_ns);
    path->entries.push_back(std::move(entry));
    path->endpoints.push_back(std::move(endpoint));
    if (path->index != nullptr) {
      path->index->emplace(path->endpoints.back()->address(),
                           static_cast<uint32_t>(path->endpoints.size() - 1));
    } else if (path->endpoints.size() > kIndexThreshold) {
      path->index = std::make_unique<std::unordered_map<std::string_view, uint32_t>>();
      path->index->reserve(path->endpoints.size() * 2);
      for (size_t i = 0; i < path->endpoints.size(); ++i) {
        path->index->emplace(path->endpoints[i]->address(), static_cast<uint32_t>(i));
      }
    }
  }

  void replaceEndpoint(PathState* path, size_t pos, EndpointSharedPtr endpoint, int64_t now_ns) {
    if (path->index != nullptr) {
      // The key views the old object's address; re-key it on the new one.
      path->index->erase(path->endpoints[pos]->address());
      path->index->emplace(endpoint->address(), static_cast<uint32_t>(pos));
    }
    // TLS or the threshold may have changed: re-file the entry.
    Entry* entry = path->entries[pos].get();
    untrack(entry);
    track(entry, *endpoint, now_ns);
    path->endpoints[pos] = std::move(endpoint);
  }

  // Swap-with-last removal, as gorouter's pool does: O(1) and only the moved endpoint's
  // position changes.
  static void removeEndpointAt(PathState* path, size_t pos) {
    size_t last = path->endpoints.size() - 1;
    if (path->index != nullptr) {
      path->index->erase(path->endpoints[pos]->address());
      if (pos != last) {
        (*path->index)[path->endpoints[last]->address()] = static_cast<uint32_t>(pos);
      }
    }
    untrack(path->entries[pos].get());
    if (pos != last) {
      path->endpoints[pos] = std::move(path->endpoints[last]);
      path->entries[pos] = std::move(path->entries[last]);
    }
    path->endpoints.pop_back();
    path->entries.pop_back();
  }

  void markDirty(HostState* host, PathState* path) {
    if (path != nullptr) {
      path->pool.reset();
    }
    host->routes.reset();
    if (!host->listed) {
      // Once per publish: a route registering many endpoints in one window is one change.
      host->listed = true;
      changed_hosts[host->shard].push_back(*host->name);
    }
    if (!shard_dirty[host->shard]) {
      shard_dirty[host->shard] = true;
      dirty_shards.push_back(host->shard);
    }
  }

  // Called when `path` just lost its last endpoint. Returns true when the pool must be deleted
  // now; otherwise it is kept (empty) until empty_pool_timeout after this change.
  bool deleteWhenEmptied(PathState* path, int64_t now_ns) {
    if (options.empty_pool_timeout_ns > 0) {
      path->empty_since_ns = now_ns;
      emptied.push_back(EmptyMark{*path->host->name, path->path, path->regex_pattern, now_ns});
      return false;
    }
    return true;
  }

  void erasePath(HostState* host, const PathState* path) {
    for (size_t p = 0; p < host->paths.size(); ++p) {
      if (host->paths[p].get() == path) {
        host->paths.erase(host->paths.begin() + static_cast<ptrdiff_t>(p));
        --route_count;
        return;
      }
    }
  }

  // Erases the host entry if it has no paths left.
  void eraseHostIfEmpty(HostState* host) {
    if (!host->paths.empty()) {
      return;
    }
    if (isWildcardHost(*host->name)) {
      --wildcard_host_count;
    }
    --host_count;
    HostMap& map = hosts[host->shard];
    map.erase(map.find(*host->name));
  }

  // Removes the endpoint of `entry` (stale), and its pool and host if they become empty and
  // are not kept. The entry is freed.
  void expire(Entry* entry, int64_t now_ns) {
    PathState* path = entry->path;
    HostState* host = path->host;
    for (size_t pos = 0; pos < path->entries.size(); ++pos) {
      if (path->entries[pos].get() == entry) {
        removeEndpointAt(path, pos);
        break;
      }
    }
    --endpoint_count;
    markDirty(host, path);
    if (path->endpoints.empty() && deleteWhenEmptied(path, now_ns)) {
      erasePath(host, path);
      eraseHostIfEmpty(host);
    }
  }

  // Deletes pools kept empty for longer than empty_pool_timeout.
  void dropExpiredEmptyPools(int64_t now_ns) {
    while (!emptied.empty() &&
           now_ns - emptied.front().since_ns > options.empty_pool_timeout_ns) {
      EmptyMark mark = std::move(emptied.front());
      emptied.pop_front();
      HostMap& map = hosts[RouteTable::shardOf(mark.host)];
      auto it = map.find(mark.host);
      if (it == map.end()) {
        continue;
      }
      HostState* host = &it->second;
      for (const std::unique_ptr<PathState>& path : host->paths) {
        // Repopulated (or emptied again later, with its own mark) since: not this mark's.
        if (path->path == mark.path && path->regex_pattern == mark.regex_pattern &&
            path->endpoints.empty() &&
            path->empty_since_ns == mark.since_ns) {
          markDirty(host, nullptr);
          erasePath(host, path.get());
          eraseHostIfEmpty(host);
          break;
        }
      }
    }
  }

  PoolConstSharedPtr buildPool(std::string_view host, const PathState& path) const {
    return std::make_shared<const Pool>(std::string(host), path.path_original_case, path.endpoints,
                                        path.lb_algorithm, path.route_service_url);
  }

  HostRoutesConstSharedPtr buildRoutes(const std::string& name, HostState* host) const {
    std::vector<HostRoutes::PathPool> pools;
    std::vector<HostRoutes::RegexPool> regexes;
    pools.reserve(host->paths.size());
    for (const std::unique_ptr<PathState>& path : host->paths) {
      if (path->pool == nullptr) {
        path->pool = buildPool(name, *path);
      }
      if (path->regex != nullptr) {
        regexes.push_back(HostRoutes::RegexPool{
            path->regex, HostRoutes::PathPool{path->regex_pattern, path->pool}});
      } else {
        pools.push_back(HostRoutes::PathPool{path->path, path->pool});
      }
    }
    return HostRoutes::create(name, std::move(pools), std::move(regexes));
  }

  RouteTable::ShardConstSharedPtr buildShard(uint32_t shard, const RouteTable& previous);
};

// The next generation of one dirty shard: the previous one patched with the changed hosts
// when possible, else a full build from the shard's map.
RouteTable::ShardConstSharedPtr RouteRegistry::State::buildShard(uint32_t shard,
                                                                 const RouteTable& previous) {
  HostMap& map = hosts[shard];
  std::vector<std::string>& changed = changed_hosts[shard];
  if (map.empty()) {
    changed.clear();
    return nullptr;
  }
  std::vector<HostShard::Change> changes;
  changes.reserve(changed.size());
  for (const std::string& name : changed) {
    auto it = map.find(name);
    if (it == map.end()) {
      changes.push_back(HostShard::Change{name, RouteTable::hashHost(name), nullptr});
      continue;
    }
    HostState& host = it->second;
    host.listed = false;
    if (host.routes == nullptr) {
      host.routes = buildRoutes(it->first, &host);
    }
    changes.push_back(HostShard::Change{*host.name, RouteTable::hashHost(name), host.routes});
  }
  RouteTable::ShardConstSharedPtr next = HostShard::patched(*previous.shard(shard), changes);
  changes.clear();
  changed.clear();
  if (next != nullptr) {
    return next;
  }
  std::vector<HostRoutesConstSharedPtr> all;
  all.reserve(map.size());
  for (auto& [name, host] : map) {
    if (host.routes == nullptr) {
      host.routes = buildRoutes(name, &host);
    }
    all.push_back(host.routes);
  }
  return std::make_shared<const HostShard>(std::move(all));
}

RouteRegistry::RouteRegistry(Options options) : state_(std::make_unique<State>(options)) {}

RouteRegistry::~RouteRegistry() = default;

RegisterResult RouteRegistry::registerEndpoint(const RouteKey& key, const EndpointFields& fields,
                                               int64_t now_ns, std::string* error,
                                               EndpointSharedPtr* registered) {
  State& s = *state_;
  size_t shard = RouteTable::shardOf(key.host);
  State::HostMap& map = s.hosts[shard];
  auto host_it = map.find(key.host);
  State::PathState* path = host_it == map.end() ? nullptr : State::findPath(host_it->second, key);
  PathRegexConstSharedPtr regex;
  if (path == nullptr && !key.path_regex.empty()) {
    // A new regex route: compiled here, once, before anything is created, so that a bad
    // pattern leaves no trace. Heartbeats find the route above and never compile.
    std::string why;
    regex = PathRegex::compile(key.path_regex, &why);
    if (regex == nullptr) {
      if (error != nullptr) {
        *error = std::move(why);
      }
      return RegisterResult::Rejected;
    }
  }
  if (host_it == map.end()) {
    host_it = map.emplace(key.host, State::HostState{}).first;
    host_it->second.name = &host_it->first;
    host_it->second.shard = static_cast<uint32_t>(shard);
    ++s.host_count;
    if (isWildcardHost(key.host)) {
      ++s.wildcard_host_count;
    }
  }
  State::HostState& host = host_it->second;

  if (path == nullptr) {
    path = host.paths.emplace_back(std::make_unique<State::PathState>()).get();
    path->host = &host;
    path->path = key.path;
    path->path_original_case = key.path_original_case;
    path->regex_pattern = key.path_regex;
    path->regex = std::move(regex);
    path->lb_algorithm = s.options.default_lb;
    ++s.route_count;
  }

  RegisterResult result;
  ptrdiff_t pos = State::findEndpoint(*path, fields.host, fields.port);
  if (pos >= 0) {
    EndpointSharedPtr& existing = path->endpoints[static_cast<size_t>(pos)];
    if (existing->fields() == fields) {
      // Heartbeat: the published Pool already holds this very object, so refreshing its
      // timestamp (and its place in the expiry order) is all there is to do; the table is
      // not touched.
      existing->last_seen_ns.store(now_ns, std::memory_order_relaxed);
      State::Entry* entry = path->entries[static_cast<size_t>(pos)].get();
      if (entry->list != nullptr) {
        entry->list->touch(entry, now_ns);
      }
      if (registered != nullptr) {
        *registered = existing;
      }
      return RegisterResult::Heartbeat;
    }
    // Any changed field (a new instance id included) replaces the endpoint in place. The
    // failure back-off belongs to the address, so it carries over (gorouter keeps it on the
    // pool element); in-flight counts stay with the old object, whose requests decrement it.
    auto replacement = std::make_shared<Endpoint>(fields);
    replacement->change_seq = ++s.change_seq;
    replacement->last_seen_ns.store(now_ns, std::memory_order_relaxed);
    replacement->failed_at_ns.store(existing->failed_at_ns.load(std::memory_order_relaxed),
                                    std::memory_order_relaxed);
    replacement->health_down.store(existing->health_down.load(std::memory_order_relaxed),
                                   std::memory_order_relaxed);
    if (registered != nullptr) {
      *registered = replacement;
    }
    s.replaceEndpoint(path, static_cast<size_t>(pos), std::move(replacement), now_ns);
    result = RegisterResult::Updated;
  } else {
    auto endpoint = std::make_shared<Endpoint>(fields);
    endpoint->change_seq = ++s.change_seq;
    endpoint->last_seen_ns.store(now_ns, std::memory_order_relaxed);
    if (registered != nullptr) {
      *registered = endpoint;
    }
    s.appendEndpoint(path, std::move(endpoint), now_ns);
    ++s.endpoint_count;
    result = RegisterResult::Added;
  }
  // Pool-wide settings: the last writer wins; an invalid or empty algorithm leaves the pool's
  // current one (never reset to the default).
  parseLbAlgorithm(fields.lb_algo, &path->lb_algorithm);
  path->route_service_url = fields.route_service_url;
  path->empty_since_ns = 0;
  s.markDirty(&host, path);
  return result;
}

UnregisterResult RouteRegistry::unregisterEndpoint(const RouteKey& key, const std::string& host,
                                                   uint16_t port, int64_t now_ns) {
  State& s = *state_;
  State::HostMap& map = s.hosts[RouteTable::shardOf(key.host)];
  auto host_it = map.find(key.host);
  if (host_it == map.end()) {
    return UnregisterResult::NotFound;
  }
  State::HostState& host_state = host_it->second;
  for (const std::unique_ptr<State::PathState>& candidate : host_state.paths) {
    State::PathState* path = candidate.get();
    if (path->path != key.path || path->regex_pattern != key.path_regex) {
      continue;
    }
    ptrdiff_t pos = State::findEndpoint(*path, host, port);
    if (pos < 0) {
      return UnregisterResult::NotFound;
    }
    State::removeEndpointAt(path, static_cast<size_t>(pos));
    --s.endpoint_count;
    s.markDirty(&host_state, path);
    if (path->endpoints.empty() && s.deleteWhenEmptied(path, now_ns)) {
      s.erasePath(&host_state, path);
      s.eraseHostIfEmpty(&host_state);
    }
    return UnregisterResult::Removed;
  }
  return UnregisterResult::NotFound;
}

size_t RouteRegistry::pruneStale(int64_t now_ns) {
  State& s = *state_;
  size_t removed = 0;
  // Each list is ordered by last heartbeat, so its stale members are a prefix.
  for (auto& [threshold_ns, list] : s.expiry) {
    while (!list.empty() && now_ns - list.front()->last_seen_ns > threshold_ns) {
      s.expire(static_cast<State::Entry*>(list.front()), now_ns);
      ++removed;
    }
  }
  if (s.options.empty_pool_timeout_ns > 0) {
    s.dropExpiredEmptyPools(now_ns);
  }
  return removed;
}

void RouteRegistry::resetTimestamps(int64_t now_ns) {
  for (auto& [threshold_ns, list] : state_->expiry) {
    for (ExpiryNode* node = list.front(); node != nullptr; node = node->next) {
      node->last_seen_ns = now_ns;  // all equal: the order stays valid
    }
  }
  for (const State::HostMap& map : state_->hosts) {
    for (const auto& [name, host] : map) {
      for (const std::unique_ptr<State::PathState>& path : host.paths) {
        for (const EndpointSharedPtr& endpoint : path->endpoints) {
          endpoint->last_seen_ns.store(now_ns, std::memory_order_relaxed);
        }
      }
    }
  }
}

bool RouteRegistry::dirty() const { return !state_->dirty_shards.empty(); }

RouteTableConstSharedPtr RouteRegistry::publish() {
  State& s = *state_;
  // Copying the table copies 64 shard-group pointers; setShard copies the groups of the
  // dirty shards, which are patched or rebuilt.
  auto next = std::make_shared<RouteTable>(*s.table);
  next->generation_ = s.table->generation_ + 1;
  next->host_count_ = s.host_count;
  next->wildcard_host_count_ = s.wildcard_host_count;
  for (uint32_t shard : s.dirty_shards) {
    s.shard_dirty[shard] = false;
    next->setShard(shard, s.buildShard(shard, *s.table));
  }
  s.dirty_shards.clear();
  s.table = next;
  return next;
}

size_t RouteRegistry::routeCount() const { return state_->route_count; }

size_t RouteRegistry::endpointCount() const { return state_->endpoint_count; }

void RouteRegistry::forEachRoute(
    const std::function<void(const std::string&, const Pool&)>& visit) const {
  std::string uri;
  for (const State::HostMap& map : state_->hosts) {
    for (const auto& [name, host] : map) {
      for (const std::unique_ptr<State::PathState>& path : host.paths) {
        uri.assign(name);
        if (path->regex != nullptr) {
          uri.push_back('~');
          uri.append(path->regex_pattern);
        } else {
          uri.append(path->path);
        }
        if (path->pool != nullptr) {
          visit(uri, *path->pool);
        } else {
          // Changed since the last publish: show the current state, not the stale pool.
          visit(uri, *state_->buildPool(name, *path));
        }
      }
    }
  }
}

}  // namespace foundry::router
