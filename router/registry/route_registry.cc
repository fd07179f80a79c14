#include "router/registry/route_registry.h"

#include <algorithm>
#include <charconv>

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
//    dirty table shard by walking one small map;
//  - each host holds a short vector of context paths (almost always one), each path a vector
//    of endpoints in pool order plus, for large pools only, an address -> position index;
//  - "dirty" is encoded as a missing cache: a PathState without `pool` or a HostState without
//    `routes` is rebuilt at the next publish(), and the shard is listed in dirty_shards.
struct RouteRegistry::State {
  // Pools up to this size are searched linearly by (host, port); larger ones keep an index.
  static constexpr size_t kIndexThreshold = 16;

  struct PathState {
    std::string path;                // lower case
    std::string path_original_case;  // as first registered
    std::vector<EndpointSharedPtr> endpoints;
    // address -> position in endpoints, keys view Endpoint::address(); only for large pools.
    std::unique_ptr<std::unordered_map<std::string_view, uint32_t>> index;
    LbAlgorithm lb_algorithm = LbAlgorithm::RoundRobin;
    std::string route_service_url;
    int64_t empty_since_ns = 0;  // when the pool last became empty (empty_pool_timeout)
    PoolConstSharedPtr pool;     // built by publish(); null when changed since
  };

  struct HostState {
    std::vector<PathState> paths;
    HostRoutesConstSharedPtr routes;  // built by publish(); null when changed since
  };

  using HostMap =
      std::unordered_map<std::string, HostState, RouteTable::StringHash, std::equal_to<>>;

  explicit State(Options opts)
      : options(opts),
        hosts(RouteTable::kShards),
        shard_dirty(RouteTable::kShards, false),
        table(std::make_shared<const RouteTable>()) {}

  Options options;
  std::vector<HostMap> hosts;  // indexed by RouteTable::shardOf(host)
  std::vector<bool> shard_dirty;
  std::vector<uint32_t> dirty_shards;
  RouteTableConstSharedPtr table;  // the last published generation
  size_t host_count = 0;
  size_t wildcard_host_count = 0;
  size_t route_count = 0;
  size_t endpoint_count = 0;

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

