#pragma once
// SchedulerClient: the controller's side of scheduler/PROTOCOL.md "controller -> scheduler",
// over the blocking libcurl client (common/net/http_client.h). Every call is synchronous
// and safe from any thread; failures come back as false / nullopt with `error` set, never as
// exceptions. An empty base URL disables it (every call fails with "scheduler disabled").
// Every call is signed with `authorize` (the scheduler answers unsigned calls 401).

#include <optional>
#include <string>
#include <vector>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"
#include "scheduler/model/task.h"

namespace foundry::control::scheduling {

class SchedulerClient {
 public:
  explicit SchedulerClient(std::string base_url, net::Authorizer authorize = {},
                           long timeout_ms = 5000);

  bool enabled() const { return !base_url_.empty(); }
  const std::string& baseUrl() const { return base_url_; }

  // PUT /v1/desired_lrps/{process_guid}: 200/201 -> true.
  bool putLrp(const sched::DesiredLrp& lrp, std::string* error = nullptr) const;
  // DELETE /v1/desired_lrps/{process_guid}: 204 (also for an unknown guid) -> true.
  bool deleteLrp(const std::string& process_guid, std::string* error = nullptr) const;
  // GET /v1/desired_lrps[?app_guid=G]; "" = all of them.
  std::optional<std::vector<sched::DesiredLrp>> desiredLrps(const std::string& app_guid,
                                                            std::string* error = nullptr) const;
  // GET /v1/actual_lrps?process_guid=P with its own (short) timeout: it runs on the API loop.
  std::optional<std::vector<sched::ActualLrp>> actualLrps(const std::string& process_guid,
                                                          long timeout_ms,
                                                          std::string* error = nullptr) const;
  // PUT /v1/sync {"desired_lrps":[...]}.
  bool sync(const std::vector<sched::DesiredLrp>& lrps, std::string* error = nullptr) const;

  // POST /v1/tasks: 201, or 409 (the scheduler has it already: a retried call) -> true.
  bool desireTask(const sched::TaskDefinition& task, std::string* error = nullptr) const;
  // POST /v1/tasks/{guid}/cancel: 200, 404 (gone) or 409 (already completed) -> true.
  bool cancelTask(const std::string& task_guid, std::string* error = nullptr) const;
  // GET /v1/tasks/{guid}: the task; nullopt with *missing set on 404, or with `error` when the
  // scheduler did not answer.
  std::optional<sched::Task> task(const std::string& task_guid, bool* missing,
                                  std::string* error = nullptr) const;

 private:
  std::string base_url_;
  net::Authorizer authorize_;
  long timeout_ms_;
};

// Percent-encodes everything but unreserved characters (guids are safe; this guards the rest).
std::string urlEncode(const std::string& text);

}  // namespace foundry::control::scheduling
