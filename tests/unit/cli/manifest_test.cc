// Manifest parsing (every supported key, relative paths, errors) and how push flags override
// it, as cf does.
#include "cli/manifest/manifest.h"

#include <gtest/gtest.h>

namespace foundry::cli {
namespace {

const char* kFullManifest = R"(
applications:
- name: web
  path: ./app
  instances: 2
  memory: 256M
  disk_quota: 1G
  buildpacks: [nodejs_buildpack, extra]
  command: node server.js
  health-check-type: http
  health-check-http-endpoint: /health
  timeout: 90
  routes:
  - route: web.apps.internal
  - route: web.apps.internal/api
  env:
    GREETING: hello
    COUNT: 3
    ENABLED: true
  some-unknown-key: ignored
- name: worker
  buildpack: python_buildpack
  no-route: true
  health-check-type: none
)";

TEST(CliManifest, ParsesEveryKey) {
  auto manifest = parseManifest(kFullManifest, "/srv/project");
  ASSERT_TRUE(manifest) << manifest.error();
  ASSERT_EQ(manifest->applications.size(), 2u);
  const AppManifest& web = manifest->applications[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.path, "/srv/project/app");
  EXPECT_EQ(web.instances, 2);
  EXPECT_EQ(web.memory_mb, 256);
  EXPECT_EQ(web.disk_mb, 1024);
  EXPECT_EQ(web.buildpacks, (std::vector<std::string>{"nodejs_buildpack", "extra"}));
  EXPECT_EQ(web.command, "node server.js");
  EXPECT_EQ(web.health_check_type, "http");
  EXPECT_EQ(web.health_check_endpoint, "/health");
  EXPECT_EQ(web.timeout, 90);
  EXPECT_EQ(web.routes, (std::vector<std::string>{"web.apps.internal", "web.apps.internal/api"}));
  EXPECT_FALSE(web.no_route);
  EXPECT_EQ(web.env.at("GREETING"), "hello");
  EXPECT_EQ(web.env.at("COUNT"), "3");
  EXPECT_EQ(web.env.at("ENABLED"), "true");

  const AppManifest& worker = manifest->applications[1];
  EXPECT_EQ(worker.buildpacks, std::vector<std::string>{"python_buildpack"});
  EXPECT_TRUE(worker.no_route);
  EXPECT_EQ(worker.health_check_type, "process");  // cf's `none` is `process`
  EXPECT_FALSE(worker.instances.has_value());
  EXPECT_FALSE(worker.path.has_value());
}

TEST(CliManifest, ErrorsNameTheAppAndKey) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"applications:\n- name: a\n  memory: 256\n", "application 'a', memory"},
      {"applications:\n- name: a\n  disk_quota: lots\n", "disk_quota"},
      {"applications:\n- name: a\n  instances: -1\n", "instances"},
      {"applications:\n- name: a\n  instances: two\n", "instances"},
      {"applications:\n- name: a\n  timeout: 0\n", "timeout"},
      {"applications:\n- name: a\n  health-check-type: tcp\n", "health-check-type"},
      {"applications:\n- name: a\n  health-check-http-endpoint: health\n", "must start with '/'"},
      {"applications:\n- name: a\n  health-check-type: port\n  health-check-http-endpoint: /h\n",
       "needs health-check-type: http"},
      {"applications:\n- name: a\n  routes: web.apps.internal\n", "routes"},
      {"applications:\n- name: a\n  routes:\n  - host: x\n", "routes"},
      {"applications:\n- name: a\n  no-route: maybe\n", "no-route"},
      {"applications:\n- name: a\n  env: [A, B]\n", "env"},
      {"applications:\n- name: a\n  buildpacks: nodejs\n", "buildpacks"},
      {"applications:\n- instances: 1\n", "no name"},
      {"applications: {}\n", "must be a list"},
      {"name: a\n", "'applications'"},
      {"applications: [\n", "not valid YAML"},
      {"", "'applications'"},
  };
  for (const auto& c : cases) {
    auto manifest = parseManifest(c.yaml);
    ASSERT_FALSE(manifest) << c.yaml;
    EXPECT_NE(manifest.error().find(c.expected), std::string::npos)
        << c.yaml << " -> " << manifest.error();
  }
}

