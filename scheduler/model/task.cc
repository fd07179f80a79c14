#include "scheduler/model/task.h"

namespace foundry::sched {

namespace {

constexpr std::string_view kTaskStateNames[] = {"PENDING", "RUNNING", "COMPLETED", "RESOLVING"};

bool isGuidChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool isHex(const std::string& text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool isHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool isSha256Hex(const std::string& text) { return text.size() == 64 && isHex(text); }

bool hasControlCharacter(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string taskPathProblem(const std::string& field, const std::string& path) {
  if (path.find('\0') != std::string::npos) return field + " may not hold NUL";
  if (path.rfind("/home/vcap/", 0) != 0 && path.rfind("/tmp/", 0) != 0) {
    return field + " must be an absolute path under /home/vcap/ or /tmp/";
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string segment = path.substr(start, slash - start);
    if (segment == "." || segment == "..") return field + " may not hold . or .. segments";
    start = slash + 1;
  }
  if (path.back() == '/') return field + " must name a file";
  return "";
}

std::string_view toString(TaskState state) { return kTaskStateNames[static_cast<int>(state)]; }

bool parseTaskState(std::string_view text, TaskState* out) {
  for (int i = 0; i < 4; ++i) {
    if (kTaskStateNames[i] == text) {
      *out = static_cast<TaskState>(i);
      return true;
    }
  }
  return false;
}

void to_json(nlohmann::json& j, const TaskState& v) { j = std::string(toString(v)); }
void from_json(const nlohmann::json& j, TaskState& v) {
  if (!parseTaskState(j.get<std::string>(), &v)) {
    throw nlohmann::json::other_error::create(501, "unknown task state " + j.get<std::string>(),
                                              &j);
  }
}

// See lrp.cc: nlohmann's macros define inline functions, so they live in a namespace of their
// own and the declared functions forward to them.
namespace task_codec {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskDownload, artifact, url, sha256, to, extract,
                                                optional)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskUpload, artifact, from, url, optional)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskDefinition, task_guid, domain, app_guid,
                                                app_name, space_guid, space_name,
                                                organization_guid, organization_name, log_source,
                                                memory_mb, disk_mb, command, environment,
                                                droplet_guid, droplet_url, droplet_sha256,
                                                docker_image, docker_username, docker_password,
                                                result_file, completion_callback_url,
                                                downloads, uploads, placement_tags, annotation)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Task, definition, state, cell_id, failed,
                                                failure_reason, result, exit_code, created_at_ns,
                                                updated_at_ns, rejection_count, rejection_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskCompletion, task_guid, cell_id, failed,
                                                failure_reason, result, exit_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CellTask, task_guid, state, memory_mb, disk_mb,
                                                definition, failed, failure_reason, result,
                                                exit_code)
}  // namespace task_codec

void to_json(nlohmann::json& j, const TaskDownload& v) { task_codec::to_json(j, v); }
void from_json(const nlohmann::json& j, TaskDownload& v) { task_codec::from_json(j, v); }
void to_json(nlohmann::json& j, const TaskUpload& v) { task_codec::to_json(j, v); }
void from_json(const nlohmann::json& j, TaskUpload& v) { task_codec::from_json(j, v); }
void to_json(nlohmann::json& j, const TaskDefinition& v) { task_codec::to_json(j, v); }
void from_json(const nlohmann::json& j, TaskDefinition& v) { task_codec::from_json(j, v); }

void to_json(nlohmann::json& j, const Task& v) {
  Task out = v;
  out.definition = withoutSecrets(std::move(out.definition));
  task_codec::to_json(j, out);
  j["task_guid"] = v.definition.task_guid;  // convenience: the same as definition.task_guid
}
void from_json(const nlohmann::json& j, Task& v) { task_codec::from_json(j, v); }
void to_json(nlohmann::json& j, const TaskCompletion& v) { task_codec::to_json(j, v); }
void from_json(const nlohmann::json& j, TaskCompletion& v) { task_codec::from_json(j, v); }
void to_json(nlohmann::json& j, const CellTask& v) {
  CellTask out = v;
  out.definition = withoutSecrets(std::move(out.definition));
  task_codec::to_json(j, out);
}
void from_json(const nlohmann::json& j, CellTask& v) { task_codec::from_json(j, v); }

