#pragma once
// App log lines from the controller's log-cache-shaped endpoint
// (GET /api/v1/read/:app_guid?start_time=NS -> {"envelopes":{"batch":[{timestamp (ns, string),
// source_id, instance_id, tags:{source_type}, log:{payload (base64), type OUT|ERR}}]}}) and
// cf's way of printing them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api/cc_client.h"

namespace foundry::cli {

struct LogLine {
  int64_t timestamp_ns = 0;
  std::string source_type;  // "APP/PROC/WEB", "STG", "RTR", "API", "CELL"
  std::string instance_id;
  std::string type;  // "OUT" | "ERR"
  std::string message;
};

// The log envelopes of a read reply, oldest first; envelopes without a `log` are skipped and
// malformed fields tolerated (empty/zero).
std::vector<LogLine> parseLogEnvelopes(const nlohmann::json& body);

// "2026-11-27T14:50:01.00+0000 [APP/PROC/WEB/0] OUT hello" (UTC, trailing newlines dropped).
std::string formatLogLine(const LogLine& line);

std::string base64Decode(std::string_view text);

// Remembers what was printed so overlapping polls print each line once: asks for lines from
// the newest timestamp seen, and drops repeats at that timestamp.
class LogCursor {
 public:
  explicit LogCursor(int64_t start_ns = 0) : start_ns_(start_ns) {}
  int64_t startTime() const { return start_ns_; }
  // The lines of `batch` not returned before, in timestamp order.
  std::vector<LogLine> fresh(std::vector<LogLine> batch);

 private:
  int64_t start_ns_;
  std::set<std::string> seen_at_start_;  // lines already returned whose timestamp == start_ns_
};

// One read of an app's logs from `start_ns` on (up to 1000 lines, oldest first), or with
// `newest` the newest 1000 (log-cache's descending read, as `cf logs --recent`), returned
// oldest first. A 404 (no log endpoint, or no logs yet) is an empty result, as cf ignores a
// missing log-cache; a server that rejects limit/descending (400) is asked with start_time only.
Result<std::vector<LogLine>> readLogs(const CcClient& log_cache, const std::string& app_guid,
                                      int64_t start_ns, bool newest = false);

// Now as nanoseconds since the epoch.
int64_t nowNanos();

}  // namespace foundry::cli
