#include "scheduler/cell/scheduler_client.h"

#include <chrono>
#include <thread>

#include "common/log/log.h"
#include "common/net/http_client.h"

namespace foundry::cell {

SchedulerClient::SchedulerClient(std::string base_url, net::Authorizer authorize)
    : base_url_(std::move(base_url)), authorize_(std::move(authorize)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

bool SchedulerClient::putPresence(const sched::CellPresence& presence) {
  net::HttpResponse r = net::sendJson("PUT", base_url_ + "/v1/cells/" + presence.cell_id,
                                      nlohmann::json(presence).dump(), 3000, authorize_);
  return r.ok();
}

long SchedulerClient::report(const std::string& what, const sched::InstanceReport& report,
                             int attempts) {
  const std::string body =
      nlohmann::json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  net::HttpResponse r;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    r = net::sendJson("POST", base_url_ + "/v1/actual_lrps/" + what, body, 5000, authorize_);
    if (r.status != 0 && r.status < 500) break;
    if (attempt < attempts) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  log::info("cell", "reported",
            {{"what", what}, {"instance_guid", report.instance_guid},
             {"status", std::to_string(r.status)}, {"error", r.error}});
  return r.status;
}

long SchedulerClient::completeTask(const sched::TaskCompletion& completion, int attempts) {
  const std::string body =
      nlohmann::json(completion).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  net::HttpResponse r;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    r = net::sendJson("POST", base_url_ + "/v1/tasks/" + completion.task_guid + "/complete", body,
                      5000, authorize_);
    if (r.status != 0 && r.status < 500) break;
    if (attempt < attempts) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  log::info("cell", "task-reported",
            {{"task_guid", completion.task_guid},
             {"status", std::to_string(r.status)},
             {"error", r.error}});
  return r.status;
}

}  // namespace foundry::cell
