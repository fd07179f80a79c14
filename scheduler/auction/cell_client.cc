#include "scheduler/auction/cell_client.h"

#include <future>

namespace foundry::sched {

namespace {

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

template <typename T>
std::optional<T> decode(const net::HttpResponse& response, std::string* error) {
  if (!response.ok()) {
    *error = response.status == 0 ? response.error
                                  : "status " + std::to_string(response.status) + ": " +
                                        response.body.substr(0, 200);
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(response.body).get<T>();
  } catch (const std::exception& e) {
    *error = std::string("bad answer: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

std::optional<CellState> fetchCellState(const std::string& rep_url, long timeout_ms,
                                        const net::Authorizer& authorize, std::string* error) {
  return decode<CellState>(net::getJson(trimSlash(rep_url) + "/state", timeout_ms, authorize),
                           error);
}

std::optional<WorkResult> postWork(const std::string& rep_url, const Work& work, long timeout_ms,
                                   const net::Authorizer& authorize, std::string* error) {
  std::string body = nlohmann::json(work).dump();
  return decode<WorkResult>(
      net::sendJson("POST", trimSlash(rep_url) + "/work", body, timeout_ms, authorize), error);
}

bool stopInstance(const std::string& rep_url, const std::string& process_guid,
                  const std::string& instance_guid, long timeout_ms,
                  const net::Authorizer& authorize, std::string* error) {
  auto response = net::sendJson(
      "POST",
      trimSlash(rep_url) + "/v1/lrps/" + process_guid + "/instances/" + instance_guid + "/stop", "",
      timeout_ms, authorize);
  if (response.ok() || response.status == 404) return true;
  *error = response.status == 0 ? response.error : "status " + std::to_string(response.status);
  return false;
}

bool cancelTask(const std::string& rep_url, const std::string& task_guid, long timeout_ms,
                const net::Authorizer& authorize, std::string* error) {
  auto response = net::sendJson("POST", trimSlash(rep_url) + "/v1/tasks/" + task_guid + "/cancel",
                                "", timeout_ms, authorize);
  if (response.ok() || response.status == 404) return true;
  *error = response.status == 0 ? response.error : "status " + std::to_string(response.status);
  return false;
}

std::vector<CellAnswer> fetchCellStates(const std::vector<CellPresence>& cells, long timeout_ms,
                                        const net::Authorizer& authorize) {
  std::vector<std::future<CellAnswer>> pending;
  for (const auto& cell : cells) {
    pending.push_back(std::async(std::launch::async, [cell, timeout_ms, &authorize] {
      CellAnswer answer{cell, std::nullopt, ""};
      answer.state = fetchCellState(cell.rep_url, timeout_ms, authorize, &answer.error);
      if (!answer.state) return answer;
      CellState& state = *answer.state;
      if (state.cell_id.empty()) state.cell_id = cell.cell_id;
      if (state.cell_id != cell.cell_id) {
        answer.error = "cell at " + cell.rep_url + " says it is " + state.cell_id;
        answer.state.reset();
        return answer;
      }
      if (state.zone.empty()) state.zone = cell.zone;
      if (state.placement_tags.empty()) state.placement_tags = cell.placement_tags;
      if (state.optional_placement_tags.empty()) {
        state.optional_placement_tags = cell.optional_placement_tags;
      }
      return answer;
    }));
  }
  std::vector<CellAnswer> out;
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

}  // namespace foundry::sched
