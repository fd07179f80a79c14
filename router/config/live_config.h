#pragma once
// The settings the data plane runs with, as one immutable snapshot. main builds the first one
// from the config file at start and a new one on every accepted SIGHUP reload
// (router/server/config_reloader.h), and publishes it; each worker refreshes its reference
// between requests, and a request keeps the snapshot it started with to its end, so a reload
// never changes a setting under a request in flight.
//
// Extend it with anything else that must change together with the config file: whatever is
// built from the config (and may fail to build) belongs in buildLiveConfig(), so that a
// snapshot that cannot be built refuses the reload and the running one stays.

#include <cstdint>
#include <memory>
#include <string>

#include "router/common/snapshot_publisher.h"
#include "router/config/config.h"
#include "router/http/head_rewriter.h"
#include "router/routeservice/route_service_config.h"
#include "router/tls/client_tls.h"
#include "router/tls/server_tls.h"

namespace foundry::router {

struct LiveConfig {
  // 1 for the config read at start, one more for every reload applied.
  uint64_t generation = 0;
  // As loaded, except the keys that need a restart (reload_plan.h), which keep the values the
  // router started with.
  Config config;
  // Derived from `config` once per snapshot rather than per request.
  HeadRewriteOptions rewrite;

  // TLS built from `config` (router/tls/): a certificate that does not load refuses the reload
  // like a bad key does, and a connection keeps the contexts it was accepted or dialled with.
  // The frontend (null unless enable_ssl): certificates, SNI, client CAs, and session-ticket
  // keys carried over from the snapshot before, so tickets survive a reload.
  std::shared_ptr<const tls::ServerTls> server_tls;
  // Dialling endpoints with tls_port, and route services.
  std::shared_ptr<const tls::ClientTls> backend_tls;
  std::shared_ptr<const tls::ClientTls> route_service_tls;
  // Route services (ROUTER-PROTOCOL.md 7): signing keys derived from route_services_secret (and
  // the decrypt-only one), so rotating the secret is a reload; disabled without a secret.
  std::shared_ptr<const RouteServiceConfig> route_services;
};

using LiveConfigConstSharedPtr = std::shared_ptr<const LiveConfig>;
using LiveConfigPublisher = SnapshotPublisher<LiveConfig>;

// Builds the snapshot for `config`; `previous` is the running one (null at start). Null, with
// *error saying why, when something derived from the config cannot be built.
LiveConfigConstSharedPtr buildLiveConfig(Config config, uint64_t generation,
                                         const LiveConfig* previous, std::string* error);

}  // namespace foundry::router
