#include "router/config/live_config.h"

#include <utility>

namespace foundry::router {

LiveConfigConstSharedPtr buildLiveConfig(Config config, uint64_t generation, std::string* error) {
  (void)error;  // nothing derived from the config can fail to build yet
  auto live = std::make_shared<LiveConfig>();
  live->generation = generation;
  HeadRewriteOptions& rewrite = live->rewrite;
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
