#include "scheduler/cell/container_cgroup.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

bool writeValue(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

std::string readValue(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Removes the group at `relative` below `hierarchy` (its parents stay: other instances of
// the cell are created below them concurrently).
void removeGroup(const fs::path& hierarchy, const fs::path& relative) {
  const fs::path dir = hierarchy / relative;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) rmdir(entry.path().c_str());  // runc's, if it is still there
  }
  rmdir(dir.c_str());
}

}  // namespace

std::string ContainerCgroup::memoryRoot() {
  if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0) {
    return "/sys/fs/cgroup/memory";
  }
  if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
    std::string controllers = readValue("/sys/fs/cgroup/cgroup.controllers");
    if (controllers.find("memory") != std::string::npos) return "/sys/fs/cgroup";
  }
  return "";
}

bool ContainerCgroup::create(int64_t limit_bytes, std::string* error) {
  const std::string root = memoryRoot();
  if (root.empty()) {
    *error = "no memory cgroup controller on this host";
    return false;
  }
  v2_ = root == "/sys/fs/cgroup";
  const fs::path dir = fs::path(root) / relative_;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  dir_ = dir.string();
  const std::string limit = std::to_string(limit_bytes);
  bool ok;
  if (v2_) {
    // The parent must hand the memory controller down to the container's group.
    const fs::path parent = dir.parent_path();
    writeValue((parent / "cgroup.subtree_control").string(), "+memory +pids +cpu");
    writeValue(dir_ + "/cgroup.subtree_control", "+memory +pids +cpu");
    ok = writeValue(dir_ + "/memory.max", limit) && writeValue(dir_ + "/memory.swap.max", "0");
  } else {
    ok = writeValue(dir_ + "/memory.limit_in_bytes", limit);
    // memsw exists only with swap accounting on; where it does, it must be set after (and
    // never below) the plain limit.
    if (ok && access((dir_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
      ok = writeValue(dir_ + "/memory.memsw.limit_in_bytes", limit);
    }
  }
  if (!ok) *error = "cannot set the memory limit in " + dir_;
  return ok;
}

bool ContainerCgroup::limitReached() const {
  if (dir_.empty()) return false;
  if (v2_) {
    std::istringstream events(readValue(dir_ + "/memory.events"));
    std::string key;
    long long value = 0;
    while (events >> key >> value) {
      if (key == "oom_kill" && value > 0) return true;
    }
    return false;
  }
  // v1 counts OOM kills only in the container's own group, which runc has removed by now, and
  // recent kernels no longer count failcnt on v1. The peak usage stays: an instance that was
  // SIGKILLed having reached its limit (memory, or memory plus swap) died of it.
  auto number = [&](const char* file) {
    const std::string text = readValue(dir_ + file);
    return text.empty() ? -1LL : std::stoll(text);
  };
  const long long limit = number("/memory.limit_in_bytes");
  if (limit > 0 && number("/memory.max_usage_in_bytes") >= limit) return true;
  const long long memsw_limit = number("/memory.memsw.limit_in_bytes");
  return memsw_limit > 0 && number("/memory.memsw.max_usage_in_bytes") >= memsw_limit;
}

void ContainerCgroup::remove() {
  if (dir_.empty()) return;
  const fs::path relative = relative_;
  if (v2_) {
    removeGroup("/sys/fs/cgroup", relative);
  } else {
    // runc created the same path in every v1 hierarchy (memory, cpu, pids, ...).
    std::error_code ec;
    for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      if (hierarchy.is_directory() && !hierarchy.is_symlink()) {
        removeGroup(hierarchy.path(), relative);
      }
    }
  }
  dir_.clear();
}

}  // namespace foundry::cell