TEST(CliManifest, FlagsOverrideTheManifestForASingleApp) {
  auto manifest = parseManifest(kFullManifest, "/srv/project");
  ASSERT_TRUE(manifest);
  PushFlags flags;
  flags.name = "web";
  flags.instances = 5;
  flags.memory = "1G";
  flags.disk = "512M";
  flags.buildpacks = {"go_buildpack"};
  flags.command = "./run";
  flags.health_check_type = "port";
  flags.timeout = 30;
  flags.path = "/elsewhere";
  auto plan = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->size(), 1u);
  const AppManifest& app = plan->front();
  EXPECT_EQ(app.instances, 5);
  EXPECT_EQ(app.memory_mb, 1024);
  EXPECT_EQ(app.disk_mb, 512);
  EXPECT_EQ(app.buildpacks, std::vector<std::string>{"go_buildpack"});
  EXPECT_EQ(app.command, "./run");
  EXPECT_EQ(app.health_check_type, "port");
  EXPECT_FALSE(app.health_check_endpoint.has_value());  // only meaningful for http
  EXPECT_EQ(app.timeout, 30);
  EXPECT_EQ(app.path, "/elsewhere");
  // Untouched keys come from the manifest.
  EXPECT_EQ(app.env.at("GREETING"), "hello");
  EXPECT_EQ(app.routes->size(), 2u);
}

TEST(CliManifest, HostnameAndDomainFlagsReplaceManifestRoutes) {
  auto manifest = parseManifest(kFullManifest);
  ASSERT_TRUE(manifest);
  PushFlags flags;
  flags.name = "web";
  flags.hostname = "blue";
  auto plan = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->front().routes, std::vector<std::string>{"blue.apps.internal"});

  flags.hostname.reset();
  flags.domain = "other.example";
  plan = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->front().routes, std::vector<std::string>{"web.other.example"});
}

TEST(CliManifest, NoRouteAndRandomRoute) {
  PushFlags flags;
  flags.name = "solo";
  flags.no_route = true;
  auto plan = resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_TRUE(plan->front().no_route);
  EXPECT_FALSE(plan->front().routes.has_value());

  flags.hostname = "x";
  EXPECT_FALSE(resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd"));

  PushFlags random;
  random.name = "solo";
  random.random_route = true;
  plan = resolvePushPlan(std::nullopt, random, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_TRUE(plan->front().routes.has_value());
  const std::string& route = plan->front().routes->front();
  EXPECT_EQ(route.rfind("solo-", 0), 0u) << route;
  EXPECT_NE(route.find(".apps.internal"), std::string::npos) << route;
}

TEST(CliManifest, WithoutAManifestTheNameIsRequiredAndPathDefaultsToCwd) {
  PushFlags flags;
  auto plan = resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("APP_NAME"), std::string::npos);
  flags.name = "demo";
  flags.memory = "256M";
  plan = resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->front().name, "demo");
  EXPECT_EQ(plan->front().path, "/cwd");
  EXPECT_EQ(plan->front().memory_mb, 256);
}

TEST(CliManifest, MultiAppManifestRefusesFlagsUnlessANamePicksOne) {
  auto manifest = parseManifest(kFullManifest);
  ASSERT_TRUE(manifest);
  PushFlags flags;
  auto all = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->size(), 2u);

  flags.instances = 3;
  auto refused = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("multiple apps"), std::string::npos);

  flags.name = "worker";
  auto one = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_TRUE(one) << one.error();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().name, "worker");
  EXPECT_EQ(one->front().instances, 3);

  flags.name = "missing";
  auto missing = resolvePushPlan(*manifest, flags, "apps.internal", "/cwd");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("Could not find app named 'missing'"), std::string::npos);
}

TEST(CliManifest, BadFlagValuesAreUsageErrors) {
  PushFlags flags;
  flags.name = "demo";
  flags.memory = "256";
  auto plan = resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("-m"), std::string::npos);
  flags.memory.reset();
  flags.health_check_type = "tcp";
  EXPECT_FALSE(resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd"));
  flags.health_check_type.reset();
  flags.health_check_endpoint = "health";
  EXPECT_FALSE(resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd"));
  flags.health_check_endpoint.reset();
  flags.instances = -2;
  EXPECT_FALSE(resolvePushPlan(std::nullopt, flags, "apps.internal", "/cwd"));
}

TEST(CliManifest, SplitRouteUsesTheLongestMatchingDomain) {
  std::vector<std::string> domains = {"apps.internal", "internal", "example.com"};
  auto route = splitRoute("web.apps.internal/api/v1", domains);
  ASSERT_TRUE(route) << route.error();
  EXPECT_EQ(route->host, "web");
  EXPECT_EQ(route->domain, "apps.internal");
  EXPECT_EQ(route->path, "/api/v1");
  EXPECT_EQ(route->url(), "web.apps.internal/api/v1");

  route = splitRoute("a.b.example.com", domains);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "a.b");
  EXPECT_EQ(route->domain, "example.com");

  route = splitRoute("apps.internal", domains);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "");
  EXPECT_EQ(route->domain, "apps.internal");

  route = splitRoute("http://Web.Apps.Internal/", domains);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "web");
  EXPECT_EQ(route->path, "");

  EXPECT_FALSE(splitRoute("web.unknown.org", domains));
  EXPECT_FALSE(splitRoute("xapps.internal", {"apps.internal"}));
  EXPECT_FALSE(splitRoute("tcp.apps.internal:1234", domains));
}

}  // namespace
}  // namespace foundry::cli
