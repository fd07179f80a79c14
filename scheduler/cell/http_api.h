#pragma once
// The cell's HTTP API (PROTOCOL.md "scheduler -> cell") on an evhttp server:
//   GET  /state                                              CellState
//   POST /work                                               {"failed":[LrpStart...]}
//   POST /v1/lrps/{process_guid}/instances/{instance_guid}/stop   202
//   GET  /ping                                               200
// Every handler returns at once: instance lifecycles run on their own threads.
// Thread context: the event_base's thread.
#include <event2/event.h>
#include <event2/http.h>

#include <cstdint>
#include <string>

namespace foundry::cell {

class Cell;

class HttpApi {
 public:
  HttpApi(event_base* base, Cell& cell);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds host:port. False (with `error`) when it cannot.
  bool listen(const std::string& host, uint16_t port, std::string* error);

 private:
  static void onRequest(evhttp_request* req, void* arg);
  void handle(evhttp_request* req);

  Cell& cell_;
  evhttp* http_;
};

}  // namespace foundry::cell
