// The desired LRP of a process (control/scheduling/desired_lrp_builder.h), the reconcile plan
// (reconcile_plan.h) and the stats items (process_stats.h): pure functions on plain structs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "control/scheduling/desired_lrp_builder.h"
#include "control/scheduling/process_stats.h"
#include "control/scheduling/reconcile_plan.h"
#include "control/scheduling/reconciler.h"

namespace foundry::control::scheduling {
namespace {

using nlohmann::json;

LrpInputs sampleInputs() {
  LrpInputs in;
  in.app.guid = "app-1";
  in.app.name = "demo";
  in.app.space_guid = "space-1";
  in.app.state = "STARTED";
  in.app.environment_variables = R"({"GREETING":"hi","COUNT":3,"DEBUG":true,"GONE":null})";
  in.process.guid = "proc-1";
  in.process.app_guid = "app-1";
  in.process.type = "web";
  in.process.version = "v1";
  in.process.instances = 2;
  in.process.memory_in_mb = 256;
  in.process.disk_in_mb = 512;
  in.space_name = "dev";
  in.organization_guid = "org-1";
  in.organization_name = "acme";
  in.droplet = {"drop-1", "abc123"};
  in.internal_url = "http://127.0.0.1:9022/";
  return in;
}

TEST(SchedulingBuilder, CopiesTheProcessAppAndDroplet) {
  sched::DesiredLrp lrp = buildDesiredLrp(sampleInputs());
  EXPECT_EQ(lrp.process_guid, "proc-1-v1");
  EXPECT_EQ(lrp.app_guid, "app-1");
  EXPECT_EQ(lrp.process_type, "web");
  EXPECT_EQ(lrp.app_name, "demo");
  EXPECT_EQ(lrp.space_guid, "space-1");
  EXPECT_EQ(lrp.space_name, "dev");
  EXPECT_EQ(lrp.organization_guid, "org-1");
  EXPECT_EQ(lrp.organization_name, "acme");
  EXPECT_EQ(lrp.instances, 2);
  EXPECT_EQ(lrp.memory_mb, 256);
  EXPECT_EQ(lrp.disk_mb, 512);
  EXPECT_EQ(lrp.droplet_guid, "drop-1");
  EXPECT_EQ(lrp.droplet_url, "http://127.0.0.1:9022/internal/v1/droplets/drop-1/download");
  EXPECT_EQ(lrp.droplet_sha256, "abc123");
  // The app's variables, plus VCAP_SERVICES (its bindings; none here).
  EXPECT_EQ(lrp.environment,
            (std::map<std::string, std::string>{
                {"GREETING", "hi"}, {"COUNT", "3"}, {"DEBUG", "true"}, {"VCAP_SERVICES", "{}"}}));
  EXPECT_TRUE(lrp.routes.empty());
  EXPECT_EQ(sched::validate(lrp), "");
}

TEST(SchedulingBuilder, CommandPrecedence) {
  LrpInputs in = sampleInputs();
  EXPECT_EQ(buildDesiredLrp(in).start_command, "");  // the droplet's own
  in.process.command = "node server.js";
  EXPECT_EQ(buildDesiredLrp(in).start_command, "node server.js");
}

TEST(SchedulingBuilder, HealthCheckDefaultsAndValues) {
  LrpInputs in = sampleInputs();
  sched::HealthCheck hc = buildDesiredLrp(in).health_check;
  EXPECT_EQ(hc.type, "port");
  EXPECT_EQ(hc.endpoint, "/");
  EXPECT_EQ(hc.timeout_s, 60);
  EXPECT_EQ(hc.invocation_timeout_s, 1);
  EXPECT_EQ(hc.interval_s, 30);
  in.process.health_check_type = "http";
  in.process.health_check_endpoint = "/health";
  in.process.health_check_timeout = 120;
  in.process.health_check_invocation_timeout = 5;
  in.process.health_check_interval = 10;
  hc = buildDesiredLrp(in).health_check;
  EXPECT_EQ(hc.type, "http");
  EXPECT_EQ(hc.endpoint, "/health");
  EXPECT_EQ(hc.timeout_s, 120);
  EXPECT_EQ(hc.invocation_timeout_s, 5);
  EXPECT_EQ(hc.interval_s, 10);
}

TEST(SchedulingBuilder, RouteHostnamesAndPaths) {
  LrpInputs in = sampleInputs();
  in.routes = {{"r1", "demo", "apps.internal", "", 8080},
               {"r2", "", "example.com", "/api", 9000},
               {"r3", "*", "apps.internal", "", 8080},
               {"r1", "demo", "apps.internal", "", 8080}};  // a duplicate destination
  auto routes = buildDesiredLrp(in).routes;
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0], (sched::RouteSpec{"demo.apps.internal", "", "r1", 8080}));
  EXPECT_EQ(routes[1], (sched::RouteSpec{"example.com", "/api", "r2", 9000}));
  EXPECT_EQ(routes[2].hostname, "*.apps.internal");
}

