#include "scheduler/api/api.h"

#include <vector>

namespace foundry::sched {

namespace {

ApiResponse error(int status, const std::string& message) { return {status, {{"error", message}}}; }

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
        hexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

// Parses `body` into T: 400 when it is not JSON, 422 when a field has the wrong type.
template <typename T>
bool parseBody(const std::string& body, T* out, ApiResponse* why) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    *why = error(400, std::string("body is not JSON: ") + e.what());
    return false;
  }
  if (!j.is_object()) {
    *why = error(400, "body must be a JSON object");
    return false;
  }
  try {
    *out = j.get<T>();
  } catch (const std::exception& e) {
    *why = error(422, e.what());
    return false;
  }
  return true;
}

// Like parseBody, but a field of the wrong type is named in the 422: each field of the body is
// decoded alone until one fails.
template <typename T>
bool parseBodyNamingField(const std::string& body, T* out, ApiResponse* why) {
  if (parseBody(body, out, why)) return true;
  if (why->status != 422) return false;
  nlohmann::json j = nlohmann::json::parse(body);
  for (auto it = j.begin(); it != j.end(); ++it) {
    try {
      (void)nlohmann::json{{it.key(), it.value()}}.get<T>();
    } catch (const std::exception& e) {
      *why = error(422, "invalid field " + it.key() + ": " + e.what());
      break;
    }
  }
  return false;
}

ApiResponse fromOutcome(const Outcome& outcome, nlohmann::json body = nlohmann::json::object()) {
  if (outcome.status >= 300) return error(outcome.status, outcome.error);
  return {outcome.status, std::move(body)};
}

}  // namespace

std::string queryParam(const std::string& query, const std::string& key) {
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(start, amp - start);
    size_t eq = pair.find('=');
    if (percentDecode(pair.substr(0, eq)) == key) {
      return eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1));
    }
    start = amp + 1;
  }
  return "";
}

ApiResponse Api::handle(const ApiRequest& r) {
  auto parts = splitPath(r.path);
  const std::string& m = r.method;
  auto wrongMethod = [&] { return error(405, m + " is not allowed on " + r.path); };
  if (parts.size() == 1 && parts[0] == "ping") return {200, {{"ok", true}}};
  if (parts.size() < 2 || parts[0] != "v1") return error(404, "no route for " + r.path);
  const std::string& kind = parts[1];

  if (kind == "desired_lrps" && parts.size() == 2) {
    if (m != "GET") return wrongMethod();
    return {200, {{"desired_lrps", bbs_->desiredLrps(queryParam(r.query, "app_guid"))}}};
  }
  if (kind == "desired_lrps" && parts.size() == 3) {
    const std::string& guid = parts[2];
    if (m == "PUT") return putDesired(guid, r.body);
    if (m == "DELETE") {
      bbs_->removeDesired(guid);
      return {204, nullptr};
    }
    if (m == "GET") {
      for (auto& lrp : bbs_->desiredLrps()) {
        if (lrp.process_guid == guid) return {200, lrp};
      }
      return error(404, "desired LRP " + guid + " not found");
    }
    return wrongMethod();
  }
  if (kind == "actual_lrps" && parts.size() == 2) {
    if (m != "GET") return wrongMethod();
    return {200,
            {{"actual_lrps", bbs_->actualLrps(queryParam(r.query, "process_guid"),
                                              queryParam(r.query, "app_guid"))}}};
  }
  if (kind == "actual_lrps" && parts.size() == 3) {
    if (m != "POST") return wrongMethod();
    return report(parts[2], r.body);
  }
  if (kind == "sync" && parts.size() == 2) {
    if (m != "PUT") return wrongMethod();
    return sync(r.body);
  }
  if (kind == "tasks") return handleTasks(r, parts);
  if (kind == "cells" && parts.size() == 3) {
    if (m != "PUT") return wrongMethod();
    return putCell(parts[2], r.body);
  }
  return error(404, "no route for " + r.path);
}

