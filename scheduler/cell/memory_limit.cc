#include "scheduler/cell/memory_limit.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "common/log/log.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

constexpr char kCgroupMount[] = "/sys/fs/cgroup";

bool writeFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// The cgroup dir this cell's instances go under, or "" when cgroup v2 cannot be used.
std::string setUpCgroupRoot(const std::string& cell_id) {
  struct statfs info{};
  if (statfs(kCgroupMount, &info) != 0 || info.f_type != CGROUP2_SUPER_MAGIC) return "";
  if (access(kCgroupMount, W_OK) != 0) return "";
  std::string root = std::string(kCgroupMount) + "/foundry-" + cell_id;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return "";
  // The memory controller must be enabled for our group's children.
  writeFile(std::string(kCgroupMount) + "/cgroup.subtree_control", "+memory");
  if (!writeFile(root + "/cgroup.subtree_control", "+memory")) return "";
  return root;
}

}  // namespace

MemoryLimiter::MemoryLimiter(const std::string& cell_id, bool use_cgroup) {
  if (use_cgroup) cgroup_root_ = setUpCgroupRoot(cell_id);
  if (cgroup_root_.empty()) watchdog_ = std::thread([this] { watchLoop(); });
  log::info("cell", "memory-limits", {{"mode", mode()}});
}

MemoryLimiter::~MemoryLimiter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (!cgroup_root_.empty()) rmdir(cgroup_root_.c_str());
}

std::shared_ptr<MemoryLimiter::Handle> MemoryLimiter::prepare(const std::string& instance_guid,
                                                              int memory_mb) {
  auto handle = std::make_shared<Handle>();
  handle->limit_bytes = int64_t(memory_mb) * 1024 * 1024;
  if (cgroup_root_.empty() || memory_mb <= 0) return handle;
  std::string dir = cgroup_root_ + "/" + instance_guid;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return handle;
  writeFile(dir + "/memory.max", std::to_string(handle->limit_bytes));
  writeFile(dir + "/memory.swap.max", "0");
  writeFile(dir + "/memory.oom.group", "1");
  handle->cgroup_dir = dir;
  handle->procs_fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  return handle;
}

void MemoryLimiter::attach(const std::shared_ptr<Handle>& handle, pid_t pgid) {
  handle->pgid = pgid;
  if (handle->procs_fd >= 0) {
    close(handle->procs_fd);
    handle->procs_fd = -1;
  }
  if (!handle->cgroup_dir.empty() || handle->limit_bytes <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  watched_[handle.get()] = handle;
}

bool MemoryLimiter::exceeded(const std::shared_ptr<Handle>& handle) const {
  if (handle->exceeded) return true;
  if (handle->cgroup_dir.empty()) return false;
  std::ifstream events(handle->cgroup_dir + "/memory.events");
  std::string key;
  long long value = 0;
  while (events >> key >> value) {
    if (key == "oom_kill" && value > 0) return true;
  }
  return false;
}

void MemoryLimiter::release(const std::shared_ptr<Handle>& handle) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    watched_.erase(handle.get());
  }
  if (handle->procs_fd >= 0) {
    close(handle->procs_fd);
    handle->procs_fd = -1;
  }
  if (!handle->cgroup_dir.empty()) rmdir(handle->cgroup_dir.c_str());
}

int64_t MemoryLimiter::groupRssBytes(pid_t pgid) {
  static const long kPageSize = sysconf(_SC_PAGESIZE);
  int64_t total = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // Fields after the command (which may hold spaces and parentheses): state ppid pgrp ...
    size_t close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(line.substr(close_paren + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp != pgid) continue;
    // rss is field 24; we have read fields 3..5, so skip 6..23.
    std::string skip;
    for (int i = 6; i <= 23; ++i) fields >> skip;
    long long rss_pages = 0;
    if (fields >> rss_pages) total += rss_pages * kPageSize;
  }
  closedir(proc);
  return total;
}

void MemoryLimiter::watchLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (stopping_) break;
    std::vector<std::shared_ptr<Handle>> handles;
    for (auto& [ptr, handle] : watched_) handles.push_back(handle);
    lock.unlock();
    for (const auto& handle : handles) {
      if (handle->pgid <= 0 || handle->exceeded) continue;
      int64_t rss = groupRssBytes(handle->pgid);
      if (rss > handle->limit_bytes) {
        handle->exceeded = true;
        kill(-handle->pgid, SIGKILL);
        log::info("cell", "memory-limit-exceeded",
                  {{"pgid", std::to_string(handle->pgid)},
                   {"rss_mb", std::to_string(rss / (1024 * 1024))},
                   {"limit_mb", std::to_string(handle->limit_bytes / (1024 * 1024))}});
      }
    }
    lock.lock();
  }
}

}  // namespace foundry::cell
