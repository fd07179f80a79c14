// postgres-broker: an Open Service Broker API 2.17 broker that provisions PostgreSQL databases
// (one per instance) and login roles (one per binding) on a server it is given.
//
//   postgres-broker --listen 127.0.0.1:9500 --username broker --password-file FILE
//                   --pg-host 127.0.0.1 --pg-port 5432 --pg-admin-user postgres
//                   --pg-admin-password-file FILE [--public-host HOST] [--async-delay-ms 0]
//
// Its state lives in the database `foundry_broker` on that server, so restarts lose nothing.
// SIGINT/SIGTERM stop it; async operations in flight resume at the next start.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "brokers/osb/server.h"
#include "brokers/postgres/broker.h"
#include "common/log/log.h"

namespace {

namespace log = foundry::log;
using foundry::pgbroker::Broker;
using foundry::pgbroker::BrokerConfig;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postgres-broker: OSB 2.17 broker for PostgreSQL databases"};
  std::string listen, username, password_file, pg_host = "127.0.0.1", pg_user = "postgres";
  std::string pg_password_file, public_host, level = "info";
  int pg_port = 5432, async_delay_ms = 0, wait_s = 30;
  app.add_option("--listen", listen, "HOST:PORT of the broker API (loopback)")->required();
  app.add_option("--username", username, "basic auth user the platform uses")->required();
  app.add_option("--password-file", password_file, "file holding the basic auth password")
      ->required();
  app.add_option("--pg-host", pg_host, "PostgreSQL host")->capture_default_str();
  app.add_option("--pg-port", pg_port, "PostgreSQL port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--pg-admin-user", pg_user, "PostgreSQL user that may create databases/roles")
      ->capture_default_str();
  app.add_option("--pg-admin-password-file", pg_password_file, "file holding its password")
      ->required();
  app.add_option("--public-host", public_host, "hostname in credentials (default: --pg-host)");
  app.add_option("--async-delay-ms", async_delay_ms,
                 "extra time each async operation takes (demos and tests watch it in progress)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pg-wait", wait_s, "seconds to wait for PostgreSQL at start")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", level, "debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  log::Level lv;
  if (!log::parseLevel(level, &lv)) {
    std::fprintf(stderr, "postgres-broker: bad --log-level %s\n", level.c_str());
    return 2;
  }
  log::setLevel(lv);

  foundry::osb::ServerOptions options;
  options.listen = listen;
  options.username = username;
  options.log_source = "postgres-broker";
  BrokerConfig config;
  config.admin.host = pg_host;
  config.admin.port = pg_port;
  config.admin.user = pg_user;
  config.public_host = public_host.empty() ? pg_host : public_host;
  config.async_delay = std::chrono::milliseconds(async_delay_ms);
  std::string error;
  if (!foundry::osb::readSecretFile(password_file, &options.password, &error) ||
      !foundry::osb::readSecretFile(pg_password_file, &config.admin.password, &error)) {
    std::fprintf(stderr, "postgres-broker: %s\n", error.c_str());
    return 2;
  }

  Broker broker(config);
  // PostgreSQL may still be starting next to us (demo, tests): retry for --pg-wait seconds.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  for (;;) {
    try {
      broker.start();
      break;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() >= deadline) {
        log::error("postgres-broker", "start-failed", {{"error", e.what()}});
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  foundry::osb::Server server(std::move(options), &broker);
  if (!server.start(&error)) {
    log::error("postgres-broker", "listen-failed", {{"listen", listen}, {"error", error}});
    return 1;
  }
  log::info("postgres-broker", "started",
            {{"listen", listen},
             {"pg", pg_host + ":" + std::to_string(pg_port)},
             {"async_delay_ms", std::to_string(async_delay_ms)}});
  server.run();
  log::info("postgres-broker", "stopped");
  return 0;
}
