#include "scheduler/cell/oci_runtime.h"

#include <filesystem>

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {
constexpr int kCommandTimeoutMs = 10000;
}  // namespace

Spawned OciRuntime::run(const std::string& id, const std::string& bundle_dir) const {
  SpawnSpec spec;
  spec.argv = {binary_, "--root", state_dir_, "run", "--bundle", bundle_dir, id};
  spec.env = helperEnvironment();
  spec.cwd = bundle_dir;
  return spawnGroupLeader(spec);
}

bool OciRuntime::kill(const std::string& id, int signal) const {
  std::string output;
  return runCommand({binary_, "--root", state_dir_, "kill", "--all", id, std::to_string(signal)},
                    kCommandTimeoutMs, &output) == 0;
}

void OciRuntime::remove(const std::string& id) const {
  std::string output;
  runCommand({binary_, "--root", state_dir_, "delete", "--force", id}, kCommandTimeoutMs, &output);
}

void OciRuntime::removeAll() const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(state_dir_, ec)) {
    if (entry.is_directory()) remove(entry.path().filename().string());
  }
}

std::string OciRuntime::version(std::string* error) const {
  std::string output;
  if (runCommand({binary_, "--version"}, kCommandTimeoutMs, &output) != 0) {
    *error = binary_ + " --version failed: " + output;
    return "";
  }
  return output.substr(0, output.find('\n'));
}

}  // namespace foundry::cell
