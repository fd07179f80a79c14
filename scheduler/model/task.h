#pragma once
// One-off Tasks (Diego's Task; STAGING-SCHEDULING.md B1, B3, B4): a command that runs once on a
// cell, to completion, and whose outcome (failed, failure_reason, the result file) comes back
// to the scheduler and, when asked, to a completion callback. `cf run-task` and staging use
// them. The wire shapes of scheduler/PROTOCOL.md "Tasks"; JSON as in lrp.h (a missing field
// takes its default, a field of the wrong type throws nlohmann::json::exception).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/auth/secret.h"

namespace foundry::auth {
void to_json(nlohmann::json& j, const Secret& s);
void from_json(const nlohmann::json& j, Secret& s);
}  // namespace foundry::auth

namespace foundry::sched {

// Diego's limit on what a task's result file may hold (the executor reads at most this).
inline constexpr size_t kMaxTaskResultBytes = 10 * 1024;
// Diego's wording for a task whose cell went away, and for a cancelled task.
inline constexpr const char* kCellDisappearedReason = "cell disappeared before task completion";
inline constexpr const char* kTaskCancelledReason = "task was cancelled";
// At most this many downloads and as many uploads per task.
inline constexpr size_t kMaxTaskTransfers = 32;

// A file the cell fetches into the task's sandbox before the command runs (Diego's
// DownloadAction): the package and the build cache of a staging task, for instance. The GET is
// signed with the cell's internal credentials, like its droplet downloads.
struct TaskDownload {
  std::string artifact;            // what it is, for logs and failures ("app package"); "" = `to`
  std::string url;                 // http(s)
  std::string sha256;              // optional, 64 hex digits: the bytes are checked against it
  // Where, as the task sees it: under /home/vcap/ or /tmp/, no "." or ".." segments. With
  // `extract` a directory the .tgz is unpacked into (created when missing), else the file.
  std::string to;
  bool extract = false;
  bool optional = false;           // a 404 is no error (a build cache that does not exist yet)
};

// A file the cell sends after the command exited 0 (Diego's UploadAction): the droplet and the
// new build cache of a staging task. POSTed as application/octet-stream with
// `X-Checksum-Sha256: <hex>`, signed like the downloads.
struct TaskUpload {
  std::string artifact;            // for logs and failures ("droplet"); "" = `from`
  std::string from;                // as the task sees it: under /home/vcap/ or /tmp/
  std::string url;                 // http(s)
  bool optional = false;           // a missing file is no error (nothing is sent)
};

struct TaskDefinition {
  std::string task_guid;           // [a-zA-Z0-9_-], unique among the scheduler's tasks
  std::string domain;              // "cf-tasks", "cf-app-staging", ...
  std::string app_guid;
  std::string app_name;
  std::string space_guid, space_name, organization_guid, organization_name;
  std::string log_source;          // source_type of the task's log lines; "" = "APP/TASK"
  int memory_mb = 256;
  int disk_mb = 1024;
  std::string command;             // run by the launcher (bash -c) in the droplet's app dir
  std::map<std::string, std::string> environment;
  // The droplet to run in, or a Docker image instead (exactly one of the two; or neither when
  // the task has downloads: it runs on the plain stack with an empty /home/vcap/app).
  std::string droplet_guid, droplet_url, droplet_sha256;
  std::string docker_image;
  std::string docker_username;
  auth::Secret docker_password;    // to the cell only; never logged, never in a Task's JSON
  // A file the task writes, as the task sees it (under /home/vcap or /tmp); its contents (at
  // most kMaxTaskResultBytes) become the Task's `result`. "" = none.
  std::string result_file;
  std::string completion_callback_url;  // "" = none; else the Task is POSTed there once done
  std::vector<TaskDownload> downloads;  // fetched in order before the command runs
  std::vector<TaskUpload> uploads;      // sent in order after it exited 0
  std::vector<std::string> placement_tags;
  std::string annotation;
};

enum class TaskState { kPending, kRunning, kCompleted, kResolving };
std::string_view toString(TaskState state);
bool parseTaskState(std::string_view text, TaskState* out);

struct Task {
  TaskDefinition definition;
  TaskState state = TaskState::kPending;
  std::string cell_id;             // set once placed
  bool failed = false;
  std::string failure_reason;
  std::string result;
  int exit_code = -1;              // the command's exit status; -1 until it exited (or killed)
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;
  int rejection_count = 0;         // auctions that found no cell for it
  std::string rejection_reason;    // the last one's reason ("insufficient resources: memory")
};

// What a cell reports when a task ended (POST /v1/tasks/{task_guid}/complete).
struct TaskCompletion {
  std::string task_guid;
  std::string cell_id;
  bool failed = false;
  std::string failure_reason;
  std::string result;
  int exit_code = -1;
};

// A task as a cell lists it in its /state: RUNNING, or COMPLETED with its outcome while the
// cell has not yet got the scheduler to take the completion. The definition comes without the
// docker password, so a restarted scheduler can rebuild its record of the task.
struct CellTask {
  std::string task_guid;
  TaskState state = TaskState::kRunning;
  int memory_mb = 0;
  int disk_mb = 0;
  TaskDefinition definition;
  bool failed = false;
  std::string failure_reason;
  std::string result;
  int exit_code = -1;
};

// "" when valid, else a message naming the first bad field ("memory_mb must be > 0",
// "downloads[1].to must be an absolute path under /home/vcap/ or /tmp/").
std::string validate(const TaskDefinition& definition);
// "" when `path` may name a file in a task's sandbox: absolute, under /home/vcap/ or /tmp/,
// without NUL, "." or ".." segments or a trailing '/'; else why, naming `field`.
std::string taskPathProblem(const std::string& field, const std::string& path);
// The definition with the docker password blanked (for /state, answers and callbacks).
TaskDefinition withoutSecrets(TaskDefinition definition);
// The log_source, or "APP/TASK" when it is empty.
std::string logSourceOf(const TaskDefinition& definition);

void to_json(nlohmann::json& j, const TaskState& v);
void from_json(const nlohmann::json& j, TaskState& v);
void to_json(nlohmann::json& j, const TaskDownload& v);
void from_json(const nlohmann::json& j, TaskDownload& v);
void to_json(nlohmann::json& j, const TaskUpload& v);
void from_json(const nlohmann::json& j, TaskUpload& v);
void to_json(nlohmann::json& j, const TaskDefinition& v);
void from_json(const nlohmann::json& j, TaskDefinition& v);
// A Task's JSON never holds the docker password (it is blanked on the way out).
void to_json(nlohmann::json& j, const Task& v);
void from_json(const nlohmann::json& j, Task& v);
void to_json(nlohmann::json& j, const TaskCompletion& v);
void from_json(const nlohmann::json& j, TaskCompletion& v);
void to_json(nlohmann::json& j, const CellTask& v);
void from_json(const nlohmann::json& j, CellTask& v);

}  // namespace foundry::sched
