#include "control/scheduling/scheduler_client.h"

#include <cctype>
#include <cstdio>

namespace foundry::control::scheduling {

using nlohmann::json;

namespace {

// Stores `message` when asked to; false, so a failing call can `return setError(...)`.
bool setError(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

bool failed(const net::HttpResponse& r, std::string* error) {
  if (r.ok()) return false;
  if (error) {
    *error = r.status == 0 ? r.error
                           : "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
  }
  return true;
}

}  // namespace

std::string urlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

SchedulerClient::SchedulerClient(std::string base_url, net::Authorizer authorize, long timeout_ms)
    : base_url_(std::move(base_url)), authorize_(std::move(authorize)), timeout_ms_(timeout_ms) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

bool SchedulerClient::putLrp(const sched::DesiredLrp& lrp, std::string* error) const {
  if (!enabled()) return setError(error, "scheduler disabled");
  auto r = net::sendJson("PUT", base_url_ + "/v1/desired_lrps/" + urlEncode(lrp.process_guid),
                         json(lrp).dump(), timeout_ms_, authorize_);
  return !failed(r, error);
}

bool SchedulerClient::deleteLrp(const std::string& process_guid, std::string* error) const {
  if (!enabled()) return setError(error, "scheduler disabled");
  net::HttpRequest req;
  req.method = "DELETE";
  req.url = base_url_ + "/v1/desired_lrps/" + urlEncode(process_guid);
  req.timeout_ms = timeout_ms_;
  req.authorize = authorize_;
  auto r = net::perform(req);
  return !failed(r, error);
}

std::optional<std::vector<sched::DesiredLrp>> SchedulerClient::desiredLrps(
    const std::string& app_guid, std::string* error) const {
  if (!enabled()) {
    setError(error, "scheduler disabled");
    return std::nullopt;
  }
  std::string url = base_url_ + "/v1/desired_lrps";
  if (!app_guid.empty()) url += "?app_guid=" + urlEncode(app_guid);
  auto r = net::getJson(url, timeout_ms_, authorize_);
  if (failed(r, error)) return std::nullopt;
  try {
    return json::parse(r.body).at("desired_lrps").get<std::vector<sched::DesiredLrp>>();
  } catch (const std::exception& e) {
    if (error) *error = std::string("bad desired_lrps answer: ") + e.what();
    return std::nullopt;
  }
}

std::optional<std::vector<sched::ActualLrp>> SchedulerClient::actualLrps(
    const std::string& process_guid, long timeout_ms, std::string* error) const {
  if (!enabled()) {
    setError(error, "scheduler disabled");
    return std::nullopt;
  }
  net::HttpRequest req;
  req.url = base_url_ + "/v1/actual_lrps?process_guid=" + urlEncode(process_guid);
  req.timeout_ms = timeout_ms;
  req.connect_timeout_ms = timeout_ms;
  req.authorize = authorize_;
  auto r = net::perform(req);
  if (failed(r, error)) return std::nullopt;
  try {
    return json::parse(r.body).at("actual_lrps").get<std::vector<sched::ActualLrp>>();
  } catch (const std::exception& e) {
    if (error) *error = std::string("bad actual_lrps answer: ") + e.what();
    return std::nullopt;
  }
}

bool SchedulerClient::sync(const std::vector<sched::DesiredLrp>& lrps, std::string* error) const {
  if (!enabled()) return setError(error, "scheduler disabled");
  auto r = net::sendJson("PUT", base_url_ + "/v1/sync", json{{"desired_lrps", lrps}}.dump(),
                         timeout_ms_, authorize_);
  return !failed(r, error);
}

bool SchedulerClient::desireTask(const sched::TaskDefinition& task, std::string* error) const {
  if (!enabled()) return setError(error, "scheduler disabled");
  auto r = net::sendJson("POST", base_url_ + "/v1/tasks", json(task).dump(), timeout_ms_,
                         authorize_);
  if (r.status == 409) return true;
  return !failed(r, error);
}

bool SchedulerClient::cancelTask(const std::string& task_guid, std::string* error) const {
  if (!enabled()) return setError(error, "scheduler disabled");
  auto r = net::sendJson("POST", base_url_ + "/v1/tasks/" + urlEncode(task_guid) + "/cancel",
                         "{}", timeout_ms_, authorize_);
  if (r.status == 404 || r.status == 409) return true;
  return !failed(r, error);
}

std::optional<sched::Task> SchedulerClient::task(const std::string& task_guid, bool* missing,
                                                 std::string* error) const {
  *missing = false;
  if (!enabled()) {
    setError(error, "scheduler disabled");
    return std::nullopt;
  }
  auto r = net::getJson(base_url_ + "/v1/tasks/" + urlEncode(task_guid), timeout_ms_, authorize_);
  if (r.status == 404) {
    *missing = true;
    return std::nullopt;
  }
  if (failed(r, error)) return std::nullopt;
  try {
    return json::parse(r.body).get<sched::Task>();
  } catch (const std::exception& e) {
    setError(error, std::string("bad task answer: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace foundry::control::scheduling
