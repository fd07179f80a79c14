// What a staging task on a cell fetches and sends back (control/staging/task_staging.h), all
// under /internal/, which the server admits only with the platform's signed credentials:
//   GET  /internal/v1/packages/:guid/download        the package's bits
//   GET  /internal/v1/apps/:guid/buildpack_cache      the app's build cache (404: none yet)
//   POST /internal/v1/builds/:guid/droplet            the droplet (X-Checksum-Sha256 checked)
//   POST /internal/v1/builds/:guid/buildpack_cache    the new build cache (likewise)
//   POST /internal/v3/staging/:guid/build_completed   the task's end (the scheduler's Task JSON)
// and syncStagingTasks(), which catches the ends a callback missed. Uploads are taken only for
// a buildpack build that is STAGING, so nothing can replace a finished build's droplet.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "common/log/log.h"
#include "control/api/api.h"
#include "control/api/presenters.h"
#include "control/blobstore/blobstore.h"
#include "control/blobstore/hashing.h"
#include "control/staging/scoped_temp_dir.h"
#include "control/staging/stager_outcome.h"
#include "control/staging/staging_backend.h"
#include "control/staging/staging_errors.h"

namespace foundry::control {

using nlohmann::json;

namespace {

ApiError badUpload(const std::string& detail) {
  return ApiError{400, 1004, "CF-BadRequest", "Bad request: " + detail};
}

// Seconds since the epoch of CC's "2026-12-05T14:00:00Z"; -1 when it is not that shape.
int64_t epochSeconds(const std::string& iso8601) {
  std::tm tm{};
  const char* end = strptime(iso8601.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

// A field of the scheduler's Task JSON, or `fallback` when absent or of another type.
template <typename T>
T taskField(const json& task, const char* key, T fallback) {
  if (!task.contains(key)) return fallback;
  try {
    return task[key].get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

}  // namespace

ApiResponse Api::downloadPackageBits(Ctx&, const std::string& package_guid) {
  auto package = store_.getPackage(package_guid);
  if (!package || package->type != "bits" || !package->sha256) throw notFound("Package");
  auto path = staging_.blobs ? staging_.blobs->blobPath(*package->sha256) : std::nullopt;
  if (!path) throw notFound("Package bits");
  return blobDownload(*path, *package->sha256);
}

ApiResponse Api::downloadBuildpackCache(Ctx&, const std::string& app_guid) {
  if (!store_.getApp(app_guid)) throw notFound("App");
  auto path = staging_.blobs ? staging_.blobs->buildpackCachePath(app_guid) : std::nullopt;
  if (!path) throw notFound("Buildpack cache");
  return blobDownload(*path, "");
}

namespace {

// The build a staging task's upload or report is for: it must exist, be a buildpack build and
// still be STAGING.
Build stagingBuild(Store& store, const std::string& build_guid) {
  auto build = store.getBuild(build_guid);
  if (!build || build->lifecycle_type != "buildpack") throw notFound("Build");
  if (build->state != "STAGING") throw unprocessable("Build is not STAGING");
  return *build;
}

// The request's body as a file in the blobstore's temp area, after its checksum held.
std::string receiveUpload(const ApiRequest& req, const ScopedTempDir& dir,
                          const char* name) {
  if (req.body.empty()) throw badUpload("the upload is empty");
  if (!isHex(req.checksum_sha256, 64)) {
    throw badUpload("X-Checksum-Sha256 must be the body's sha256 in hex");
  }
  if (sha256Hex(req.body) != req.checksum_sha256) {
    throw badUpload("the body's sha256 does not match X-Checksum-Sha256");
  }
  const std::string path = dir.path + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool written = fd >= 0;
  for (size_t off = 0; written && off < req.body.size();) {
    ssize_t n = ::write(fd, req.body.data() + off, req.body.size() - off);
    written = n > 0;
    if (written) off += static_cast<size_t>(n);
  }
  if (fd >= 0) written = ::close(fd) == 0 && written;
  if (!written) throw BlobError("cannot write " + path);
  return path;
}

}  // namespace

ApiResponse Api::uploadStagingArtifact(Ctx& c, const std::string& build_guid,
                                       const std::string& artifact) {
  const Build build = stagingBuild(store_, build_guid);
  if (!staging_.blobs) throw ApiError{503, 10001, "UnknownError", "No blobstore"};
  const bool droplet = artifact == "droplet";
  ScopedTempDir dir(staging_.blobs->makeTempDir(artifact + "-upload"));
  const std::string path = receiveUpload(c.req, dir, droplet ? "droplet.tgz" : "cache.tgz");
  if (droplet) {
    staging_.blobs->putStagedDroplet(build.guid, path);
  } else {
    staging_.blobs->putBuildpackCache(build.app_guid, path);
  }
  log::info("controller", "staging-upload-received",
            {{"build", build.guid}, {"app", build.app_guid}, {"artifact", artifact},
             {"bytes", std::to_string(c.req.body.size())}});
  return {201, json::object(), {}};
}

ApiResponse Api::stagingTaskCompleted(Ctx& c, const std::string& build_guid) {
  json task = c.body();
  const std::string task_guid = taskField<std::string>(task, "task_guid", build_guid);
  if (task_guid != build_guid) throw unprocessable("The task is not this build's staging task");
  auto build = store_.getBuild(build_guid);
  if (!build || build->state != "STAGING") {
    // Answered 200 all the same: the scheduler may forget the task (a deleted app, a build
    // already failed by the sync or the timeout).
    log::info("controller", "staging-report-ignored",
              {{"build", build_guid}, {"reason", build ? "build not STAGING" : "build gone"}});
    return {200, json::object(), {}};
  }
  TaskLookup end;
  end.outcome = TaskLookup::Outcome::kFound;
  end.completed = true;
  end.failed = taskField<bool>(task, "failed", true);
  end.failure_reason = taskField<std::string>(task, "failure_reason", "");
  end.result = taskField<std::string>(task, "result", "");
  end.exit_code = taskField<int>(task, "exit_code", -1);
  finishStagingTask(*build, end);
  return {200, json::object(), {}};
}

void Api::finishStagingTask(const Build& build, const TaskLookup& end) {
  StagingResult r;
  r.build_guid = build.guid;
  r.app_guid = build.app_guid;
  r.exit_code = end.exit_code;
  if (end.failed) {
    r.error = stagingErrorFor(end.exit_code, end.failure_reason);
  } else if (!readStagerOutcome(end.result, &r)) {
    r.error = stagingErrorFor(1, "the staging task returned no result");
  } else {
    std::optional<std::string> sha;
    try {
      sha = staging_.blobs ? staging_.blobs->takeStagedDroplet(build.guid) : std::nullopt;
    } catch (const BlobError& e) {
      log::error("controller", "staged-droplet-failed", {{"build", build.guid}, {"error", e.what()}});
    }
    if (sha) {
      r.ok = true;
      r.exit_code = 0;
      r.droplet_sha256 = *sha;
    } else {
      r.error = stagingErrorFor(1, "the staging task uploaded no droplet");
    }
  }
  if (!r.ok) {
    if (staging_.blobs) staging_.blobs->discardStagedDroplet(build.guid);
    log::warn("controller", "staging-failed",
              {{"build", build.guid}, {"app", build.app_guid}, {"error", r.error}});
  }
  finishStaging(r);
}

int Api::syncStagingTasks() {
  if (!staging_.staging_tasks || !scheduling_.task_state) return 0;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int64_t patience = static_cast<int64_t>(staging_.staging_timeout_seconds) + 60;
  int finished = 0;
  BuildFilter open;
  open.states = {"STAGING"};
  for (const Build& build : store_.listBuilds(open)) {
    if (build.lifecycle_type != "buildpack") continue;
    TaskLookup found = scheduling_.task_state(build.guid);
    if (found.outcome == TaskLookup::Outcome::kUnreachable) return finished;  // next round
    if (found.outcome == TaskLookup::Outcome::kMissing) {
      found.failed = true;
      found.failure_reason = "the staging task was lost by the scheduler";
    } else if (!found.completed) {
      const int64_t started = epochSeconds(build.created_at);
      if (started < 0 || now - started <= patience) continue;
      if (scheduling_.cancel_task) scheduling_.cancel_task(build.guid);
      found.failed = true;
      found.exit_code = 124;  // StagingTimeExpired
    }
    finishStagingTask(build, found);
    ++finished;
  }
  return finished;
}

}  // namespace foundry::control
