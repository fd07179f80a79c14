#pragma once
// What a SIGHUP reload may change. Most keys apply live: the workers read them per request
// from the published LiveConfig. The keys listed in reload_plan.cc are read only at start-up
// (threads, the control plane's registry and NATS connection, the status server, the upstream
// pools, the access log writer); a reload reports them as needing a restart and keeps their
// running values, so the published config always describes what actually runs.
//
// A new key is live unless it is added to that list: add it there when only start-up code
// reads it.

#include <string>
#include <vector>

#include "router/config/config.h"

namespace foundry::router {

struct ReloadPlan {
  // The loaded config with every restart-only key set back to its running value.
  Config config;
  // Restart-only keys whose loaded value differs (names only: never the values, which may be
  // passwords), in the order of the list.
  std::vector<std::string> needs_restart;
  // The plain data port's address (ip or port) changed: new listeners must be opened.
  bool listener_moved = false;
  // The same for the TLS port (ip or ssl_port), when enable_ssl is on.
  bool tls_listener_moved = false;
};

ReloadPlan planReload(const Config& running, Config loaded);

// "a, b, c".
std::string joinKeys(const std::vector<std::string>& keys);

}  // namespace foundry::router
