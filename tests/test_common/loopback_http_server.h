#pragma once
// LoopbackHttpServer: an evhttp server on 127.0.0.1 (a free port the kernel picks) run by its
// own EventLoopThread, for the fake peers of integration tests (a controller's blobstore, a
// callback receiver). Each request reaches `handler` on the loop thread with its method, path
// (without the query) and body read out, and the handler's reply is sent as it is.
//
//   LoopbackHttpServer server([&](const LoopbackRequest& r) {
//     return r.path == "/ping" ? LoopbackReply{200, "pong"} : LoopbackReply{404, ""};
//   });
//   net::getJson(server.url() + "/ping");
//
// An object holding one should declare it last: it is then destroyed (and its loop stopped)
// before the state its handler touches.

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "common/net/evhttp_method.h"
#include "tests/test_common/event_loop_thread.h"

namespace foundry::test {

struct LoopbackRequest {
  evhttp_request* raw = nullptr;  // for what the fields below leave out (signature checks)
  std::string method;             // "GET", "POST", ...
  std::string path;               // the request-target without its query
  std::string body;
  std::string header(const char* name) const {
    const char* value = evhttp_find_header(evhttp_request_get_input_headers(raw), name);
    return value ? value : "";
  }
};

struct LoopbackReply {
  int status = 404;
  std::string body;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<LoopbackReply(const LoopbackRequest&)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    loop_.run([this] {
      http_ = evhttp_new(loop_.base());
      evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE);
      evhttp_set_gencb(http_, &LoopbackHttpServer::onRequest, this);
      evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    });
  }
  ~LoopbackHttpServer() {
    loop_.run([this] { evhttp_free(http_); });
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  static void onRequest(evhttp_request* req, void* arg) {
    auto* self = static_cast<LoopbackHttpServer*>(arg);
    LoopbackRequest request;
    request.raw = req;
    request.method = net::evhttpMethodName(evhttp_request_get_command(req));
    const std::string uri = evhttp_request_get_uri(req);
    request.path = uri.substr(0, uri.find('?'));
    evbuffer* in = evhttp_request_get_input_buffer(req);
    request.body.resize(evbuffer_get_length(in));
    if (!request.body.empty()) evbuffer_copyout(in, request.body.data(), request.body.size());
    LoopbackReply reply = self->handler_(request);
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, reply.body.data(), reply.body.size());
    evhttp_send_reply(req, reply.status, nullptr, out);
    evbuffer_free(out);
  }

  Handler handler_;
  EventLoopThread loop_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace foundry::test
