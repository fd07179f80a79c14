#include "scheduler/bbs/task_messenger.h"

#include "common/log/log.h"
#include "scheduler/auction/cell_client.h"

namespace foundry::sched {

namespace {
constexpr int kCallbackAttempts = 3;
constexpr int kCancelAttempts = 5;

// The URL without any user:password@ (a receiver's credentials are not for the log).
std::string withoutUserinfo(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}
}  // namespace

void TaskMessenger::cancelLater(const TaskCancelOrder& order) {
  cancels_.post(std::chrono::milliseconds(0),
                [this, order] { cancelAttempt(order, kCancelAttempts); });
}

void TaskMessenger::cancelAttempt(TaskCancelOrder order, int tries_left) {
  std::string error;
  if (cancelTask(order.rep_url, order.task_guid, 5000, authorize_, &error)) {
    log::info("scheduler", "task-cancel-sent",
              {{"task_guid", order.task_guid}, {"cell_id", order.cell_id}});
    return;
  }
  log::warn("scheduler", "task-cancel-failed",
            {{"task_guid", order.task_guid},
             {"cell_id", order.cell_id},
             {"error", error},
             {"tries_left", std::to_string(tries_left - 1)}});
  if (tries_left > 1) {
    cancels_.post(std::chrono::seconds(1),
                  [this, order, tries_left] { cancelAttempt(order, tries_left - 1); });
  }
}

void TaskMessenger::callbackLater(const Task& task) {
  callbacks_.post(std::chrono::milliseconds(0), [this, task] { callbackAttempt(task, 1); });
}

void TaskMessenger::callbackAttempt(Task task, int attempt) {
  const std::string& url = task.definition.completion_callback_url;
  // nlohmann::json(task) blanks the docker password.
  const std::string body =
      nlohmann::json(task).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  net::HttpResponse r = net::sendJson("POST", url, body, 10000, authorize_);
  if (r.ok()) {
    log::info("scheduler", "task-callback-delivered",
              {{"task_guid", task.definition.task_guid}, {"status", std::to_string(r.status)}});
    if (book_) book_->callbackDone(task.definition.task_guid, true);
    return;
  }
  const bool retry = (r.status == 0 || r.status >= 500) && attempt < kCallbackAttempts;
  // The URL and the status only: neither the body (the task's environment) nor any secret.
  log::warn("scheduler", "task-callback-failed",
            {{"task_guid", task.definition.task_guid},
             {"url", withoutUserinfo(url)},
             {"status", std::to_string(r.status)},
             {"error", r.error},
             {"attempt", std::to_string(attempt)}});
  if (retry) {
    callbacks_.post(std::chrono::seconds(attempt),
                    [this, task, attempt] { callbackAttempt(task, attempt + 1); });
    return;
  }
  if (book_) book_->callbackDone(task.definition.task_guid, false);
}

}  // namespace foundry::sched
