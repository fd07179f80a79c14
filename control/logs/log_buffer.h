#pragma once
// LogBuffer: the recent log lines of every app (log-cache's role, PROTOCOL.md "Logs"): a ring
// of the last `per_app` LogLines per app, fed by staging (STG lines) and by the cells over
// NATS (logs.<app_guid>), read by GET /api/v1/read/<app_guid>.
//
// Thread context: thread-safe (nats.c threads and staging workers append, the event loop
// reads); one mutex, held only to copy lines in or out.

#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/model/lrp.h"

namespace foundry::control {

struct LogQuery {
  int64_t start_time_ns = 0;                                 // inclusive
  int64_t end_time_ns = std::numeric_limits<int64_t>::max();  // inclusive
  size_t limit = 100;
  bool descending = false;  // true: the newest `limit` lines, newest first
};

class LogBuffer {
 public:
  // `max_apps`: when a new app would exceed it, the app whose last line is oldest is dropped.
  explicit LogBuffer(size_t per_app = 2000, size_t max_apps = 10000);

  void append(sched::LogLine line);
  // The app's lines with start <= timestamp <= end, ordered by timestamp (arrival order for
  // equal timestamps), at most `limit`.
  std::vector<sched::LogLine> read(const std::string& app_guid, const LogQuery& query) const;
  size_t size(const std::string& app_guid) const;

 private:
  struct Ring {
    std::deque<sched::LogLine> lines;
    uint64_t last_seq = 0;
  };
  const size_t per_app_;
  const size_t max_apps_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Ring> apps_;
  uint64_t seq_ = 0;
};

// Nanoseconds since the Unix epoch, now.
int64_t nowNs();

}  // namespace foundry::control
