#include "brokers/osb/server.h"
#include "common/net/evhttp_method.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>

#include "brokers/osb/basic_auth.h"
#include "brokers/osb/errors.h"
#include "brokers/osb/routing.h"
#include "brokers/osb/validate.h"
#include "common/log/log.h"

namespace foundry::osb {
namespace {

constexpr auto kDrainTimeout = std::chrono::seconds(10);

std::string headerValue(const RawRequest& raw, std::string_view name, bool* present = nullptr) {
  for (const auto& [k, v] : raw.headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      if (present) *present = true;
      return v;
    }
  }
  if (present) *present = false;
  return "";
}

// Ids should be RFC 3986 unreserved characters (A.2); we also take other printable ASCII,
// but no control bytes (NUL would cut the id short in C APIs) and nothing a database would
// refuse as bad UTF-8. An empty id (none in the path) is fine.
bool validId(const std::string& id) {
  if (id.size() > 255) return false;
  for (unsigned char c : id) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

void parseQuery(const std::string& query, std::map<std::string, std::string>* out) {
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    std::string_view item = std::string_view(query).substr(
        start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = item.find('=');
    std::string key, value;
    std::string k(item.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    for (std::string* s : {&k, &v}) {
      for (char& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    // A bad escape leaves the parameter out: the checks then treat it as missing.
    if (!k.empty() && percentDecode(k, &key) && percentDecode(v, &value)) {
      out->emplace(std::move(key), std::move(value));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler* handler;
  ServerHooks hooks;
  BasicAuth auth;
  event_base* base = nullptr;
  evhttp* http = nullptr;

  std::mutex mu;
  std::condition_variable idle;
  size_t workers = 0;  // guarded by mu

  Impl(ServerOptions o, Handler* h, ServerHooks k)
      : options(std::move(o)),
        handler(h),
        hooks(std::move(k)),
        auth(options.username, options.password) {}

  // A reply computed on a worker, handed to the loop thread (evhttp is not thread-safe).
  struct Pending {
    Impl* impl;
    evhttp_request* req;
    std::string method, path, request_identity;
    OsbResponse response;
  };

  static void onRequest(evhttp_request* req, void* arg) {
    static_cast<Impl*>(arg)->accept(req);
  }

  void accept(evhttp_request* req) {
    auto raw = std::make_shared<RawRequest>();
    raw->method = foundry::net::evhttpMethodName(evhttp_request_get_command(req));
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
    const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
    raw->path = path && *path ? path : "/";
    raw->query = query ? query : "";
    evkeyvalq* in_headers = evhttp_request_get_input_headers(req);
    for (evkeyval* h = in_headers->tqh_first; h; h = h->next.tqe_next) {
      raw->headers.emplace_back(h->key, h->value);
    }
    evbuffer* in = evhttp_request_get_input_buffer(req);
    raw->body.resize(evbuffer_get_length(in));
    if (!raw->body.empty()) evbuffer_copyout(in, raw->body.data(), raw->body.size());

    std::string request_identity = headerValue(*raw, "X-Broker-API-Request-Identity");
    {
      std::lock_guard lock(mu);
      if (workers >= options.max_in_flight) {
        send(req, raw->method, raw->path, request_identity,
             errorResponse(503, "ServiceUnavailable", "too many requests in flight"));
        return;
      }
      ++workers;
    }
    auto work = [this, req, raw, request_identity] {
      OsbResponse response;
      try {
        response = handle(*raw);
      } catch (const std::exception& e) {
        log::error(options.log_source, "handler-failed",
                   {{"method", raw->method}, {"path", raw->path}, {"error", e.what()}});
        response = errorResponse(500, "InternalError", "the broker failed: see its log");
      }
      auto* pending = new Pending{this, req, raw->method, raw->path, request_identity,
                                  std::move(response)};
      timeval now{0, 0};
      if (event_base_once(base, -1, EV_TIMEOUT, &Impl::onReply, pending, &now) != 0) {
        delete pending;  // only when the loop is gone; the request dies with it
      }
      std::lock_guard lock(mu);
      --workers;
      idle.notify_all();
    };
    try {
      std::thread(std::move(work)).detach();
    } catch (const std::system_error&) {
      // Out of threads: refuse this one rather than let the exception end the process.
      {
        std::lock_guard lock(mu);
        --workers;
      }
      send(req, raw->method, raw->path, request_identity,
           errorResponse(503, "ServiceUnavailable", "cannot start a worker thread"));
    }
  }

  static void onReply(evutil_socket_t, short, void* arg) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
    p->impl->send(p->req, p->method, p->path, p->request_identity, p->response);
  }

  // Loop thread only.
  void send(evhttp_request* req, const std::string& method, const std::string& path,
            const std::string& request_identity, const OsbResponse& resp) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    if (!request_identity.empty()) {
      evhttp_add_header(headers, "X-Broker-API-Request-Identity", request_identity.c_str());
    }
    for (const auto& [k, v] : resp.headers) evhttp_add_header(headers, k.c_str(), v.c_str());
    std::string text = resp.raw_body ? *resp.raw_body
                                     : resp.body.dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, text.data(), text.size());
    evhttp_send_reply(req, resp.status, nullptr, out);
    evbuffer_free(out);
    auto level = resp.status >= 500 ? log::Level::Warn : log::Level::Info;
    if (log::enabled(level)) {
      log::write(level, options.log_source, "request",
                 {{"method", method}, {"path", path}, {"status", std::to_string(resp.status)}});
    }
  }

  // Worker thread: the checks, then the hooks or the handler.
  OsbResponse handle(const RawRequest& raw) {
    bool is_osb = raw.path.starts_with("/v2/");
    if (is_osb && hooks.observe) hooks.observe(raw);
    if (!auth.check(headerValue(raw, "Authorization"))) {
      OsbResponse r = errorResponse(401, "Unauthorized", "bad or missing basic credentials");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + options.log_source + "\"");
      return r;
    }
    if (!is_osb) {
      if (hooks.extra) {
        if (auto r = hooks.extra(raw)) return *r;
      }
      return errorResponse(404, "NotFound", "no such path");
    }
    OsbRequest req;
    bool has_version = false;
    req.api_version = headerValue(raw, "X-Broker-API-Version", &has_version);
    if (auto bad = checkApiVersion(req.api_version, has_version)) return *bad;
    RouteMiss miss;
    std::optional<Route> route = matchRoute(raw.method, raw.path, &miss);
    if (!route) {
      return miss == RouteMiss::MethodNotAllowed
                 ? errorResponse(405, "MethodNotAllowed", raw.method + " is not allowed here")
                 : errorResponse(404, "NotFound", "no such OSB endpoint");
    }
    if (!validId(route->instance_id) || !validId(route->binding_id)) {
      return errorResponse(400, "BadRequest",
                           "ids must be printable ASCII of at most 255 characters (A.2)");
    }
    req.endpoint = route->endpoint;
    req.instance_id = std::move(route->instance_id);
    req.binding_id = std::move(route->binding_id);
    req.method = raw.method;
    req.path = raw.path;
    req.query = raw.query;
    parseQuery(raw.query, &req.params);
    req.originating_identity = headerValue(raw, "X-Broker-API-Originating-Identity");
    req.request_identity = headerValue(raw, "X-Broker-API-Request-Identity");
    req.raw_body = raw.body;
    if (hooks.intercept) {
      if (auto r = hooks.intercept(req)) return *r;
    }
    if (auto bad = validateRequest(&req)) return *bad;
    return dispatch(*handler, req);
  }

  static void onSignal(evutil_socket_t, short, void* arg) {
    event_base_loopbreak(static_cast<event_base*>(arg));
  }
};

Server::Server(ServerOptions options, Handler* handler, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(options), handler, std::move(hooks))) {}

Server::~Server() {
  if (impl_->http) evhttp_free(impl_->http);
  if (impl_->base) event_base_free(impl_->base);
}

bool Server::start(std::string* error) {
  std::string host;
  uint16_t port = 0;
  if (!parseListen(impl_->options.listen, &host, &port)) {
    *error = "--listen must be HOST:PORT";
    return false;
  }
  std::signal(SIGPIPE, SIG_IGN);
  // Workers hand replies to the loop with event_base_once, which needs a locking base.
  evthread_use_pthreads();
  impl_->base = event_base_new();
  impl_->http = evhttp_new(impl_->base);
  evhttp_set_allowed_methods(impl_->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                              EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
  evhttp_set_max_body_size(impl_->http, static_cast<ev_ssize_t>(impl_->options.max_body_bytes));
  evhttp_set_gencb(impl_->http, &Impl::onRequest, impl_.get());
  if (!evhttp_bind_socket_with_handle(impl_->http, host.c_str(), port)) {
    *error = "cannot listen on " + impl_->options.listen;
    return false;
  }
  return true;
}

void Server::run() {
  event* sigint = evsignal_new(impl_->base, SIGINT, &Impl::onSignal, impl_->base);
  event* sigterm = evsignal_new(impl_->base, SIGTERM, &Impl::onSignal, impl_->base);
  event_add(sigint, nullptr);
  event_add(sigterm, nullptr);
  event_base_dispatch(impl_->base);
  event_free(sigint);
  event_free(sigterm);
  std::unique_lock lock(impl_->mu);
  if (!impl_->idle.wait_for(lock, kDrainTimeout, [this] { return impl_->workers == 0; })) {
    // A handler is stuck (e.g. on a database that stopped answering): its thread would use the
    // handler after main destroys it, so leave without running destructors.
    log::error(impl_->options.log_source, "stop-timeout",
               {{"workers", std::to_string(impl_->workers)}});
    std::_Exit(1);
  }
}

bool parseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string digits = listen.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int p = std::atoi(digits.c_str());
  if (p <= 0 || p > 65535) return false;
  *host = listen.substr(0, colon);
  *port = static_cast<uint16_t>(p);
  return true;
}

bool readSecretFile(const std::string& path, auth::Secret* out, std::string* error) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    *error = "cannot read " + path;
    return false;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty()) {
    *error = path + " is empty";
    return false;
  }
  *out = auth::Secret(std::move(line));
  return true;
}

}  // namespace foundry::osb
