// One-off tasks (`cf run-task`, `cf tasks`, `cf terminate-task`): POST /v3/apps/:guid/tasks
// desires a task on the scheduler (scheduler/PROTOCOL.md "Tasks") that runs the command once in
// the app's droplet on a cell; the scheduler reports the end to
// POST /internal/v4/tasks/:guid/completed (signed, as every internal call), and syncTasks()
// asks it about tasks whose report never came.
//
// States as CC: RUNNING once the scheduler took it (PENDING is not shown: the scheduler's
// queue is its business), CANCELING after a cancel until the cell confirms, SUCCEEDED or
// FAILED with result.failure_reason. Memory of tasks not yet ended counts against quotas.
#include <openssl/rand.h>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/json_shapes.h"
#include "control/api/presenters.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

namespace {

constexpr const char* kHiddenInLists = "[PRIVATE DATA HIDDEN IN LISTS]";
constexpr const char* kHidden = "[PRIVATE DATA HIDDEN]";
constexpr int64_t kMaxTaskMemoryMb = 64 * 1024;
constexpr int64_t kMaxTaskDiskMb = 64 * 1024;

// CC names an unnamed task with 8 random hex digits.
std::string randomTaskName() {
  unsigned char bytes[4];
  RAND_bytes(bytes, sizeof bytes);
  static const char* kHex = "0123456789abcdef";
  std::string name;
  for (unsigned char b : bytes) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return name;
}

bool taskEnded(const AppTask& t) { return t.state == "SUCCEEDED" || t.state == "FAILED"; }

json presentTask(const std::string& base, const AppTask& t, const std::string& command) {
  const std::string self = base + "/v3/tasks/" + t.guid;
  return {{"guid", t.guid},
          {"sequence_id", t.sequence_id},
          {"name", t.name},
          {"command", command},
          {"state", t.state},
          {"memory_in_mb", t.memory_in_mb},
          {"disk_in_mb", t.disk_in_mb},
          {"log_rate_limit_in_bytes_per_second", -1},
          {"result", {{"failure_reason", shapes::orNull(t.failure_reason)}}},
          {"droplet_guid", t.droplet_guid},
          {"relationships", {{"app", shapes::toOne(t.app_guid)}}},
          {"metadata", shapes::metadata()},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"links",
           {{"self", shapes::href(self)},
            {"app", shapes::href(base + "/v3/apps/" + t.app_guid)},
            {"cancel", shapes::href(self + "/actions/cancel", "POST")},
            {"droplet", shapes::href(base + "/v3/droplets/" + t.droplet_guid)}}}};
}

int64_t taskSize(const json& b, const char* key, const char* label, int64_t fallback,
                 int64_t max) {
  auto v = body::optInteger(b, key, label);
  if (!v) return fallback;
  if (*v < 1 || *v > max) {
    throw unprocessable(std::string(label) + " must be between 1 and " + std::to_string(max));
  }
  return *v;
}

}  // namespace

ApiResponse Api::createTask(Ctx& c, const std::string& app_guid) {
  App app = requireApp(c, app_guid, Access::Write);
  json b = c.body();
  body::allowOnly(b, {"command", "name", "memory_in_mb", "disk_in_mb",
                      "log_rate_limit_in_bytes_per_second", "droplet_guid", "metadata"});
  auto command = body::optString(b, "command", "Command");
  if (!command || command->empty()) throw unprocessable("Command can't be blank");
  if (command->size() > 4096) throw unprocessable("Command is too long (maximum is 4096 characters)");
  AppTask t;
  t.guid = newGuid();
  t.app_guid = app.guid;
  t.command = *command;
  t.name = body::optString(b, "name", "Name").value_or("");
  if (t.name.empty()) t.name = randomTaskName();
  t.memory_in_mb = taskSize(b, "memory_in_mb", "Memory in mb", 1024, kMaxTaskMemoryMb);
  t.disk_in_mb = taskSize(b, "disk_in_mb", "Disk in mb", 1024, kMaxTaskDiskMb);
  auto droplet_guid = body::optString(b, "droplet_guid", "Droplet guid");
  std::optional<Droplet> droplet =
      droplet_guid ? store_.getDroplet(*droplet_guid) : store_.getCurrentDroplet(app.guid);
  if (!droplet || droplet->app_guid != app.guid || droplet->state != "STAGED") {
    throw unprocessable(droplet_guid ? "Droplet not found for this app"
                                     : "Task must have a droplet. Assign a current droplet to "
                                       "the app.");
  }
  t.droplet_guid = droplet->guid;

  // Quotas: a task is one more instance of its memory for as long as it runs.
  Space space = *store_.getSpace(app.space_guid);
  Process as_instance;
  as_instance.guid = "task:" + t.guid;
  as_instance.memory_in_mb = t.memory_in_mb;
  as_instance.instances = 1;
  checkProcessQuota(space, as_instance);
  checkTaskQuota(space, app.guid);

  t.state = scheduling_.desire_task ? "RUNNING" : "FAILED";
  t.created_at = t.updated_at = nowIso8601();
  if (store_.createTask(&t) != WriteResult::Ok) throw notFound("App");
  std::string error = scheduling_.desire_task ? scheduling_.desire_task(t)
                                              : "no scheduler is configured";
  if (!error.empty()) {
    t.state = "FAILED";
    t.failure_reason = "Unable to request task to be run: " + error;
    t.updated_at = nowIso8601();
    store_.updateTask(t);
  }
  log::info("controller", "task-created",
            {{"task", t.guid}, {"app", app.guid}, {"name", t.name}, {"state", t.state}});
  audit(c, "audit.app.task.create", "app", app.guid, app.name, app.space_guid,
        {{"task_guid", t.guid}, {"name", t.name}});
  return {202, presentTask(c.req.base_url, t, t.command), {}};
}