TEST(SchedulingBuilder, NewVersionIsANewProcessGuid) {
  LrpInputs in = sampleInputs();
  std::string before = buildDesiredLrp(in).process_guid;
  in.process.version = "v2";
  EXPECT_NE(buildDesiredLrp(in).process_guid, before);
  EXPECT_EQ(buildDesiredLrp(in).process_guid, "proc-1-v2");
}

TEST(SchedulingBuilder, EnvironmentToleratesBadText) {
  EXPECT_TRUE(environmentOf("not json").empty());
  EXPECT_TRUE(environmentOf("[1,2]").empty());
  EXPECT_TRUE(environmentOf("{}").empty());
}

sched::DesiredLrp lrp(const std::string& guid, int instances = 1) {
  sched::DesiredLrp l;
  l.process_guid = guid;
  l.app_guid = "app-1";
  l.instances = instances;
  return l;
}

// The words the staging task's command hands the stager, when bash runs it with `lifecycle`
// as LIFECYCLE_DIR (holding a stager that prints its arguments) and `tmpdir` as TMPDIR.
std::vector<std::string> stagerArgs(const std::string& command, const std::string& lifecycle,
                                    const std::string& tmpdir) {
  std::vector<std::string> words;
  char tmpl[] = "/tmp/staging-command-XXXXXX";
  if (!mkdtemp(tmpl)) return words;
  const std::string dir = tmpl;
  const std::string script = dir + "/command.sh";
  FILE* f = std::fopen(script.c_str(), "w");
  std::fputs(command.c_str(), f);
  std::fclose(f);
  const std::string run = "LIFECYCLE_DIR='" + lifecycle + "' TMPDIR='" + tmpdir +
                          "' bash " + script;
  FILE* p = popen(run.c_str(), "r");
  char line[4096];
  while (p && std::fgets(line, sizeof line, p)) {
    std::string w = line;
    if (!w.empty() && w.back() == '\n') w.pop_back();
    words.push_back(w);
  }
  if (p) pclose(p);
  std::filesystem::remove_all(dir);
  return words;
}

TEST(SchedulingBuilder, StagingTaskFetchesRunsTheStagerAndSendsBack) {
  StagingTask task;
  task.build_guid = "build-1";
  task.app_guid = "app-1";
  task.package_guid = "pkg-1";
  task.package_sha256 = std::string(64, 'a');
  task.buildpacks = {"nodejs", "x'; touch /tmp/pwned; '"};
  task.environment = {{"GREETING", "hi"}, {"VCAP_SERVICES", "{}"}};
  task.memory_mb = 2048;
  task.disk_mb = 4096;
  sched::TaskDefinition t = buildStagingTaskDefinition(task, sampleInputs(), 899.5);
  EXPECT_EQ(sched::validate(t), "");
  EXPECT_EQ(t.task_guid, "build-1");
  EXPECT_EQ(t.domain, "cf-app-staging");
  EXPECT_EQ(t.log_source, "STG");
  EXPECT_EQ(t.app_name, "demo");
  EXPECT_EQ(t.organization_name, "acme");
  EXPECT_EQ(t.memory_mb, 2048);
  EXPECT_EQ(t.disk_mb, 4096);
  EXPECT_TRUE(t.droplet_guid.empty() && t.docker_image.empty());
  EXPECT_EQ(t.environment.at("GREETING"), "hi");
  ASSERT_EQ(t.downloads.size(), 2u);
  EXPECT_EQ(t.downloads[0].url, "http://127.0.0.1:9022/internal/v1/packages/pkg-1/download");
  EXPECT_EQ(t.downloads[0].sha256, task.package_sha256);
  EXPECT_EQ(t.downloads[0].to, "/tmp/app");
  EXPECT_TRUE(t.downloads[0].extract && !t.downloads[0].optional);
  EXPECT_EQ(t.downloads[1].url, "http://127.0.0.1:9022/internal/v1/apps/app-1/buildpack_cache");
  EXPECT_TRUE(t.downloads[1].optional);
  ASSERT_EQ(t.uploads.size(), 2u);
  EXPECT_EQ(t.uploads[0].from, "/tmp/droplet.tgz");
  EXPECT_EQ(t.uploads[0].url, "http://127.0.0.1:9022/internal/v1/builds/build-1/droplet");
  EXPECT_FALSE(t.uploads[0].optional);
  EXPECT_EQ(t.uploads[1].url, "http://127.0.0.1:9022/internal/v1/builds/build-1/buildpack_cache");
  EXPECT_EQ(t.result_file, "/tmp/result.json");
  EXPECT_EQ(t.completion_callback_url,
            "http://127.0.0.1:9022/internal/v3/staging/build-1/build_completed");

  // The command, run by bash: in a container (/tmp is /tmp) and on a cell without one (/tmp is
  // $TMPDIR); a buildpack name reaches the stager as one word, whatever it holds.
  char tmpl[] = "/tmp/lifecycle-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string lifecycle = tmpl;
  {
    FILE* f = std::fopen((lifecycle + "/stager").c_str(), "w");
    std::fputs("#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\"\n", f);
    std::fclose(f);
    chmod((lifecycle + "/stager").c_str(), 0755);
  }
  auto host = stagerArgs(t.command, lifecycle, "/sandbox/tmp");
  const std::vector<std::string> expected_host = {
      lifecycle + "/stager", "--app", "/sandbox/tmp/app", "--droplet",
      "/sandbox/tmp/droplet.tgz", "--cache", "/sandbox/tmp/cache", "--output-cache",
      "/sandbox/tmp/output-cache.tgz", "--result", "/sandbox/tmp/result.json",
      "--system-buildpacks", lifecycle + "/buildpacks", "--timeout", "900", "--stack",
      "cflinuxfs4", "-b", "nodejs", "-b", "x'; touch /tmp/pwned; '"};
  EXPECT_EQ(host, expected_host);
  std::filesystem::remove_all(lifecycle);
  EXPECT_FALSE(std::filesystem::exists("/tmp/pwned"));
}

