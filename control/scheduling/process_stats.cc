#include "control/scheduling/process_stats.h"

#include <ctime>
#include <map>

namespace foundry::control::scheduling {

using nlohmann::json;

namespace {

std::string isoTime(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Which of two reports of one index to show: RUNNING first, then the most recent.
bool better(const sched::ActualLrp& a, const sched::ActualLrp& b) {
  bool a_running = a.state == sched::LrpState::kRunning;
  bool b_running = b.state == sched::LrpState::kRunning;
  if (a_running != b_running) return a_running;
  return a.since_ns > b.since_ns;
}

}  // namespace

json presentProcessStats(const Process& process, bool app_started,
                         const std::vector<sched::ActualLrp>& actual, int64_t now_ns) {
  std::map<int, const sched::ActualLrp*> by_index;
  if (app_started) {
    for (const auto& lrp : actual) {
      auto [it, inserted] = by_index.emplace(lrp.index, &lrp);
      if (!inserted && better(lrp, *it->second)) it->second = &lrp;
    }
  }
  json resources = json::array();
  for (int64_t i = 0; i < process.instances; ++i) {
    json item = {{"type", process.type},
                 {"index", i},
                 {"state", "DOWN"},
                 {"routable", false},
                 {"usage",
                  {{"time", isoTime(now_ns)}, {"cpu", 0}, {"mem", 0}, {"disk", 0}, {"log_rate", 0}}},
                 {"host", ""},
                 {"instance_ports", json::array()},
                 {"uptime", 0},
                 {"mem_quota", process.memory_in_mb * 1024 * 1024},
                 {"disk_quota", process.disk_in_mb * 1024 * 1024},
                 {"fds_quota", kFdsQuota},
                 {"isolation_segment", nullptr},
                 {"details", nullptr}};
    auto it = by_index.find(static_cast<int>(i));
    if (it != by_index.end()) {
      const sched::ActualLrp& lrp = *it->second;
      switch (lrp.state) {
        case sched::LrpState::kRunning:
          item["state"] = "RUNNING";
          item["routable"] = true;
          item["host"] = lrp.address;
          // Instances listen on their cell port directly: no container port mapping.
          item["instance_ports"] = json::array({{{"external", lrp.port},
                                                 {"internal", lrp.port},
                                                 {"external_tls_proxy_port", nullptr},
                                                 {"internal_tls_proxy_port", nullptr}}});
          item["uptime"] = lrp.since_ns > 0 && now_ns > lrp.since_ns
                               ? (now_ns - lrp.since_ns) / 1000000000
                               : 0;
          break;
        case sched::LrpState::kClaimed:
        case sched::LrpState::kUnclaimed:
          item["state"] = "STARTING";
          item["host"] = lrp.address;
          if (!lrp.placement_error.empty()) item["details"] = lrp.placement_error;
          break;
        case sched::LrpState::kCrashed:
          item["state"] = "CRASHED";
          if (!lrp.crash_reason.empty()) item["details"] = lrp.crash_reason;
          break;
      }
    }
    resources.push_back(std::move(item));
  }
  return {{"resources", std::move(resources)}};
}

}  // namespace foundry::control::scheduling
