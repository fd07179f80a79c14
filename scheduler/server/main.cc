// scheduler: Diego's BBS, auctioneer, convergence and route emitter in one daemon
// (scheduler/PROTOCOL.md, scheduler/README.md).
//
//   scheduler --secrets DIR [--listen 127.0.0.1:9023] [--nats nats://127.0.0.1:4222[,URL...]]
//             [--convergence-interval 30] [--cell-ttl 15] [--unregister-grace-ms 500]
//             [--register-interval 20] [--log-level info]
//
// Every request but GET /ping must carry a FoundryInternal token signed with the key in
// --secrets DIR (common/auth/internal_credentials.h), else 401; calls to cells are signed.
//
// Threads: the main one runs libevent + evhttp (the API; it never waits on a cell), the auction
// runner, the converger, the retirer (stop calls after the unregister grace), the emitter's
// greet and re-register threads, and nats.c's own. SIGINT/SIGTERM stop it cleanly.

#include <event2/buffer.h>
#include "common/net/evhttp_method.h"
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "common/auth/internal_credentials.h"
#include "common/log/log.h"
#include "scheduler/api/api.h"
#include "scheduler/auction/runner.h"
#include "scheduler/bbs/bbs.h"
#include "scheduler/bbs/converger.h"
#include "scheduler/bbs/memory_store.h"
#include "scheduler/bbs/task_book.h"
#include "scheduler/bbs/task_messenger.h"
#include "scheduler/emitter/route_emitter.h"

namespace {

using namespace foundry::sched;
namespace log = foundry::log;

struct Server {
  Api* api;
  const foundry::auth::InternalCredentials* credentials;
};

void reply(evhttp_request* req, const ApiResponse& resp) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evbuffer* out = evbuffer_new();
  if (!resp.body.is_null()) {
    std::string text = resp.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    evbuffer_add(out, text.data(), text.size());
  }
  evhttp_send_reply(req, resp.status, nullptr, out);
  evbuffer_free(out);
}

// GET /ping (readiness; answers {"ok":true}, nothing else) is open; everything else needs a
// valid token for exactly this method and request-target.
bool authorized(evhttp_request* req, const Server& s, const ApiRequest& r) {
  if (r.path == "/ping" && (r.method == "GET" || r.method == "HEAD")) return true;
  const char* header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
  const char* target = evhttp_request_get_uri(req);
  std::string why, caller;
  if (s.credentials->verify(header ? header : "", r.method, target ? target : "", &why, &caller)) {
    return true;
  }
  char* peer = nullptr;
  uint16_t peer_port = 0;
  evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &peer_port);
  // Never the header's value: `why` names the failed check only.
  log::warn("scheduler", "unauthorized",
            {{"method", r.method}, {"path", r.path}, {"reason", why},
             {"peer", std::string(peer ? peer : "") + ":" + std::to_string(peer_port)}});
  evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                    foundry::auth::InternalCredentials::kScheme);
  reply(req, {401, {{"error", "unauthorized: " + why}}});
  return false;
}

void onRequest(evhttp_request* req, void* arg) {
  auto* server = static_cast<Server*>(arg);
  ApiRequest r;
  r.method = foundry::net::evhttpMethodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  r.path = path && *path ? path : "/";
  r.query = query ? query : "";
  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t len = evbuffer_get_length(in);
  r.body.resize(len);
  if (len) evbuffer_copyout(in, r.body.data(), len);
  if (!authorized(req, *server, r)) return;

  ApiResponse resp;
  try {
    resp = server->api->handle(r);
  } catch (const std::exception& e) {
    resp = {500, {{"error", e.what()}}};
  }
  reply(req, resp);
  auto level = resp.status >= 400 ? log::Level::Warn : log::Level::Debug;
  if (log::enabled(level)) {
    log::write(level, "scheduler", "request",
               {{"method", r.method}, {"path", r.path}, {"status", std::to_string(resp.status)}});
  }
}

