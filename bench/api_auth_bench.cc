// What authentication costs the controller's API: GET /v3/apps over 1,000 apps answered
// through Api::handle with a bearer token (verified, then cached) against the same request
// with the caller already known (Api::handleAs: no token at all), for an admin (global read)
// and for a space developer (the list scoped to their spaces in the query); and a warm
// authenticate() alone. The cold (RSA) verification is in token_bench.
//
//   build/bin/api_auth_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "common/auth/jwt.h"
#include "control/api/api.h"
#include "control/auth/token_service.h"
#include "control/store/sqlite_store.h"

using namespace foundry;
using namespace foundry::control;

namespace {

struct World {
  std::string dir;
  std::unique_ptr<SqliteStore> store;
  auth::SigningKey key = auth::SigningKey::generate();
  std::unique_ptr<TokenService> tokens;
  std::unique_ptr<Api> api;
  std::string admin_bearer, dev_bearer;
  Identity admin_id, dev_id;

  World() {
    char tmpl[] = "/tmp/api-auth-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    store = std::make_unique<SqliteStore>(dir + "/controller.db");
    api = std::make_unique<Api>(*store, ApiConfig{});
    api->bootstrap();
    TokenServiceConfig config;
    config.password_iterations = 1000;
    tokens = std::make_unique<TokenService>(*store, key, config);
    tokens->bootstrapAdmin(auth::Secret("pw"));
    api->useTokenService(tokens.get());
    const int64_t now = std::time(nullptr);
    admin_bearer = "bearer " + tokens->passwordGrant("admin", auth::Secret("pw"), now).access_token;
    User dev = tokens->createUser("dev", auth::Secret("pw"));
    const std::string space = api->defaultSpaceGuid();
    const std::string org = store->getSpace(space)->organization_guid;
    store->createRole({newGuid(), "organization_user", dev.guid, org, std::nullopt, "t", "t"});
    store->createRole({newGuid(), "space_developer", dev.guid, std::nullopt, space, "t", "t"});
    dev_bearer = "bearer " + tokens->passwordGrant("dev", auth::Secret("pw"), now).access_token;
    admin_id = tokens->authenticate(admin_bearer, now);
    dev_id = tokens->authenticate(dev_bearer, now);
    // 1,000 apps in the default space.
    for (int i = 0; i < 1000; ++i) {
      ApiRequest r{"POST", "/v3/apps", "",
                   nlohmann::json{{"name", "app-" + std::to_string(i)},
                                  {"relationships", {{"space", {{"data", {{"guid", space}}}}}}}}
                       .dump(),
                   "http://bench", "application/json", admin_bearer, ""};
      api->handle(r);
    }
  }
  ~World() { std::filesystem::remove_all(dir); }
};

World& world() {
  static World w;
  return w;
}

ApiRequest listApps(const std::string& bearer) {
  return {"GET", "/v3/apps", "per_page=50", "", "http://bench", "", bearer, ""};
}

void BM_ListApps_TokenAdmin(benchmark::State& state) {
  auto& w = world();
  auto r = listApps(w.admin_bearer);
  for (auto _ : state) benchmark::DoNotOptimize(w.api->handle(r));
}
BENCHMARK(BM_ListApps_TokenAdmin);

void BM_ListApps_NoTokenAdmin(benchmark::State& state) {
  auto& w = world();
  auto r = listApps("");
  for (auto _ : state) benchmark::DoNotOptimize(w.api->handleAs(r, w.admin_id));
}
BENCHMARK(BM_ListApps_NoTokenAdmin);

void BM_ListApps_TokenDeveloper(benchmark::State& state) {
  auto& w = world();
  auto r = listApps(w.dev_bearer);
  for (auto _ : state) benchmark::DoNotOptimize(w.api->handle(r));
}
BENCHMARK(BM_ListApps_TokenDeveloper);

void BM_ListApps_NoTokenDeveloper(benchmark::State& state) {
  auto& w = world();
  auto r = listApps("");
  for (auto _ : state) benchmark::DoNotOptimize(w.api->handleAs(r, w.dev_id));
}
BENCHMARK(BM_ListApps_NoTokenDeveloper);

void BM_AuthenticateWarmToken(benchmark::State& state) {
  auto& w = world();
  const int64_t now = std::time(nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(w.tokens->authenticate(w.dev_bearer, now));
}
BENCHMARK(BM_AuthenticateWarmToken);

}  // namespace

BENCHMARK_MAIN();