void Api::checkTaskQuota(const Space& space, const std::string& app_guid) {
  auto org = store_.getOrganization(space.organization_guid);
  std::optional<int64_t> limit;
  auto tighten = [&](const std::optional<int64_t>& l) {
    if (l && (!limit || *l < *limit)) limit = l;
  };
  if (org && org->quota_guid) {
    if (auto q = store_.getOrganizationQuota(*org->quota_guid)) tighten(q->limits.per_app_tasks);
  }
  if (space.quota_guid) {
    if (auto q = store_.getSpaceQuota(*space.quota_guid)) tighten(q->limits.per_app_tasks);
  }
  if (!limit) return;
  TaskFilter running;
  running.app_guids = {app_guid};
  running.states = {"PENDING", "RUNNING", "CANCELING"};
  if (static_cast<int64_t>(store_.listTasks(running).size()) >= *limit) {
    throw unprocessable("app_task_limit quota_exceeded");
  }
}

ApiResponse Api::getTask(Ctx& c, const std::string& guid) {
  auto t = store_.getTask(guid);
  if (!t) throw notFound("Task");
  App app = requireApp(c, t->app_guid, Access::Read, "Task");
  const bool secrets = c.can().canReadSecrets(app.space_guid);
  return {200, presentTask(c.req.base_url, *t, secrets ? t->command : kHidden), {}};
}

ApiResponse Api::listTasks(Ctx& c, const std::string& app_guid) {
  if (!app_guid.empty()) requireApp(c, app_guid);
  c.query.allowOnly({"guids", "names", "states", "app_guids", "space_guids", "sequence_ids",
                     "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  TaskFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("states")) f.states = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  if (auto* v = c.query.find("sequence_ids")) {
    if (app_guid.empty()) throw badQuery("Unknown query parameter(s): 'sequence_ids'");
    f.sequence_ids = *v;
  }
  if (!app_guid.empty()) f.app_guids = {app_guid};
  std::vector<AppTask> tasks;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) tasks = store_.listTasks(f);
  std::function<std::string(const AppTask&)> key = [&](const AppTask& t) {
    char seq[24];
    std::snprintf(seq, sizeof seq, "%012lld", static_cast<long long>(t.sequence_id));
    return (page.order_by == "updated_at" ? t.updated_at : t.created_at) + seq;
  };
  std::function<json(const AppTask&)> present = [&](const AppTask& t) {
    return presentTask(c.req.base_url, t, kHiddenInLists);  // CC never lists commands
  };
  const std::string path = app_guid.empty() ? "/v3/tasks" : "/v3/apps/" + app_guid + "/tasks";
  return {200, presentList(c.req.base_url, path, c.req.query, page, tasks, key, present), {}};
}

ApiResponse Api::cancelTask(Ctx& c, const std::string& guid) {
  auto found = store_.getTask(guid);
  if (!found) throw notFound("Task");
  App app = requireApp(c, found->app_guid, Access::Write, "Task");
  AppTask t = *found;
  if (taskEnded(t)) {
    throw ApiError{422, 170019, "CF-InvalidTaskState",
                   "Task state is " + t.state + " and therefore cannot be canceled"};
  }
  if (t.state != "CANCELING") {
    t.state = "CANCELING";
    t.updated_at = nowIso8601();
    store_.updateTask(t);
    std::string error =
        scheduling_.cancel_task ? scheduling_.cancel_task(t.guid) : "no scheduler is configured";
    if (!error.empty()) {
      log::warn("controller", "task-cancel-not-delivered", {{"task", t.guid}, {"error", error}});
    }
    audit(c, "audit.app.task.cancel", "app", app.guid, app.name, app.space_guid,
          {{"task_guid", t.guid}, {"name", t.name}});
  }
  return {202, presentTask(c.req.base_url, t, t.command), {}};
}

ApiResponse Api::taskCompleted(Ctx& c, const std::string& guid) {
  json b = c.body();
  auto found = store_.getTask(guid);
  if (!found) throw notFound("Task");
  bool failed = b.value("failed", false);
  std::string reason = b.value("failure_reason", "");
  std::string result = b.value("result", "");
  finishTask(*found, failed, reason, result);
  return {200, json::object(), {}};
}

void Api::finishTask(AppTask t, bool failed, const std::string& failure_reason,
                     const std::string& result) {
  if (taskEnded(t)) return;  // a second report changes nothing
  if (t.state == "CANCELING") {
    failed = true;
    if (failure_reason.empty()) t.failure_reason = "task was cancelled";
  }
  t.state = failed ? "FAILED" : "SUCCEEDED";
  if (failed && !failure_reason.empty()) t.failure_reason = failure_reason;
  if (failed && !t.failure_reason) t.failure_reason = "task failed";
  t.result = result;
  t.updated_at = nowIso8601();
  store_.updateTask(t);
  log::info("controller", "task-finished",
            {{"task", t.guid}, {"app", t.app_guid}, {"state", t.state},
             {"reason", t.failure_reason.value_or("")}});
}

int Api::syncTasks() {
  if (!scheduling_.task_state) return 0;
  int finished = 0;
  TaskFilter open;
  open.states = {"RUNNING", "CANCELING"};
  for (const AppTask& t : store_.listTasks(open)) {
    TaskLookup found = scheduling_.task_state(t.guid);
    if (found.outcome == TaskLookup::Outcome::kUnreachable) return finished;  // next round
    if (found.outcome == TaskLookup::Outcome::kMissing) {
      finishTask(t, true, "task was lost by the scheduler", "");
      ++finished;
    } else if (found.completed) {
      finishTask(t, found.failed, found.failure_reason, found.result);
      ++finished;
    }
  }
  return finished;
}

}  // namespace foundry::control
