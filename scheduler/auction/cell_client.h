#pragma once
// The scheduler's calls to a cell's API (PROTOCOL.md "scheduler -> cell"), blocking, over
// net::perform; safe from any thread. None throws: failures come back as nullopt/false + error.
// Every call is signed with `authorize` (the scheduler's internal credentials, see
// common/auth/internal_credentials.h); a cell refuses unsigned calls with 401.
#include <optional>
#include <string>
#include <vector>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"

namespace foundry::sched {

std::optional<CellState> fetchCellState(const std::string& rep_url, long timeout_ms,
                                        const net::Authorizer& authorize, std::string* error);
std::optional<WorkResult> postWork(const std::string& rep_url, const Work& work, long timeout_ms,
                                   const net::Authorizer& authorize, std::string* error);
// True when the cell accepted the stop (202) or no longer has the instance (404).
bool stopInstance(const std::string& rep_url, const std::string& process_guid,
                  const std::string& instance_guid, long timeout_ms,
                  const net::Authorizer& authorize, std::string* error);

// POST /v1/tasks/{task_guid}/cancel: true when the cell accepted it (202) or does not have the
// task (404).
bool cancelTask(const std::string& rep_url, const std::string& task_guid, long timeout_ms,
                const net::Authorizer& authorize, std::string* error);

struct CellAnswer {
  CellPresence presence;
  std::optional<CellState> state;  // nullopt: no (valid) answer
  std::string error;
};

// GET /state from every cell in parallel. A cell whose state names another cell_id counts as
// not answering; zone and placement tags missing from the state are taken from the presence.
std::vector<CellAnswer> fetchCellStates(const std::vector<CellPresence>& cells, long timeout_ms,
                                        const net::Authorizer& authorize);

}  // namespace foundry::sched
