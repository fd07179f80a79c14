#pragma once
// Publishes instance log lines as LogLine JSON on NATS subject logs.<app_guid> (PROTOCOL.md
// "cell -> controller"). Without a NATS URL it does nothing (the lines still go to files). The
// connection retries in the background when the server is down; lines sent meanwhile are
// dropped, as loggregator drops under pressure. Thread-safe.
#include <string>

#include "scheduler/model/lrp.h"

struct __natsConnection;

namespace foundry::cell {

class LogEmitter {
 public:
  explicit LogEmitter(const std::string& nats_url);  // "" = no NATS
  ~LogEmitter();
  LogEmitter(const LogEmitter&) = delete;
  LogEmitter& operator=(const LogEmitter&) = delete;

  void emit(const sched::LogLine& line);

 private:
  __natsConnection* conn_ = nullptr;
};

// "APP/PROC/WEB" for process type "web".
std::string appSourceType(const std::string& process_type);
int64_t nowNs();

}  // namespace foundry::cell
