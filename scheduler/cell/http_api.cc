#include "scheduler/cell/http_api.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <cstdlib>
#include <vector>

#include "common/auth/internal_credentials.h"
#include "common/log/log.h"
#include "scheduler/cell/cell.h"

namespace foundry::cell {
namespace {

void reply(evhttp_request* req, int status, const nlohmann::json& body) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evbuffer* out = evbuffer_new();
  if (!body.is_null()) {
    std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    evbuffer_add(out, text.data(), text.size());
  }
  evhttp_send_reply(req, status, nullptr, out);
  evbuffer_free(out);
}

void replyError(evhttp_request* req, int status, const std::string& message) {
  reply(req, status, {{"error", message}});
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) {
      std::string raw = path.substr(start, slash - start);
      char* decoded = evhttp_uridecode(raw.c_str(), 0, nullptr);
      parts.push_back(decoded ? decoded : raw);
      std::free(decoded);
    }
    start = slash + 1;
  }
  return parts;
}

const char* methodName(evhttp_cmd_type method) {
  switch (method) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    default: return "OTHER";
  }
}

}  // namespace

HttpApi::HttpApi(event_base* base, Cell& cell, const auth::InternalCredentials& credentials)
    : cell_(cell), credentials_(credentials), http_(evhttp_new(base)) {
  evhttp_set_gencb(http_, &HttpApi::onRequest, this);
  evhttp_set_max_body_size(http_, 16 * 1024 * 1024);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
}

HttpApi::~HttpApi() { evhttp_free(http_); }

bool HttpApi::listen(const std::string& host, uint16_t port, std::string* error) {
  if (evhttp_bind_socket(http_, host.c_str(), port) != 0) {
    *error = "cannot listen on " + host + ":" + std::to_string(port);
    return false;
  }
  return true;
}

void HttpApi::onRequest(evhttp_request* req, void* arg) {
  static_cast<HttpApi*>(arg)->handle(req);
}

void HttpApi::handle(evhttp_request* req) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const std::string path = raw_path && *raw_path ? raw_path : "/";
  const evhttp_cmd_type method = evhttp_request_get_command(req);
  const std::vector<std::string> parts = splitPath(path);
  log::debug("cell", "request", {{"path", path}});

  if (path != "/ping") {
    const char* header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    const char* target = evhttp_request_get_uri(req);
    std::string why;
    if (!credentials_.verify(header ? header : "", methodName(method), target ? target : "",
                             &why)) {
      char* peer = nullptr;
      uint16_t peer_port = 0;
      evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &peer_port);
      // Never the header's value: `why` names the failed check only.
      log::warn("cell", "unauthorized",
                {{"method", methodName(method)}, {"path", path}, {"reason", why},
                 {"peer", std::string(peer ? peer : "") + ":" + std::to_string(peer_port)}});
      evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                        auth::InternalCredentials::kScheme);
      return replyError(req, 401, "unauthorized: " + why);
    }
  }
  if (path == "/ping") {
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
      return replyError(req, 405, "use GET");
    }
    return reply(req, 200, nlohmann::json::object());
  }
  if (path == "/state") {
    if (method != EVHTTP_REQ_GET) return replyError(req, 405, "use GET");
    return reply(req, 200, nlohmann::json(cell_.state()));
  }
  if (path == "/work") {
    if (method != EVHTTP_REQ_POST) return replyError(req, 405, "use POST");
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string body(evbuffer_get_length(in), '\0');
    if (!body.empty()) evbuffer_copyout(in, body.data(), body.size());
    sched::Work work;
    try {
      work = nlohmann::json::parse(body).get<sched::Work>();
    } catch (const std::exception& e) {
      return replyError(req, 400, std::string("invalid Work body: ") + e.what());
    }
    return reply(req, 200, nlohmann::json(cell_.work(work)));
  }
  // /v1/lrps/{process_guid}/instances/{instance_guid}/stop
  if (parts.size() == 6 && parts[0] == "v1" && parts[1] == "lrps" && parts[3] == "instances" &&
      parts[5] == "stop") {
    if (method != EVHTTP_REQ_POST) return replyError(req, 405, "use POST");
    if (!cell_.stop(parts[2], parts[4])) {
      log::info("cell", "stop-unknown-instance",
                {{"process_guid", parts[2]}, {"instance_guid", parts[4]}});
    }
    return reply(req, 202, nlohmann::json::object());
  }
  // /v1/tasks/{task_guid}/cancel
  if (parts.size() == 4 && parts[0] == "v1" && parts[1] == "tasks" && parts[3] == "cancel") {
    if (method != EVHTTP_REQ_POST) return replyError(req, 405, "use POST");
    if (!cell_.cancelTask(parts[2])) {
      log::info("cell", "cancel-unknown-task", {{"task_guid", parts[2]}});
    }
    return reply(req, 202, nlohmann::json::object());
  }
  replyError(req, 404, "no such endpoint: " + path);
}

}  // namespace foundry::cell
