#pragma once
// The cell's calls to the scheduler (PROTOCOL.md "cell -> scheduler"). Blocking: call from
// worker threads, never from the HTTP loop.
#include <string>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"

namespace foundry::cell {

class SchedulerClient {
 public:
  // Every call is signed with `authorize` (the scheduler refuses unsigned ones with 401).
  SchedulerClient(std::string base_url, net::Authorizer authorize);

  // PUT /v1/cells/{id}. True on 2xx.
  bool putPresence(const sched::CellPresence& presence);
  // POST /v1/actual_lrps/{what} (claim, start, crash, remove). Retries transport failures and
  // 5xx up to `attempts` times, 500 ms apart. Returns the last HTTP status (0: no answer).
  long report(const std::string& what, const sched::InstanceReport& report, int attempts = 3);
  // POST /v1/tasks/{task_guid}/complete, retried like report(). The last HTTP status.
  long completeTask(const sched::TaskCompletion& completion, int attempts = 3);

 private:
  std::string base_url_;  // without a trailing '/'
  net::Authorizer authorize_;
};

}  // namespace foundry::cell
