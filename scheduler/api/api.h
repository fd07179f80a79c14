#pragma once
// The scheduler's HTTP API (PROTOCOL.md "controller -> scheduler" and "cell -> scheduler") as a
// function from request to response, independent of the HTTP server (server/main.cc feeds it
// from evhttp). Errors are {"error": "..."}: 400 unparseable JSON, 404 unknown path or LRP,
// 405 wrong method, 409 an instance the scheduler does not want, 422 invalid or immutable fields.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/bbs/bbs.h"
#include "scheduler/bbs/task_book.h"

namespace foundry::sched {

struct ApiRequest {
  std::string method;  // GET, PUT, POST, DELETE
  std::string path;    // without the query
  std::string query;   // raw, without '?'
  std::string body;
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body;  // null = no body
};

class Api {
 public:
  // `tasks` may be null: then /v1/tasks answers 404.
  explicit Api(Bbs* bbs, TaskBook* tasks = nullptr) : bbs_(bbs), tasks_(tasks) {}
  ApiResponse handle(const ApiRequest& request);

 private:
  ApiResponse putDesired(const std::string& process_guid, const std::string& body);
  ApiResponse sync(const std::string& body);
  ApiResponse putCell(const std::string& cell_id, const std::string& body);
  ApiResponse report(const std::string& what, const std::string& body);
  ApiResponse handleTasks(const ApiRequest& request, const std::vector<std::string>& parts);
  Bbs* bbs_;
  TaskBook* tasks_;
};

// The value of `key` in a URL query ("" when absent), percent-decoded.
std::string queryParam(const std::string& query, const std::string& key);

}  // namespace foundry::sched
