#pragma once
// What the API hands to staging, and what comes back. The API (builds_handlers.cc) calls
// StagingBackend::stage() on the event loop; the outcome returns later as a StagingResult that
// the owner delivers to Api::finishStaging() on the event loop again (the store is
// single-threaded). Tests plug in a fake backend.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::control {

// A docker package's image and the credentials its registry wants (none: both empty).
struct DockerSource {
  std::string image;
  std::string username;
  auth::Secret password;
};

struct StagingTask {
  std::string build_guid;
  std::string app_guid;
  std::string package_guid;
  std::string package_sha256;           // the package .tgz in the blobstore
  std::vector<std::string> buildpacks;  // [] = detect
  std::string stack = "cflinuxfs4";
  std::vector<std::pair<std::string, std::string>> environment;  // the app's variables
  // A docker package: staging reads the image's manifest and config instead of running
  // buildpacks (package_sha256 and buildpacks are then unused).
  std::optional<DockerSource> docker;
  std::string web_command;  // the web process's own start command ("" = the image's)
  // What the staging may use (the build's staging_memory_in_mb and staging_disk_in_mb): the
  // staging task's limits on a cell.
  int memory_mb = 1024;
  int disk_mb = 1024;
};

struct StagingResult {
  std::string build_guid;
  std::string app_guid;
  bool ok = false;
  int exit_code = -1;
  std::string error;  // CC-style ("NoAppDetectedError - ...") when !ok
  std::string droplet_sha256;
  nlohmann::json process_types = nlohmann::json::object();  // {"web": "node server.js"}
  nlohmann::json buildpacks = nlohmann::json::array();      // droplet.buildpacks entries
  std::string start_command;
  // Docker: the image pinned to the manifest digest (image@sha256:...) and CC's
  // execution_metadata (the image config's cmd, entrypoint, user, workdir, ports) as JSON text.
  std::string docker_image;
  std::string execution_metadata;
};

class StagingBackend {
 public:
  virtual ~StagingBackend() = default;
  // Starts staging; must not block the caller for long.
  virtual void stage(const StagingTask& task) = 0;
};

}  // namespace foundry::control
