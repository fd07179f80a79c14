#include "control/logs/log_buffer.h"

#include <algorithm>
#include <chrono>

namespace foundry::control {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LogBuffer::LogBuffer(size_t per_app, size_t max_apps)
    : per_app_(std::max<size_t>(per_app, 1)), max_apps_(std::max<size_t>(max_apps, 1)) {}

void LogBuffer::append(sched::LogLine line) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = apps_.find(line.app_guid);
  if (it == apps_.end()) {
    if (apps_.size() >= max_apps_) {
      auto oldest = std::min_element(apps_.begin(), apps_.end(), [](const auto& a, const auto& b) {
        return a.second.last_seq < b.second.last_seq;
      });
      apps_.erase(oldest);
    }
    it = apps_.emplace(line.app_guid, Ring{}).first;
  }
  Ring& ring = it->second;
  ring.last_seq = ++seq_;
  ring.lines.push_back(std::move(line));
  while (ring.lines.size() > per_app_) ring.lines.pop_front();
}

std::vector<sched::LogLine> LogBuffer::read(const std::string& app_guid,
                                            const LogQuery& q) const {
  std::vector<sched::LogLine> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = apps_.find(app_guid);
    if (it == apps_.end()) return out;
    for (const auto& l : it->second.lines) {
      if (l.timestamp_ns >= q.start_time_ns && l.timestamp_ns <= q.end_time_ns) out.push_back(l);
    }
  }
  // Cells publish concurrently, so arrival order is only roughly time order.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.timestamp_ns < b.timestamp_ns;
  });
  if (q.descending) {
    std::reverse(out.begin(), out.end());
  }
  if (out.size() > q.limit) out.resize(q.limit);
  return out;
}

size_t LogBuffer::size(const std::string& app_guid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = apps_.find(app_guid);
  return it == apps_.end() ? 0 : it->second.lines.size();
}

}  // namespace foundry::control
