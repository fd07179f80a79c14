// What a SIGHUP reload may change (router/config/reload_plan.h) and how the snapshot reaches
// the workers (live_config.h, router/common/snapshot_publisher.h).

#include "router/config/reload_plan.h"

#include <gtest/gtest.h>

#include "router/config/live_config.h"

namespace foundry::router {
namespace {

Config loadPlanConfig(const std::string& yaml) {
  Config config;
  std::string error;
  EXPECT_TRUE(loadConfigString(yaml, &config, &error)) << error;
  return config;
}

TEST(ReloadPlanTest, SameConfigChangesNothing) {
  const Config running = loadPlanConfig("port: 8081\nworkers: 2\n");
  ReloadPlan plan = planReload(running, running);
  EXPECT_TRUE(plan.needs_restart.empty());
  EXPECT_FALSE(plan.listener_moved);
}

TEST(ReloadPlanTest, LiveKeysApply) {
  const Config running = loadPlanConfig("endpoint_timeout: 60s\n");
  ReloadPlan plan = planReload(running, loadPlanConfig(R"(
endpoint_timeout: 5s
frontend_idle_timeout: 30s
enable_proxy: true
backends:
  max_attempts: 1
http_rewrite:
  responses:
    add_headers_if_not_present:
    - name: X-Reloaded
      value: yes
)"));
  EXPECT_TRUE(plan.needs_restart.empty()) << joinKeys(plan.needs_restart);
  EXPECT_EQ(plan.config.endpoint_timeout_ns, 5'000'000'000);
  EXPECT_EQ(plan.config.frontend_idle_timeout_ns, 30'000'000'000);
  EXPECT_TRUE(plan.config.enable_proxy);
  EXPECT_EQ(plan.config.max_attempts, 1);
  ASSERT_EQ(plan.config.response_headers_to_add.size(), 1u);
  EXPECT_EQ(plan.config.response_headers_to_add[0].name, "X-Reloaded");
}

TEST(ReloadPlanTest, RestartOnlyKeysAreNamedAndKeepTheirRunningValues) {
  const Config running = loadPlanConfig(R"(
workers: 2
status:
  port: 8080
  pass: old-secret
nats:
  hosts:
  - hostname: 127.0.0.1
    port: 4222
droplet_stale_threshold: 120s
access_log:
  file: /tmp/a.log
)");
  ReloadPlan plan = planReload(running, loadPlanConfig(R"(
workers: 4
status:
  port: 9090
  pass: new-secret
nats:
  hosts:
  - hostname: 127.0.0.1
    port: 4223
droplet_stale_threshold: 60s
access_log:
  file: /tmp/b.log
endpoint_timeout: 7s
)"));
  EXPECT_EQ(joinKeys(plan.needs_restart),
            "workers, nats.hosts, droplet_stale_threshold, status.port, status.pass, "
            "access_log.file");
  EXPECT_EQ(plan.config.workers, 2);
  EXPECT_EQ(plan.config.status_port, 8080);
  EXPECT_EQ(plan.config.status_pass, "old-secret");
  EXPECT_EQ(plan.config.nats_hosts, running.nats_hosts);
  EXPECT_EQ(plan.config.droplet_stale_threshold_ns, running.droplet_stale_threshold_ns);
  EXPECT_EQ(plan.config.access_log_file, "/tmp/a.log");
  EXPECT_EQ(plan.config.endpoint_timeout_ns, 7'000'000'000);  // live keys still apply
  // The names never carry values (passwords among them).
  EXPECT_EQ(joinKeys(plan.needs_restart).find("secret"), std::string::npos);
}

TEST(ReloadPlanTest, ListenerMovesOnPortOrAddress) {
  const Config running = loadPlanConfig("port: 8081\nip: 127.0.0.1\n");
  EXPECT_TRUE(planReload(running, loadPlanConfig("port: 8082\nip: 127.0.0.1\n")).listener_moved);
  EXPECT_TRUE(planReload(running, loadPlanConfig("port: 8081\nip: 0.0.0.0\n")).listener_moved);
  EXPECT_FALSE(planReload(running, loadPlanConfig("port: 8081\nip: 127.0.0.1\n")).listener_moved);
}

TEST(LiveConfigTest, DerivesRewriteOptionsAndCarriesTheGeneration) {
  std::string error;
  auto live = buildLiveConfig(loadPlanConfig(R"(
force_forwarded_proto_https: true
hop_by_hop_headers_to_filter: [X-Secret]
tracing:
  enable_w3c: true
  w3c_tenant_id: t1
)"),
                              3, nullptr, &error);
  ASSERT_NE(live, nullptr) << error;
  EXPECT_EQ(live->generation, 3u);
  EXPECT_TRUE(live->rewrite.force_forwarded_proto_https);
  EXPECT_EQ(live->rewrite.hop_by_hop_headers_to_filter, std::vector<std::string>{"X-Secret"});
  EXPECT_TRUE(live->rewrite.enable_w3c);
  EXPECT_EQ(live->rewrite.w3c_tenant_id, "t1");
}

TEST(SnapshotPublisherTest, RefreshCopiesOnlyAfterAPublish) {
  std::string error;
  LiveConfigPublisher publisher(buildLiveConfig(Config{}, 1, nullptr, &error));
  uint64_t generation = ~uint64_t{0};
  LiveConfigConstSharedPtr held;
  EXPECT_TRUE(publisher.refresh(&generation, &held));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->generation, 1u);
  EXPECT_FALSE(publisher.refresh(&generation, &held));  // nothing new

  LiveConfigConstSharedPtr old = held;
  publisher.publish(buildLiveConfig(Config{}, 2, nullptr, &error));
  EXPECT_EQ(old->generation, 1u);  // a holder keeps its snapshot until it refreshes
  EXPECT_TRUE(publisher.refresh(&generation, &held));
  EXPECT_EQ(held->generation, 2u);
  EXPECT_EQ(publisher.current()->generation, 2u);
  EXPECT_EQ(old.use_count(), 1);  // the publisher let go of the old one
}

}  // namespace
}  // namespace foundry::router
