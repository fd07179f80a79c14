#pragma once
// What the API hands to staging, and what comes back. The API (builds_handlers.cc) calls
// StagingBackend::stage() on the event loop; the outcome returns later as a StagingResult that
// the owner delivers to Api::finishStaging() on the event loop again (the store is
// single-threaded). Tests plug in a fake backend.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace foundry::control {

struct StagingTask {
  std::string build_guid;
  std::string app_guid;
  std::string package_sha256;           // the package .tgz in the blobstore
  std::vector<std::string> buildpacks;  // [] = detect
  std::string stack = "cflinuxfs4";
  std::vector<std::pair<std::string, std::string>> environment;  // the app's variables
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
};

class StagingBackend {
 public:
  virtual ~StagingBackend() = default;
  // Starts staging; must not block the caller for long.
  virtual void stage(const StagingTask& task) = 0;
};

}  // namespace foundry::control
