// test-broker: an in-memory OSB 2.17 broker for tests that can be told to misbehave
// (brokers/test/admin_api.h lists the admin API).
//
//   test-broker --listen 127.0.0.1:PORT --username USER --password-file FILE [--async-polls 2]
//
// SIGINT/SIGTERM stop it.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "brokers/osb/server.h"
#include "brokers/test/admin_api.h"
#include "common/log/log.h"

namespace {
namespace log = foundry::log;
namespace osb = foundry::osb;
using foundry::testbroker::Behavior;
using foundry::testbroker::Behaviors;
using foundry::testbroker::FakeBroker;
using foundry::testbroker::RequestLog;
using foundry::testbroker::handleAdmin;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"test-broker: an in-memory OSB broker for tests"};
  std::string listen, username, password_file, level = "info";
  int async_polls = 2;
  app.add_option("--listen", listen, "HOST:PORT (loopback)")->required();
  app.add_option("--username", username, "basic auth user")->required();
  app.add_option("--password-file", password_file, "file holding the basic auth password")
      ->required();
  app.add_option("--async-polls", async_polls,
                 "last_operation polls an async operation answers \"in progress\"")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", level, "debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  log::Level lv;
  if (!log::parseLevel(level, &lv)) {
    std::fprintf(stderr, "test-broker: bad --log-level %s\n", level.c_str());
    return 2;
  }
  log::setLevel(lv);

  osb::ServerOptions options;
  options.listen = listen;
  options.username = username;
  options.log_source = "test-broker";
  std::string error;
  if (!osb::readSecretFile(password_file, &options.password, &error)) {
    std::fprintf(stderr, "test-broker: %s\n", error.c_str());
    return 2;
  }

  FakeBroker broker(async_polls);
  Behaviors behaviors;
  RequestLog requests;
  osb::ServerHooks hooks;
  hooks.observe = [&requests](const osb::RawRequest& req) { requests.record(req); };
  hooks.intercept = [&behaviors](const osb::OsbRequest& req) -> std::optional<osb::OsbResponse> {
    std::optional<Behavior> b = behaviors.take(req.endpoint);
    if (!b) return std::nullopt;
    // Runs on the request's worker thread: a long delay makes the caller time out while the
    // broker keeps serving others.
    if (b->delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(b->delay_ms));
    if (!b->status) return std::nullopt;
    osb::OsbResponse r;
    r.status = *b->status;
    r.raw_body = b->body;
    if (b->retry_after) r.headers.emplace_back("Retry-After", std::to_string(*b->retry_after));
    return r;
  };
  hooks.extra = [&](const osb::RawRequest& req) {
    return handleAdmin(req, broker, behaviors, requests);
  };
  osb::Server server(std::move(options), &broker, std::move(hooks));
  if (!server.start(&error)) {
    log::error("test-broker", "listen-failed", {{"listen", listen}, {"error", error}});
    return 1;
  }
  log::info("test-broker", "started", {{"listen", listen}});
  server.run();
  log::info("test-broker", "stopped");
  return 0;
}