ApiResponse Api::handleTasks(const ApiRequest& r, const std::vector<std::string>& parts) {
  if (!tasks_) return error(404, "no route for " + r.path);
  const std::string& m = r.method;
  auto wrongMethod = [&] { return error(405, m + " is not allowed on " + r.path); };
  if (parts.size() == 2) {  // /v1/tasks
    if (m == "GET") {
      return {200, {{"tasks", tasks_->tasks(queryParam(r.query, "domain"),
                                            queryParam(r.query, "app_guid"))}}};
    }
    if (m != "POST") return wrongMethod();
    TaskDefinition definition;
    ApiResponse why;
    if (!parseBodyNamingField(r.body, &definition, &why)) return why;
    Outcome outcome = tasks_->desire(definition);
    if (outcome.status >= 300) return error(outcome.status, outcome.error);
    auto task = tasks_->task(definition.task_guid);
    return {outcome.status, task ? nlohmann::json(*task) : nlohmann::json::object()};
  }
  const std::string& guid = parts[2];
  if (parts.size() == 3) {  // /v1/tasks/{guid}
    if (m == "GET") {
      auto task = tasks_->task(guid);
      if (!task) return error(404, "task " + guid + " not found");
      return {200, *task};
    }
    if (m == "DELETE") return fromOutcome(tasks_->resolve(guid), nullptr);
    return wrongMethod();
  }
  if (parts.size() == 4 && parts[3] == "cancel") {
    if (m != "POST") return wrongMethod();
    Outcome outcome = tasks_->cancel(guid);
    if (outcome.status >= 300) return error(outcome.status, outcome.error);
    auto task = tasks_->task(guid);
    return {200, task ? nlohmann::json(*task) : nlohmann::json::object()};
  }
  if (parts.size() == 4 && parts[3] == "complete") {
    if (m != "POST") return wrongMethod();
    TaskCompletion completion;
    ApiResponse why;
    if (!parseBodyNamingField(r.body, &completion, &why)) return why;
    return fromOutcome(tasks_->complete(guid, completion));
  }
  return error(404, "no route for " + r.path);
}

ApiResponse Api::putDesired(const std::string& process_guid, const std::string& body) {
  DesiredLrp lrp;
  ApiResponse why;
  if (!parseBody(body, &lrp, &why)) return why;
  if (lrp.process_guid.empty()) lrp.process_guid = process_guid;
  if (lrp.process_guid != process_guid) {
    return error(422, "process_guid " + lrp.process_guid + " does not match the URL");
  }
  return fromOutcome(bbs_->desire(lrp), lrp);
}

ApiResponse Api::sync(const std::string& body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    return error(400, std::string("body is not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("desired_lrps") || !j["desired_lrps"].is_array()) {
    return error(422, "desired_lrps must be an array");
  }
  std::vector<DesiredLrp> lrps;
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& item : j["desired_lrps"]) {
    try {
      lrps.push_back(item.get<DesiredLrp>());
    } catch (const std::exception& e) {
      // Undecodable: keep whatever the scheduler has under that guid rather than delete it.
      std::string guid =
          item.is_object() && item.contains("process_guid") && item["process_guid"].is_string()
              ? item["process_guid"].get<std::string>()
              : "";
      if (!guid.empty()) {
        for (auto& known : bbs_->desiredLrps()) {
          if (known.process_guid == guid) lrps.push_back(known);
        }
      }
      skipped.push_back({{"process_guid", guid}, {"error", e.what()}});
    }
  }
  for (const auto& [guid, why] : bbs_->sync(lrps)) {
    skipped.push_back({{"process_guid", guid}, {"error", why}});
  }
  return {200, {{"skipped", skipped}}};
}

ApiResponse Api::putCell(const std::string& cell_id, const std::string& body) {
  CellPresence cell;
  ApiResponse why;
  if (!parseBody(body, &cell, &why)) return why;
  if (cell.cell_id.empty()) cell.cell_id = cell_id;
  if (cell.cell_id != cell_id)
    return error(422, "cell_id " + cell.cell_id + " does not match the URL");
  return fromOutcome(bbs_->upsertCell(cell));
}

ApiResponse Api::report(const std::string& what, const std::string& body) {
  if (what != "claim" && what != "start" && what != "crash" && what != "remove") {
    return error(404, "no route for /v1/actual_lrps/" + what);
  }
  InstanceReport report;
  ApiResponse why;
  if (!parseBody(body, &report, &why)) return why;
  if (what == "claim") return fromOutcome(bbs_->claim(report));
  if (what == "start") return fromOutcome(bbs_->start(report));
  if (what == "crash") return fromOutcome(bbs_->crash(report));
  return fromOutcome(bbs_->removed(report));
}

}  // namespace foundry::sched