  static void appendEndpoint(PathState* path, EndpointSharedPtr endpoint) {
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

  static void replaceEndpoint(PathState* path, size_t pos, EndpointSharedPtr endpoint) {
    if (path->index != nullptr) {
      // The key views the old object's address; re-key it on the new one.
      path->index->erase(path->endpoints[pos]->address());
      path->index->emplace(endpoint->address(), static_cast<uint32_t>(pos));
    }
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
    if (pos != last) {
      path->endpoints[pos] = std::move(path->endpoints[last]);
    }
    path->endpoints.pop_back();
  }

  void markDirty(size_t shard, HostState* host, PathState* path) {
    if (path != nullptr) {
      path->pool.reset();
    }
    if (host != nullptr) {
      host->routes.reset();
    }
    if (!shard_dirty[shard]) {
      shard_dirty[shard] = true;
      dirty_shards.push_back(static_cast<uint32_t>(shard));
    }
  }

  // Called when `path` just lost its last endpoint. Returns true when the pool must be deleted
  // now; otherwise it is kept (empty) until empty_pool_timeout after this change.
  bool deleteWhenEmptied(PathState* path, int64_t now_ns) const {
    if (options.empty_pool_timeout_ns > 0) {
      path->empty_since_ns = now_ns;
      return false;
    }
    return true;
  }

  void erasePath(HostState* host, size_t path_pos) {
    host->paths.erase(host->paths.begin() + static_cast<ptrdiff_t>(path_pos));
    --route_count;
  }

  // Erases the host entry if it has no paths left.
  void eraseHostIfEmpty(HostMap* map, HostMap::iterator it) {
    if (!it->second.paths.empty()) {
      return;
    }
    if (isWildcardHost(it->first)) {
      --wildcard_host_count;
    }
    --host_count;
    map->erase(it);
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

  PoolConstSharedPtr buildPool(std::string_view host, const PathState& path) const {
    return std::make_shared<const Pool>(std::string(host), path.path_original_case, path.endpoints,
                                        path.lb_algorithm, path.route_service_url);
  }
};

RouteRegistry::RouteRegistry(Options options) : state_(std::make_unique<State>(options)) {}

RouteRegistry::~RouteRegistry() = default;

RegisterResult RouteRegistry::registerEndpoint(const RouteKey& key, const EndpointFields& fields,
                                               int64_t now_ns) {
  State& s = *state_;
  size_t shard = RouteTable::shardOf(key.host);
  State::HostMap& map = s.hosts[shard];
  auto host_it = map.find(key.host);
  if (host_it == map.end()) {
    host_it = map.emplace(key.host, State::HostState{}).first;
    ++s.host_count;
    if (isWildcardHost(key.host)) {
      ++s.wildcard_host_count;
    }
  }
  State::HostState& host = host_it->second;

  State::PathState* path = nullptr;
  for (State::PathState& candidate : host.paths) {
    if (candidate.path == key.path) {
      path = &candidate;
      break;
    }
  }
  if (path == nullptr) {
    path = &host.paths.emplace_back();
    path->path = key.path;
    path->path_original_case = key.path_original_case;
    path->lb_algorithm = s.options.default_lb;
    ++s.route_count;
  }

  RegisterResult result;
  ptrdiff_t pos = State::findEndpoint(*path, fields.host, fields.port);
  if (pos >= 0) {
    EndpointSharedPtr& existing = path->endpoints[static_cast<size_t>(pos)];
    if (existing->fields() == fields) {
      // Heartbeat: the published Pool already holds this very object, so refreshing its
      // timestamp is all there is to do; the table is not touched.
      existing->last_seen_ns.store(now_ns, std::memory_order_relaxed);
      return RegisterResult::Heartbeat;
    }
    // Any changed field (a new instance id included) replaces the endpoint in place. The
    // failure back-off belongs to the address, so it carries over (gorouter keeps it on the
    // pool element); in-flight counts stay with the old object, whose requests decrement it.
    auto replacement = std::make_shared<Endpoint>(fields);
    replacement->last_seen_ns.store(now_ns, std::memory_order_relaxed);
    replacement->failed_at_ns.store(existing->failed_at_ns.load(std::memory_order_relaxed),
                                    std::memory_order_relaxed);
    State::replaceEndpoint(path, static_cast<size_t>(pos), std::move(replacement));
    result = RegisterResult::Updated;
  } else {
    auto endpoint = std::make_shared<Endpoint>(fields);
    endpoint->last_seen_ns.store(now_ns, std::memory_order_relaxed);
    State::appendEndpoint(path, std::move(endpoint));
    ++s.endpoint_count;
    result = RegisterResult::Added;
  }
  // Pool-wide settings: the last writer wins; an invalid or empty algorithm leaves the pool's
  // current one (never reset to the default).
  parseLbAlgorithm(fields.lb_algo, &path->lb_algorithm);
  path->route_service_url = fields.route_service_url;
  path->empty_since_ns = 0;
  s.markDirty(shard, &host, path);
  return result;
}

UnregisterResult RouteRegistry::unregisterEndpoint(const RouteKey& key, const std::string& host,
                                                   uint16_t port, int64_t now_ns) {
  State& s = *state_;
  size_t shard = RouteTable::shardOf(key.host);
  State::HostMap& map = s.hosts[shard];
  auto host_it = map.find(key.host);
  if (host_it == map.end()) {
    return UnregisterResult::NotFound;
  }
  State::HostState& host_state = host_it->second;
  for (size_t p = 0; p < host_state.paths.size(); ++p) {
    State::PathState& path = host_state.paths[p];
    if (path.path != key.path) {
      continue;
    }
    ptrdiff_t pos = State::findEndpoint(path, host, port);
    if (pos < 0) {
      return UnregisterResult::NotFound;
    }
    State::removeEndpointAt(&path, static_cast<size_t>(pos));
    --s.endpoint_count;
    s.markDirty(shard, &host_state, &path);
    if (path.endpoints.empty() && s.deleteWhenEmptied(&path, now_ns)) {
      s.erasePath(&host_state, p);
      s.eraseHostIfEmpty(&map, host_it);
    }
    return UnregisterResult::Removed;
  }
  return UnregisterResult::NotFound;
}

size_t RouteRegistry::pruneStale(int64_t now_ns) {
  State& s = *state_;
  size_t removed = 0;
  for (size_t shard = 0; shard < RouteTable::kShards; ++shard) {
    State::HostMap& map = s.hosts[shard];
    for (auto host_it = map.begin(); host_it != map.end();) {
      State::HostState& host = host_it->second;
      for (size_t p = 0; p < host.paths.size();) {
        State::PathState& path = host.paths[p];
        bool was_empty = path.endpoints.empty();
        bool changed = false;
        for (size_t i = 0; i < path.endpoints.size();) {
          const Endpoint& endpoint = *path.endpoints[i];
          // TLS endpoints are never TTL-pruned: route integrity removes them on failure.
          if (!endpoint.fields().tls &&
              now_ns - endpoint.last_seen_ns.load(std::memory_order_relaxed) >
                  s.staleThresholdNs(endpoint)) {
            State::removeEndpointAt(&path, i);
            --s.endpoint_count;
            ++removed;
            changed = true;
          } else {
            ++i;
          }
        }
        bool erase = false;
        if (changed) {
          s.markDirty(shard, &host, &path);
          erase = path.endpoints.empty() && s.deleteWhenEmptied(&path, now_ns);
        } else if (was_empty) {
          erase = s.options.empty_pool_timeout_ns <= 0 ||
                  now_ns - path.empty_since_ns > s.options.empty_pool_timeout_ns;
          if (erase) {
            s.markDirty(shard, &host, nullptr);
          }
        }
        if (erase) {
          s.erasePath(&host, p);
        } else {
          ++p;
        }
      }
      if (host.paths.empty()) {
        auto next = std::next(host_it);
        s.eraseHostIfEmpty(&map, host_it);
        host_it = next;
      } else {
        ++host_it;
      }
    }
  }
  return removed;
}

void RouteRegistry::resetTimestamps(int64_t now_ns) {
  for (const State::HostMap& map : state_->hosts) {
    for (const auto& [name, host] : map) {
      for (const State::PathState& path : host.paths) {
        for (const EndpointSharedPtr& endpoint : path.endpoints) {
          endpoint->last_seen_ns.store(now_ns, std::memory_order_relaxed);
        }
      }
    }
  }
}

bool RouteRegistry::dirty() const { return !state_->dirty_shards.empty(); }

RouteTableConstSharedPtr RouteRegistry::publish() {
  State& s = *state_;
  // Copying the table copies 4096 shard pointers; only dirty shards are then rebuilt.
  auto next = std::make_shared<RouteTable>(*s.table);
  next->generation_ = s.table->generation_ + 1;
  next->host_count_ = s.host_count;
  next->wildcard_host_count_ = s.wildcard_host_count;
  std::vector<HostRoutesConstSharedPtr> hosts;
  std::vector<HostRoutes::PathPool> pools;
  for (uint32_t shard : s.dirty_shards) {
    s.shard_dirty[shard] = false;
    State::HostMap& map = s.hosts[shard];
    if (map.empty()) {
      next->setShard(shard, nullptr);
      continue;
    }
    hosts.clear();
    hosts.reserve(map.size());
    for (auto& [name, host] : map) {
      if (host.routes == nullptr) {
        pools.clear();
        for (State::PathState& path : host.paths) {
          if (path.pool == nullptr) {
            path.pool = s.buildPool(name, path);
          }
          pools.push_back(HostRoutes::PathPool{path.path, path.pool});
        }
        host.routes = HostRoutes::create(name, std::move(pools));
        pools = {};
      }
      hosts.push_back(host.routes);
    }
    next->setShard(shard, std::make_shared<const HostShard>(std::move(hosts)));
    hosts = {};
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
      for (const State::PathState& path : host.paths) {
        uri.assign(name);
        uri.append(path.path);
        if (path.pool != nullptr) {
          visit(uri, *path.pool);
        } else {
          // Changed since the last publish: show the current state, not the stale pool.
          visit(uri, *state_->buildPool(name, path));
        }
      }
    }
  }
}

}  // namespace foundry::router
