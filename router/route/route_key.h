#pragma once
// Route keys (ROUTER-PROTOCOL.md 1.4 and 2): a registered URI or a request's Host + path,
// normalised the way gorouter does it.

#include <string>
#include <string_view>

namespace foundry::router {

struct RouteKey {
  std::string host;  // lower case, no port, may start with "*."
  std::string path;  // lower case, "" or "/seg[/seg...]", no query, no trailing '/'
  std::string path_original_case;  // the registered case of `path` (for cookie paths, /routes)
  // options.path_regex of a regex route (route/path_regex.h), exactly as registered: case is
  // kept because it changes a pattern's meaning (\D is not \d). "" for a path route. A regex
  // route is another route than the host's path routes, keyed by (host, pattern).
  std::string path_regex;
};

// Splits a registered URI ("Host.Com/Foo/?q=1") into a key: host and path lower-cased, query
// dropped, one trailing '/' trimmed. Returns false for an empty host.
bool parseRegisteredUri(std::string_view uri, RouteKey* key);

// Lower-cases `host` and cuts it at the first ':' (gorouter's hostWithoutPort), writing into
// `out`. Returns false when the result is empty.
bool normalizeRequestHost(std::string_view host, std::string* out);

}  // namespace foundry::router