TEST(SchedulingPlan, PutsNewDeletesStaleKeepsImmutableFields) {
  sched::DesiredLrp stored = lrp("p-v1", 1);
  stored.app_name = "old-name";
  sched::DesiredLrp wanted = lrp("p-v1", 3);
  wanted.app_name = "new-name";  // immutable: waits for a restart
  wanted.routes = {{"demo.apps.internal", "", "r1", 8080}};
  ReconcilePlan plan = planReconcile({stored, lrp("q-v1")}, {wanted, lrp("r-v1")}, false);
  EXPECT_TRUE(plan.delete_first.empty());
  ASSERT_EQ(plan.put.size(), 2u);
  EXPECT_EQ(plan.put[0].process_guid, "p-v1");
  EXPECT_EQ(plan.put[0].instances, 3);
  EXPECT_EQ(plan.put[0].routes, wanted.routes);
  EXPECT_EQ(plan.put[0].app_name, "old-name");
  EXPECT_EQ(plan.put[1].process_guid, "r-v1");
  EXPECT_EQ(plan.delete_after, std::vector<std::string>{"q-v1"});
}

TEST(SchedulingPlan, UnchangedLrpIsNotPutAgain) {
  ReconcilePlan plan = planReconcile({lrp("p-v1", 2)}, {lrp("p-v1", 2)}, false);
  EXPECT_TRUE(plan.put.empty());
  EXPECT_TRUE(plan.delete_after.empty());
}

TEST(SchedulingPlan, StoppedAppDeletesEverything) {
  ReconcilePlan plan = planReconcile({lrp("p-v1"), lrp("w-v1")}, {}, false);
  EXPECT_TRUE(plan.put.empty());
  EXPECT_EQ(plan.delete_after, (std::vector<std::string>{"p-v1", "w-v1"}));
}

TEST(SchedulingPlan, RestartDeletesThenPutsWhole) {
  sched::DesiredLrp stored = lrp("p-v1", 1);
  stored.memory_mb = 128;
  sched::DesiredLrp wanted = lrp("p-v1", 1);
  wanted.memory_mb = 512;
  ReconcilePlan plan = planReconcile({stored}, {wanted}, true);
  EXPECT_EQ(plan.delete_first, std::vector<std::string>{"p-v1"});
  ASSERT_EQ(plan.put.size(), 1u);
  EXPECT_EQ(plan.put[0].memory_mb, 512);
  EXPECT_TRUE(plan.delete_after.empty());
}

TEST(SchedulingPlan, SyncMergesWhatTheSchedulerHas) {
  sched::DesiredLrp stored = lrp("p-v1", 1);
  stored.memory_mb = 128;
  sched::DesiredLrp wanted = lrp("p-v1", 4);
  wanted.memory_mb = 512;
  auto body = mergeForSync({stored, lrp("gone-v1")}, {wanted, lrp("new-v1")});
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0].instances, 4);
  EXPECT_EQ(body[0].memory_mb, 128);
  EXPECT_EQ(body[1].process_guid, "new-v1");
}

