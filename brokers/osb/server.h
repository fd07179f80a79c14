#pragma once
// Server: the evhttp listener of an OSB broker. For every request, in this order: basic auth
// (401), then for /v2/ paths the X-Broker-API-Version check (412), routing (404/405), the
// optional intercept hook, body/parameter validation (400) and the Handler. Other paths go to
// the optional `extra` hook (the test broker's admin API) or get 404. Every answer echoes
// X-Broker-API-Request-Identity, and errors are {"error","description"}.
//
// Threading: the libevent loop runs on the thread that calls run(); it reads requests and
// writes replies only. Each request is handled on its own worker thread (handlers may block
// on a database or sleep on purpose) and the reply is handed back to the loop. At most
// `max_in_flight` requests are handled at once; more get 503.
//
// Logs carry method, path and status only: never headers or bodies, which hold credentials.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brokers/osb/handler.h"
#include "common/auth/secret.h"

namespace foundry::osb {

struct RawRequest {
  std::string method, path, query;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
};

struct ServerHooks {
  // Every /v2/ request as received, before any check (the test broker's request log).
  std::function<void(const RawRequest&)> observe;
  // After auth, version check and routing, before validation; an answer replaces the
  // handler's. Runs on the worker thread, so it may sleep.
  std::function<std::optional<OsbResponse>(const OsbRequest&)> intercept;
  // Paths outside /v2/, after auth; nullopt means 404.
  std::function<std::optional<OsbResponse>(const RawRequest&)> extra;
};

struct ServerOptions {
  std::string listen;       // "127.0.0.1:PORT"
  std::string username;
  auth::Secret password;
  std::string log_source = "broker";
  size_t max_in_flight = 64;
  size_t max_body_bytes = 1 << 20;
};

class Server {
 public:
  Server(ServerOptions options, Handler* handler, ServerHooks hooks = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listener; false with *error on a bad address or a bind failure.
  bool start(std::string* error);
  // Serves until SIGINT or SIGTERM, then waits (up to 10 s) for handlers still running.
  void run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT" -> host and port; false when malformed or the port is not 1..65535.
bool parseListen(const std::string& listen, std::string* host, uint16_t* port);

// The first line of a file without its trailing newline (password files); false when unreadable
// or empty.
bool readSecretFile(const std::string& path, auth::Secret* out, std::string* error);

}  // namespace foundry::osb
