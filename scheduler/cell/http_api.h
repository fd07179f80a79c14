#pragma once
// The cell's HTTP API (PROTOCOL.md "scheduler -> cell") on an evhttp server:
//   GET  /state                                              CellState
//   POST /work                                               {"failed":[LrpStart...]}
//   POST /v1/lrps/{process_guid}/instances/{instance_guid}/stop   202
//   GET  /ping                                               200 (open: readiness, says nothing)
// Every other call needs a FoundryInternal token for its method and request-target, signed
// with the shared internal key (common/auth/internal_credentials.h); else 401 and nothing runs.
// Every handler returns at once: instance lifecycles run on their own threads.
// Thread context: the event_base's thread.
#include <event2/event.h>
#include <event2/http.h>

#include <cstdint>
#include <string>

namespace foundry::auth {
class InternalCredentials;
}

namespace foundry::cell {

class Cell;

class HttpApi {
 public:
  // `credentials` must outlive the HttpApi.
  HttpApi(event_base* base, Cell& cell, const auth::InternalCredentials& credentials);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds host:port. False (with `error`) when it cannot.
  bool listen(const std::string& host, uint16_t port, std::string* error);

 private:
  static void onRequest(evhttp_request* req, void* arg);
  void handle(evhttp_request* req);

  Cell& cell_;
  const auth::InternalCredentials& credentials_;
  evhttp* http_;
};

}  // namespace foundry::cell
