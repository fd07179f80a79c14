#include "brokers/test/request_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <strings.h>

namespace foundry::testbroker {
namespace {

// RFC 3339 UTC with milliseconds: 2024-01-02T03:04:05.678Z.
std::string nowRfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // room for any int the compiler imagines in the fields
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

void RequestLog::record(const osb::RawRequest& req) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : req.headers) {
    bool is_auth = name.size() == 13 && strncasecmp(name.c_str(), "Authorization", 13) == 0;
    headers[name] = is_auth ? value.substr(0, value.find(' ')) + " ***" : value;
  }
  nlohmann::json entry = {{"method", req.method},
                          {"path", req.path},
                          {"query", req.query},
                          {"headers", std::move(headers)},
                          {"body", req.body},
                          {"at", nowRfc3339()}};
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(entry));
}

void RequestLog::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

nlohmann::json RequestLog::toJson() {
  std::lock_guard lock(mu_);
  return nlohmann::json(entries_);
}

}  // namespace foundry::testbroker
