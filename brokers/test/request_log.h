#pragma once
// RequestLog: every OSB request the test broker received, in order (GET /admin/requests).
// Thread-safe. The Authorization header is kept as its scheme only.

#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "brokers/osb/server.h"

namespace foundry::testbroker {

class RequestLog {
 public:
  void record(const osb::RawRequest& req);
  void clear();
  // [{"method","path","query","headers":{...},"body","at"}]
  nlohmann::json toJson();

 private:
  std::mutex mu_;
  std::vector<nlohmann::json> entries_;  // guarded by mu_
};

}  // namespace foundry::testbroker
