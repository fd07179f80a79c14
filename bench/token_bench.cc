// Micro benchmarks of the token service's crypto (common/auth): what the controller pays per
// request to check a bearer token, cold (an RSA-2048 verification) and warm (a cache hit), per
// token issued (an RSA-2048 signature), and per password check at the default PBKDF2 cost.
//
//   build/bin/token_bench --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <string>

#include "common/auth/jwt.h"
#include "common/auth/password.h"

using namespace foundry::auth;

namespace {

constexpr int64_t kNow = 1'800'000'000;

const SigningKey& key() {
  static const SigningKey k = SigningKey::generate();
  return k;
}

// Claims shaped like a UAA password-grant access token for the cf CLI (~600 bytes of JSON).
nlohmann::json claims() {
  return {{"jti", "5b1e5c2f6a8d4f0e9c3b7a2d1e0f4c6b"},
          {"sub", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
          {"scope",
           {"openid", "routing.router_groups.write", "scim.read", "cloud_controller.admin",
            "uaa.user", "routing.router_groups.read", "cloud_controller.read", "password.write",
            "cloud_controller.write", "network.admin", "doppler.firehose", "scim.write"}},
          {"client_id", "cf"},
          {"cid", "cf"},
          {"azp", "cf"},
          {"grant_type", "password"},
          {"user_id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
          {"origin", "uaa"},
          {"user_name", "admin"},
          {"email", "admin"},
          {"iat", kNow - 60},
          {"exp", kNow + 600},
          {"iss", "https://uaa.example.com/oauth/token"},
          {"zid", "uaa"},
          {"aud", {"scim", "cloud_controller", "password", "cf", "uaa", "openid", "doppler"}}};
}

void BM_TokenSign(benchmark::State& state) {
  nlohmann::json c = claims();
  for (auto _ : state) {
    benchmark::DoNotOptimize(key().sign(c));
  }
}
BENCHMARK(BM_TokenSign)->Unit(benchmark::kMicrosecond);

// First sight of a token: a fresh verifier each time, so every iteration parses, checks the
// RSA signature and inserts into the cache.
void BM_TokenVerifyCold(benchmark::State& state) {
  std::string token = key().sign(claims());
  uint64_t checks = 0;
  for (auto _ : state) {
    TokenVerifier verifier(key());
    VerifiedToken v = verifier.verify(token, kNow);
    if (v.status != TokenStatus::Valid) state.SkipWithError("token did not verify");
    checks += verifier.signatureChecks();
  }
  state.counters["rsa_per_iter"] = double(checks) / double(state.iterations());
}
BENCHMARK(BM_TokenVerifyCold)->Unit(benchmark::kMicrosecond);

// The same token again: a hash lookup of its text and the expiry check, no RSA.
void BM_TokenVerifyWarm(benchmark::State& state) {
  std::string token = key().sign(claims());
  TokenVerifier verifier(key());
  verifier.verify(token, kNow);
  for (auto _ : state) {
    VerifiedToken v = verifier.verify(token, kNow);
    benchmark::DoNotOptimize(v.claims.get());
  }
  if (verifier.signatureChecks() != 1) state.SkipWithError("warm verify checked a signature");
  state.counters["token_bytes"] = double(token.size());
}
BENCHMARK(BM_TokenVerifyWarm);

void BM_PasswordHash(benchmark::State& state) {
  Secret password("correct horse battery staple");
  for (auto _ : state) {
    benchmark::DoNotOptimize(hashPassword(password));
  }
  state.counters["iterations_pbkdf2"] = kDefaultPbkdf2Iterations;
}
BENCHMARK(BM_PasswordHash)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