void onSignal(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scheduler: desired/actual LRP store, auctioneer, convergence and route emitter"};
  std::string listen = "127.0.0.1:9023", nats = "nats://127.0.0.1:4222", level = "info";
  std::string secrets;
  double convergence_s = 30, cell_ttl_s = 15;
  int grace_ms = 500, register_interval_s = 20;
  app.add_option("--secrets", secrets,
                 "DIR of the internal credentials shared by every platform process (required; "
                 "made 0700 with a new key when absent)");
  app.add_option("--listen", listen, "HOST:PORT of the HTTP API")->capture_default_str();
  app.add_option("--nats", nats, "NATS URL[,URL...] for the route emitter")->capture_default_str();
  app.add_option("--convergence-interval", convergence_s, "seconds between convergence passes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--cell-ttl", cell_ttl_s, "seconds after a cell's last presence it is missing")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--unregister-grace-ms", grace_ms,
                 "ms between router.unregister and asking the cell to stop the instance")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--register-interval", register_interval_s,
                 "seconds between re-registrations until a router answers with its own")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", level, "debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  log::Level lv;
  if (!log::parseLevel(level, &lv)) {
    std::fprintf(stderr, "scheduler: bad --log-level %s\n", level.c_str());
    return 2;
  }
  log::setLevel(lv);
  if (secrets.empty()) {
    std::fprintf(stderr,
                 "scheduler: --secrets DIR is required (the internal credentials the controller "
                 "and the cells share)\n%s",
                 app.help().c_str());
    return 2;
  }
  std::optional<foundry::auth::InternalCredentials> credentials;
  try {
    credentials = foundry::auth::InternalCredentials::loadOrCreate(secrets);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scheduler: %s\n", e.what());
    return 1;
  }
  size_t colon = listen.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "scheduler: --listen must be HOST:PORT\n");
    return 2;
  }
  std::string host = listen.substr(0, colon);
  std::signal(SIGPIPE, SIG_IGN);
  evthread_use_pthreads();

  auto ns = [](double seconds) { return static_cast<int64_t>(seconds * 1e9); };
  BbsConfig config;
  config.cell_ttl_ns = ns(cell_ttl_s);
  config.convergence_interval_ns = ns(convergence_s);

  std::unique_ptr<AuctionRunner> runner;
  std::unique_ptr<Bbs> bbs;
  EmitterOptions emitter_options;
  emitter_options.servers = splitCommas(nats);
  emitter_options.register_interval_s = register_interval_s;
  RouteEmitter emitter(emitter_options, [&bbs] { return bbs->allRegistrations(); });
  Retirer retirer{std::chrono::milliseconds(grace_ms), credentials->signer("scheduler")};

  BbsHooks hooks;
  hooks.auction = [&runner](std::vector<LrpStart> starts) { runner->request(std::move(starts)); };
  hooks.register_route = [&emitter](const nlohmann::json& m) { emitter.publishRegister(m); };
  hooks.unregister_route = [&emitter](const nlohmann::json& m) { emitter.publishUnregister(m); };
  hooks.stop_instance = [&retirer](const StopOrder& order) { retirer.stopLater(order); };
  bbs = std::make_unique<Bbs>(std::make_unique<MemoryStore>(), config, hooks);
  // Tasks: their own book, sharing the cells and the auction with the LRPs.
  TaskMessenger task_messenger(credentials->signer("scheduler"));
  TaskHooks task_hooks;
  task_hooks.auction = [&runner](std::vector<TaskDefinition> tasks) {
    runner->requestTasks(std::move(tasks));
  };
  task_hooks.cancel_on_cell = [&task_messenger](const TaskCancelOrder& order) {
    task_messenger.cancelLater(order);
  };
  task_hooks.callback = [&task_messenger](const Task& task) { task_messenger.callbackLater(task); };
  TaskConfig task_config;
  task_config.convergence_interval_ns = config.convergence_interval_ns;
  TaskBook task_book(task_config, task_hooks, [&bbs] { return bbs->presentCells(); });
  task_messenger.attach(&task_book);
  AuctionOptions auction_options;
  auction_options.authorize = credentials->signer("scheduler");
  runner = std::make_unique<AuctionRunner>(bbs.get(), auction_options, &task_book);
  Converger converger(bbs.get(),
                      std::chrono::milliseconds(static_cast<long>(convergence_s * 1000)),
                      credentials->signer("scheduler"), 2000, &task_book);
  Api api(bbs.get(), &task_book);
  Server server{&api, &*credentials};

  event_base* base = event_base_new();
  evhttp* http = evhttp_new(base);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                       EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(http, onRequest, &server);
  if (!evhttp_bind_socket_with_handle(http, host.c_str(), static_cast<uint16_t>(port))) {
    log::error("scheduler", "listen-failed", {{"listen", listen}});
    evhttp_free(http);
    event_base_free(base);
    return 1;
  }
  std::string error;
  if (!emitter.start(&error)) {
    log::error("scheduler", "emitter-failed", {{"error", error}});
    evhttp_free(http);
    event_base_free(base);
    return 1;
  }
  runner->start();
  converger.start();
  event* sigint = evsignal_new(base, SIGINT, onSignal, base);
  event* sigterm = evsignal_new(base, SIGTERM, onSignal, base);
  event_add(sigint, nullptr);
  event_add(sigterm, nullptr);
  log::info("scheduler", "started",
            {{"listen", listen},
             {"nats", nats},
             {"secrets", secrets},
             {"convergence_interval_s", std::to_string(convergence_s)},
             {"cell_ttl_s", std::to_string(cell_ttl_s)}});

  event_base_dispatch(base);

  log::info("scheduler", "stopping");
  converger.stop();
  runner->stop();
  retirer.shutdown();
  task_messenger.shutdown();
  emitter.stop();
  event_free(sigint);
  event_free(sigterm);
  evhttp_free(http);
  event_base_free(base);
  log::info("scheduler", "stopped");
  return 0;
}
