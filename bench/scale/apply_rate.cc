// scale_apply: the control thread's side of registrations, in process, without NATS: how fast
// a RouteRegistry applies new routes and publishes tables as it grows, what a route costs in
// RSS, and how long a prune pass takes at the final size.
//
// Messages are the same route-emitter-like registrations scale_driver sends (host, port, one
// URI, app and instance GUIDs, SAN, AZ, the 12 tags), decoded by the router's own decoder
// before timing starts, so the rate is registry + publish only (in the router, decoding runs
// on nats.c's thread). A table is published every --batch registrations: 200 is what the
// router's 2 ms coalescing window collects at 100k msg/s.
//
// Output: markdown rows "| apply ... |" on stdout, and with --csv FILE one line per checkpoint
// "routes,apply_msgs_per_s,bytes_per_route" (no header; run-scale.sh writes it).
// Usage: scale_apply [--routes 1000000] [--batch 200] [--csv FILE]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "router/nats/registry_message.h"
#include "router/registry/route_registry.h"

namespace {

using foundry::router::decodeRegistryMessage;
using foundry::router::parseRegisteredUri;
using foundry::router::RegistryMessage;
using foundry::router::RouteKey;
using foundry::router::RouteRegistry;
using Clock = std::chrono::steady_clock;

constexpr int64_t kSecond = 1'000'000'000;

std::string message(size_t i) {
  char r[16];
  std::snprintf(r, sizeof r, "%07zu", i);
  std::string app = std::string("5c3bd0e4-8c4f-4bd9-a0a3-00000") + r;
  std::string inst = std::string("4a7b3c1e-2d5f-4e6a-8b9c-00000") + r;
  std::string proc = std::string("9e1f2a3b-4c5d-4e6f-8a9b-00000") + r;
  std::string t = "{\"host\":\"127.0.0.1\",\"port\":" + std::to_string(20000 + i % 40000);
  t += ",\"uris\":[\"s" + std::string(r) + ".scale.example.com\"]";
  t += ",\"app\":\"" + app + "\",\"private_instance_id\":\"" + inst + "\"";
  t += ",\"private_instance_index\":\"0\",\"server_cert_domain_san\":\"" + inst + "\"";
  t += ",\"availability_zone\":\"z1\",\"endpoint_updated_at_ns\":1700000000000000000";
  t += ",\"tags\":{\"component\":\"route-emitter\",\"app_id\":\"" + app + "\"";
  t += ",\"app_name\":\"app-" + std::string(r) + "\",\"instance_id\":\"0\"";
  t += ",\"organization_id\":\"1b2c3d4e-5f60-4718-9a0b-c1d2e3f40506\"";
  t += ",\"organization_name\":\"scale-org\",\"process_id\":\"" + proc + "\"";
  t += ",\"process_instance_id\":\"" + inst + "\",\"process_type\":\"web\"";
  t += ",\"source_id\":\"" + app + "\"";
  t += ",\"space_id\":\"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d\",\"space_name\":\"scale-space\"}}";
  return t;
}

long rssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10) * 1024;
    }
  }
  return 0;
}

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t routes = 1'000'000;
  size_t batch = 200;
  std::string csv;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--routes") {
      routes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (k == "--batch") {
      batch = std::max<size_t>(1, std::strtoull(argv[i + 1], nullptr, 10));
    } else if (k == "--csv") {
      csv = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  RouteRegistry::Options options;
  options.droplet_stale_threshold_ns = 120 * kSecond;
  RouteRegistry registry(options);
  std::vector<size_t> checkpoints;
  for (size_t c = 10'000; c <= routes; c *= 10) {
    checkpoints.push_back(c);
  }
  if (checkpoints.empty() || checkpoints.back() != routes) {
    checkpoints.push_back(routes);
  }
  std::FILE* csv_out = csv.empty() ? nullptr : std::fopen(csv.c_str(), "a");
  long rss0 = rssBytes();
  size_t done = 0;
  std::vector<RegistryMessage> decoded(batch);
  for (size_t checkpoint : checkpoints) {
    // Timed: the last 10 % before the checkpoint (the rate at about that table size).
    size_t timed_from = checkpoint - checkpoint / 10;
    double timed_s = 0;
    while (done < checkpoint) {
      size_t n = std::min(batch, checkpoint - done);
      for (size_t j = 0; j < n; ++j) {
        std::string error;
        if (!decodeRegistryMessage(message(done + j), &decoded[j], &error)) {
          std::fprintf(stderr, "decode: %s\n", error.c_str());
          return 1;
        }
      }
      auto t0 = Clock::now();
      for (size_t j = 0; j < n; ++j) {
        RouteKey key;
        parseRegisteredUri(decoded[j].uris[0], &key);
        // Registered at t = 10 s .. : the first 1 % are older, for the prune pass below.
        int64_t now = (done + j < routes / 100 ? 1 : 10) * kSecond;
        registry.registerEndpoint(key, decoded[j].fields, now);
      }
      registry.publish();
      if (done >= timed_from) {
        timed_s += secondsSince(t0);
      }
      done += n;
    }
    double rate = static_cast<double>(checkpoint - timed_from) / timed_s;
    double per_route = static_cast<double>(rssBytes() - rss0) / static_cast<double>(checkpoint);
    std::printf("| apply | %zu routes: new routes applied per s (last 10 %%, publish every %zu) "
                "| %.0f | in process, registry + publish; RSS %.0f bytes per route |\n",
                checkpoint, batch, rate, per_route);
    if (csv_out != nullptr) {
      std::fprintf(csv_out, "%zu,%.0f,%.0f\n", checkpoint, rate, per_route);
    }
    std::fflush(stdout);
  }
  if (csv_out != nullptr) {
    std::fclose(csv_out);
  }
  // Prune: a pass with nothing stale, then one that removes the 1 % registered earlier.
  auto t0 = Clock::now();
  size_t none = registry.pruneStale(120 * kSecond + 1);
  double idle_ms = secondsSince(t0) * 1e3;
  t0 = Clock::now();
  size_t stale = registry.pruneStale(129 * kSecond);
  double stale_ms = secondsSince(t0) * 1e3;
  // The publish that makes the removals visible (they are spread over most shards).
  t0 = Clock::now();
  registry.publish();
  double publish_ms = secondsSince(t0) * 1e3;
  std::printf("| prune | %zu routes: pass with nothing stale / pass removing %zu stale, ms "
              "| %.3f / %.1f | in process; %zu removed by the first; the publish after the "
              "second: %.1f ms |\n",
              routes, stale, idle_ms, stale_ms, none, publish_ms);
  return 0;
}
