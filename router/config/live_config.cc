#include "router/config/live_config.h"

#include <utility>

namespace foundry::router {

LiveConfigConstSharedPtr buildLiveConfig(Config config, uint64_t generation,
                                         const LiveConfig* previous, std::string* error) {
  auto live = std::make_shared<LiveConfig>();
  if (config.enable_ssl) {
    std::shared_ptr<tls::TicketKeys> tickets;
    if (previous != nullptr && previous->server_tls != nullptr) {
      tickets = previous->server_tls->tickets();
    }
    live->server_tls = tls::ServerTls::build(config, /*offer_h2=*/true, std::move(tickets), error);
    if (live->server_tls == nullptr) return nullptr;
  }
  live->backend_tls = tls::ClientTls::forBackends(config, error);
  if (live->backend_tls == nullptr) return nullptr;
  live->route_service_tls = tls::ClientTls::forRouteServices(config, error);
  if (live->route_service_tls == nullptr) return nullptr;
  live->route_services = std::make_shared<const RouteServiceConfig>(config);
  live->generation = generation;
  HeadRewriteOptions& rewrite = live->rewrite;
  rewrite.forwarded_client_cert =
      config.forwarded_client_cert == "forward"        ? XfccMode::Forward
      : config.forwarded_client_cert == "sanitize_set" ? XfccMode::SanitizeSet
                                                       : XfccMode::AlwaysForward;
  rewrite.force_forwarded_proto_https = config.force_forwarded_proto_https;
  rewrite.sanitize_forwarded_proto = config.sanitize_forwarded_proto;
  rewrite.keep_alive_100_continue_requests = config.keep_alive_100_continue_requests;
  rewrite.hop_by_hop_headers_to_filter = config.hop_by_hop_headers_to_filter;
  rewrite.enable_zipkin = config.tracing_enable_zipkin;
  rewrite.enable_w3c = config.tracing_enable_w3c;
  rewrite.w3c_tenant_id = config.tracing_w3c_tenant_id;
  live->config = std::move(config);
  return live;
}

}  // namespace foundry::router
