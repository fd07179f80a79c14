// Fuzz target: route keys and route lookup (router/route/route_key.h, route_table.h,
// router/registry/route_registry.h; ROUTER-PROTOCOL.md 2).
//
// Input: lines separated by '\n'.
//   line 0: the request's Host header     line 1: the request path (may carry a query)
//   lines 2..: registered URIs (at most 16); a line starting with '-' registers the rest and
//              unregisters it again, leaving an empty pool (empty_pool_timeout is set)
// The first byte of line 0, if it is one of '0'..'7', is a flag set and not part of the host:
// bit 0 adds the fixed wildcard routes, bit 1 the fixed host with 70 context paths (which
// switches HostRoutes to its hash index), bit 2 the fixed regex routes (options.path_regex)
// beside path routes of the same hosts.
//
// Checks: parseRegisteredUri / normalizeRequestHost postconditions; then a table built by a
// real RouteRegistry from fixed routes plus the fuzzed URIs answers every lookup exactly like a
// naive reference matcher written from the spec (exact host first, deepest segment-wise
// context path with endpoints, else a matching regex route with endpoints (longest pattern
// first, std::regex as the reference engine), else the deepest empty path, else a matching
// empty regex route; then the nearest "*." parent):
// the fuzzed request, and every registered key by its own host and path.
// Inputs without registrations are looked up in a table built once per flag set (a fresh
// registry costs milliseconds under ASan, which would slow the fuzzer down a lot).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <regex>
#include <string_view>
#include <vector>

#include "router/registry/route_registry.h"
#include "router/route/route_key.h"
#include "router/route/route_table.h"

namespace {

using foundry::router::EndpointFields;
using foundry::router::normalizeRequestHost;
using foundry::router::parseRegisteredUri;
using foundry::router::PoolConstSharedPtr;
using foundry::router::RouteKey;
using foundry::router::RouteRegistry;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "route_key_fuzz: %s: [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool hasUpper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

// The reference model: host -> path -> number of endpoints.
using Model = std::map<std::string, std::map<std::string, int>>;

// Regex routes of the model: host -> its patterns, in the order the router tries them.
struct RegexRef {
  std::string pattern;
  int count;
};
using RegexModel = std::map<std::string, std::vector<RegexRef>>;

// The fixed patterns use only syntax on which RE2 and ECMAScript agree.
bool regexMatchesRef(const std::string& pattern, const std::string& path) {
  return std::regex_match(path.empty() ? std::string("/") : path,
                          std::regex(pattern, std::regex::ECMAScript | std::regex::icase));
}

// The spec's segment-wise prefix: the root matches everything, "/foo" matches "/foo" and
// "/foo/..." but not "/foobar". `request` is already lower case.
bool segmentPrefixRef(const std::string& registered, const std::string& request) {
  if (registered.empty()) return true;
  if (request.compare(0, registered.size(), registered) != 0) return false;
  return request.size() == registered.size() || request[registered.size()] == '/';
}

// Within one host: the deepest matching path with endpoints, else the deepest empty one.
const std::string* matchPathRef(const std::map<std::string, int>& paths, const std::string& request,
                                bool* has_endpoints) {
  const std::string* best_full = nullptr;
  const std::string* best_empty = nullptr;
  for (const auto& [path, count] : paths) {
    if (!segmentPrefixRef(path, request)) continue;
    const std::string** best = count > 0 ? &best_full : &best_empty;
    if (*best == nullptr || path.size() > (*best)->size()) *best = &path;
  }
  *has_endpoints = best_full != nullptr;
  return best_full != nullptr ? best_full : best_empty;
}

struct RefResult {
  bool found = false;
  std::string host;
  std::string path;
  const RegexRef* regex = nullptr;  // set when a regex route is the answer
};

// The host's first regex route matching `path` with (or, `with_endpoints` false, without)
// endpoints.
const RegexRef* matchRegexRef(const RegexModel& regexes, const std::string& host,
                              const std::string& path, bool with_endpoints) {
  auto it = regexes.find(host);
  if (it == regexes.end()) return nullptr;
  for (const RegexRef& r : it->second) {
    if ((r.count > 0) == with_endpoints && regexMatchesRef(r.pattern, path)) return &r;
  }
  return nullptr;
}

RefResult lookupRef(const Model& model, const RegexModel& regexes, const std::string& host,
                    std::string_view raw_path) {
  std::string path = lower(raw_path.substr(0, raw_path.find('?')));
  if (!path.empty() && path.back() == '/') path.pop_back();
  std::vector<std::string> candidates{host};
  for (size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1)) {
    candidates.push_back("*" + host.substr(dot));
  }
  for (const std::string& candidate : candidates) {
    auto it = model.find(candidate);
    bool has_endpoints = false;
    const std::string* p =
        it == model.end() ? nullptr : matchPathRef(it->second, path, &has_endpoints);
    if (p != nullptr && has_endpoints) return {true, candidate, *p};
    if (const RegexRef* r = matchRegexRef(regexes, candidate, path, true)) {
      return {true, candidate, "", r};
    }
    if (p != nullptr) return {true, candidate, *p};
    if (const RegexRef* r = matchRegexRef(regexes, candidate, path, false)) {
      return {true, candidate, "", r};
    }
  }
  return {};
}