TaskDefinition withoutSecrets(TaskDefinition definition) {
  definition.docker_password = auth::Secret();
  return definition;
}

std::string logSourceOf(const TaskDefinition& definition) {
  return definition.log_source.empty() ? "APP/TASK" : definition.log_source;
}

std::string validate(const TaskDefinition& d) {
  if (d.task_guid.empty()) return "task_guid is required";
  if (d.task_guid.size() > 128) return "task_guid may hold at most 128 characters";
  for (char c : d.task_guid) {
    if (!isGuidChar(c)) return "task_guid may only hold [a-zA-Z0-9_-]";
  }
  if (d.domain.empty()) return "domain is required";
  if (d.app_guid.empty()) return "app_guid is required";
  if (d.memory_mb <= 0) return "memory_mb must be > 0";
  if (d.disk_mb <= 0) return "disk_mb must be > 0";
  if (d.command.empty()) return "command is required";
  if (d.command.find('\0') != std::string::npos) return "command may not hold NUL";
  const bool droplet = !d.droplet_url.empty();
  const bool docker = !d.docker_image.empty();
  if (!droplet && !docker && d.downloads.empty()) {
    return "droplet_url or docker_image is required (or downloads, for a task on the plain "
           "stack)";
  }
  if (droplet && docker) return "droplet_url and docker_image exclude each other";
  if (!docker && (!d.docker_username.empty() || !d.docker_password.empty())) {
    return "docker_username and docker_password need a docker_image";
  }
  if (!d.droplet_sha256.empty() && !isSha256Hex(d.droplet_sha256)) {
    return "droplet_sha256 must be 64 hex digits";
  }
  for (const auto& [name, value] : d.environment) {
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return "environment holds an invalid variable name or value";
    }
  }
  if (!d.result_file.empty()) {
    if (std::string why = taskPathProblem("result_file", d.result_file); !why.empty()) return why;
  }
  const std::string& cb = d.completion_callback_url;
  if (!cb.empty() && !isHttpUrl(cb)) {
    return "completion_callback_url must be an http:// or https:// URL";
  }
  if (d.downloads.size() > kMaxTaskTransfers) {
    return "downloads may hold at most " + std::to_string(kMaxTaskTransfers) + " entries";
  }
  for (size_t i = 0; i < d.downloads.size(); ++i) {
    const TaskDownload& dl = d.downloads[i];
    const std::string field = "downloads[" + std::to_string(i) + "]";
    if (!isHttpUrl(dl.url) || hasControlCharacter(dl.url)) {
      return field + ".url must be an http:// or https:// URL";
    }
    if (!dl.sha256.empty() && !isSha256Hex(dl.sha256)) {
      return field + ".sha256 must be 64 hex digits";
    }
    if (std::string why = taskPathProblem(field + ".to", dl.to); !why.empty()) return why;
    if (hasControlCharacter(dl.artifact)) {
      return field + ".artifact may not hold control characters";
    }
  }
  if (d.uploads.size() > kMaxTaskTransfers) {
    return "uploads may hold at most " + std::to_string(kMaxTaskTransfers) + " entries";
  }
  for (size_t i = 0; i < d.uploads.size(); ++i) {
    const TaskUpload& up = d.uploads[i];
    const std::string field = "uploads[" + std::to_string(i) + "]";
    if (std::string why = taskPathProblem(field + ".from", up.from); !why.empty()) return why;
    if (!isHttpUrl(up.url) || hasControlCharacter(up.url)) {
      return field + ".url must be an http:// or https:// URL";
    }
    if (hasControlCharacter(up.artifact)) {
      return field + ".artifact may not hold control characters";
    }
  }
  for (char c : d.log_source) {
    if (static_cast<unsigned char>(c) < 0x20) return "log_source may not hold control characters";
  }
  return "";
}

}  // namespace foundry::sched