constexpr int64_t kSecond = 1000000000;

TEST(SchedulingStats, MapsActualStatesPerIndex) {
  Process p;
  p.type = "web";
  p.instances = 4;
  p.memory_in_mb = 256;
  p.disk_in_mb = 1024;
  std::vector<sched::ActualLrp> actual(4);
  actual[0].index = 0;
  actual[0].state = sched::LrpState::kRunning;
  actual[0].address = "127.0.0.1";
  actual[0].port = 61000;
  actual[0].since_ns = 100 * kSecond;
  actual[1].index = 1;
  actual[1].state = sched::LrpState::kUnclaimed;
  actual[1].placement_error = "insufficient resources: memory";
  actual[2].index = 2;
  actual[2].state = sched::LrpState::kCrashed;
  actual[2].crash_reason = "APP/PROC/WEB: Exited with status 1";
  actual[3].index = 7;  // beyond instances: ignored
  json stats = presentProcessStats(p, true, actual, 142 * kSecond);
  const json& items = stats.at("resources");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]["state"], "RUNNING");
  EXPECT_EQ(items[0]["routable"], true);
  EXPECT_EQ(items[0]["host"], "127.0.0.1");
  EXPECT_EQ(items[0]["uptime"], 42);
  EXPECT_EQ(items[0]["instance_ports"],
            json::parse(R"([{"external":61000,"internal":61000,"external_tls_proxy_port":null,"internal_tls_proxy_port":null}])"));
  EXPECT_EQ(items[0]["mem_quota"], 256LL * 1024 * 1024);
  EXPECT_EQ(items[0]["disk_quota"], 1024LL * 1024 * 1024);
  EXPECT_EQ(items[0]["fds_quota"], 16384);
  EXPECT_TRUE(items[0]["isolation_segment"].is_null());
  EXPECT_TRUE(items[0]["details"].is_null());
  for (const char* key : {"time", "cpu", "mem", "disk", "log_rate"}) {
    EXPECT_TRUE(items[0]["usage"].contains(key)) << key;
  }
  EXPECT_EQ(items[1]["state"], "STARTING");
  EXPECT_EQ(items[1]["details"], "insufficient resources: memory");
  EXPECT_EQ(items[2]["state"], "CRASHED");
  EXPECT_EQ(items[2]["details"], "APP/PROC/WEB: Exited with status 1");
  EXPECT_EQ(items[3]["state"], "DOWN");
  EXPECT_EQ(items[3]["index"], 3);
  EXPECT_EQ(items[3]["type"], "web");
}

TEST(SchedulingStats, RunningWinsOverAStaleReportOfTheSameIndex) {
  Process p;
  p.instances = 1;
  std::vector<sched::ActualLrp> actual(2);
  actual[0].state = sched::LrpState::kRunning;
  actual[0].since_ns = 1;
  actual[1].state = sched::LrpState::kCrashed;
  actual[1].since_ns = 5;
  EXPECT_EQ(presentProcessStats(p, true, actual, 10)["resources"][0]["state"], "RUNNING");
}

TEST(SchedulingStats, StoppedAppIsAllDown) {
  Process p;
  p.instances = 2;
  std::vector<sched::ActualLrp> actual(1);
  actual[0].state = sched::LrpState::kRunning;
  json items = presentProcessStats(p, false, actual, 10)["resources"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["state"], "DOWN");
  EXPECT_EQ(items[1]["state"], "DOWN");
}

}  // namespace
}  // namespace foundry::control::scheduling

namespace foundry::control::scheduling {
namespace {

// A stop and a start that meet in the reconciler's queue are a restart, never nothing.
TEST(ReconcilerQueue, StopThenStartBecomesARestart) {
  sched::DesiredLrp lrp;
  lrp.process_guid = "p-1";
  AppDesiredState stop{"app", {}, false};
  AppDesiredState start{"app", {lrp}, false};
  EXPECT_TRUE(mergeQueued(stop, start).restart);
  EXPECT_EQ(mergeQueued(stop, start).lrps.size(), 1u);
  EXPECT_FALSE(mergeQueued(start, start).restart) << "a scale is not a restart";
  AppDesiredState restart{"app", {lrp}, true};
  EXPECT_TRUE(mergeQueued(restart, start).restart) << "a queued restart is kept";
  EXPECT_FALSE(mergeQueued(start, stop).restart) << "stopping needs no restart";
}

}  // namespace
}  // namespace foundry::control::scheduling