std::vector<std::string_view> splitLines(std::string_view data) {
  std::vector<std::string_view> lines;
  while (true) {
    size_t nl = data.find('\n');
    lines.push_back(data.substr(0, nl));
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  return lines;
}

EndpointFields endpoint(int n) {
  EndpointFields f;
  f.host = "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
  f.port = 8080;
  return f;
}

void checkKey(std::string_view uri, const RouteKey& key) {
  if (key.host.empty()) fail("parsed key with an empty host", uri);
  if (hasUpper(key.host) || hasUpper(key.path)) fail("key not lower case", uri);
  if (key.host.find('/') != std::string::npos || key.host.find('?') != std::string::npos) {
    fail("key host holds '/' or '?'", uri);
  }
  if (!key.path.empty() && key.path[0] != '/') fail("key path does not start with '/'", uri);
  if (key.path.find('?') != std::string::npos) fail("key path holds a query", uri);
  if (lower(key.path_original_case) != key.path) fail("original-case path differs", uri);
}

// A registry with its published table and the reference model of what was registered.
struct World {
  World() : registry(options()) {}
  static RouteRegistry::Options options() {
    RouteRegistry::Options o;
    o.empty_pool_timeout_ns = int64_t{3600} * 1'000'000'000;  // keep empty pools
    return o;
  }

  // Registers `uri` for a new endpoint; `then_remove` unregisters it again (empty pool).
  void add(std::string_view uri, bool then_remove) {
    RouteKey key;
    if (!parseRegisteredUri(uri, &key)) return;
    checkKey(uri, key);
    EndpointFields f = endpoint(next_endpoint++);
    registry.registerEndpoint(key, f, 0);
    int& count = model[key.host][key.path];
    ++count;
    if (then_remove) {
      registry.unregisterEndpoint(key, f.host, f.port, 0);
      --count;
    }
  }

  // Registers a regex route of `count` endpoints (0: one, then unregistered). The fixed
  // regex routes are added longest pattern first, the order the router tries them in.
  void addRegex(const std::string& host, const std::string& pattern, int count) {
    RouteKey key;
    if (!parseRegisteredUri(host, &key)) fail("fixed regex host", host);
    key.path_regex = pattern;
    for (int i = 0; i < std::max(count, 1); ++i) {
      EndpointFields f = endpoint(next_endpoint++);
      if (registry.registerEndpoint(key, f, 0) == foundry::router::RegisterResult::Rejected) {
        fail("fixed regex refused", pattern);
      }
      if (count == 0) registry.unregisterEndpoint(key, f.host, f.port, 0);
    }
    regexes[key.host].push_back(RegexRef{pattern, count});
  }

  // The table's answer for (host, path) must be the reference's, pool size included.
  void check(const std::string& h, std::string_view p) const {
    PoolConstSharedPtr pool = table->lookup(h, p);
    RefResult want = lookupRef(model, regexes, h, p);
    if (want.found != (pool != nullptr)) {
      fail(want.found ? "lookup found nothing, reference found a route"
                      : "lookup found a route, reference found nothing",
           h + " " + std::string(p) + (pool ? " -> " + pool->host() + pool->contextPath() : ""));
    }
    if (pool == nullptr) return;
    if (want.regex != nullptr) {
      // Regex pools have no context path; the fixed ones differ in size.
      if (pool->host() != want.host || !pool->contextPath().empty() ||
          static_cast<int>(pool->endpoints().size()) != want.regex->count) {
        fail("lookup and reference disagree on a regex route",
             h + " " + std::string(p) + " (want " + want.regex->pattern + ")");
      }
      return;
    }
    if (pool->host() != want.host || lower(pool->contextPath()) != want.path) {
      fail("lookup and reference disagree", h + " " + std::string(p) + " -> " + pool->host() +
                                                pool->contextPath() + " (want " + want.host +
                                                want.path + ")");
    }
    const int count = model.at(want.host).at(want.path);
    if (static_cast<int>(pool->endpoints().size()) != count) {
      fail("pool size differs from the model", want.host + want.path);
    }
  }

  // Publishes, then looks every registered key up by its own host and path (and below it).
  void publishAndCheckKeys() {
    table = registry.publish();
    for (const auto& [h, paths] : model) {
      for (const auto& [p, count] : paths) {
        check(h, p);
        check(h, p + "/deeper?q=1");
      }
    }
  }

  RouteRegistry registry;
  foundry::router::RouteTableConstSharedPtr table;
  Model model;
  RegexModel regexes;
  int next_endpoint = 0;
};

void addFixedRoutes(World& w, int flags) {
  w.add("app.example.com", false);
  w.add("app.example.com/api", false);
  w.add("app.example.com/api/v1", false);
  w.add("app.example.com/api/v1/empty", true);
  w.add("example.com/Docs", false);
  w.add("a", false);
  if (flags & 1) {
    w.add("*.example.com", false);
    w.add("*.b.example.com/x", false);
    w.add("*.com/empty", true);
  }
  if (flags & 2) {
    for (int i = 0; i < 70; ++i) {
      w.add("many.example.com/s" + std::to_string(i), i % 7 == 3);
    }
    w.add("many.example.com/s1/deep/er", false);
    w.add("many.example.com", false);
  }
  if (flags & 4) {
    // Beside path routes (which win where they have endpoints), one empty; on a wildcard host
    // too. Sizes differ so that the check can tell the patterns apart.
    w.addRegex("re.example.com", "/items/[a-z]+(/.*)?", 3);
    w.addRegex("re.example.com", "/v[0-9]+(/.*)?", 2);
    w.addRegex("re.example.com", "/empty/.*", 0);
    w.addRegex("re.example.com", "/.*", 1);
    w.add("re.example.com/static", false);
    w.add("re.example.com/v1/gone", true);
    w.addRegex("*.re.example.com", "/api/v[0-9]+", 4);
    w.addRegex("app.example.com", "/x[0-9]+", 5);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string_view> lines =
      splitLines(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string_view request_host = lines[0];
  int flags = 0;
  if (!request_host.empty() && request_host[0] >= '0' && request_host[0] <= '7') {
    flags = request_host[0] - '0';
    request_host.remove_prefix(1);
  }
  std::string_view request_path = lines.size() > 1 ? lines[1] : std::string_view("/");
  // std::regex, the reference engine, recurses per character: keep it off long paths.
  if ((flags & 4) != 0 && request_path.size() > 512) request_path = request_path.substr(0, 512);

  // normalizeRequestHost: lower case, cut at the first ':'.
  std::string host;
  const bool host_ok = normalizeRequestHost(request_host, &host);
  if (host_ok != !host.empty()) {
    fail("normalizeRequestHost result and output disagree", request_host);
  }
  if (hasUpper(host) || host.find(':') != std::string::npos) fail("host not normalised", host);
  if (host != lower(request_host.substr(0, request_host.find(':')))) {
    fail("host is not the lower-cased part before ':'", request_host);
  }

  // Lookups only: against a table built once per flag set (fast, so the fuzzer explores
  // hosts and paths quickly). With registrations: a fresh registry for this input.
  bool registers = false;
  for (size_t i = 2; i < lines.size(); ++i) registers = registers || !lines[i].empty();
  std::unique_ptr<World> fresh;
  World* world = nullptr;
  if (!registers) {
    static std::unique_ptr<World> cached[8];
    if (!cached[flags]) {
      cached[flags] = std::make_unique<World>();
      addFixedRoutes(*cached[flags], flags);
      cached[flags]->publishAndCheckKeys();
    }
    world = cached[flags].get();
  } else {
    fresh = std::make_unique<World>();
    world = fresh.get();
    addFixedRoutes(*world, flags);
    for (size_t i = 2; i < lines.size() && i < 18; ++i) {
      std::string_view uri = lines[i];
      const bool remove = !uri.empty() && uri[0] == '-';
      if (remove) uri.remove_prefix(1);
      RouteKey key;
      const bool ok = parseRegisteredUri(uri, &key);
      // Rejected exactly when the host part (before the first '/', after cutting the query
      // and one trailing '/') is empty.
      std::string_view cut = uri.substr(0, uri.find('?'));
      if (!cut.empty() && cut.back() == '/') cut.remove_suffix(1);
      if (ok == cut.substr(0, cut.find('/')).empty()) fail("parseRegisteredUri accept/reject", uri);
      world->add(uri, remove);
    }
    world->publishAndCheckKeys();
  }
  if (host_ok) world->check(host, request_path);
  // The fuzzed path under every registered host (and a name under each wildcard).
  for (const auto& [h, paths] : world->model) {
    world->check(h, request_path);
    if (h.starts_with("*.")) world->check("x" + h.substr(1), request_path);
  }
  for (const auto& [h, patterns] : world->regexes) {
    world->check(h, request_path);
    if (h.starts_with("*.")) world->check("x" + h.substr(1), request_path);
  }
  return 0;
}
