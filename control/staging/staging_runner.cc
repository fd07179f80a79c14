#include "control/staging/staging_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/staging/docker_staging.h"
#include "control/staging/stager_outcome.h"
#include "control/staging/staging_errors.h"
#include "control/staging/scoped_temp_dir.h"
#include "common/log/log.h"
#include "staging/droplet/archive.h"

extern char** environ;

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxLine = 64 * 1024;  // longer output is split into several lines

// Splits a stream into lines; emits complete ones (without "\n" / "\r\n").
class LineSplitter {
 public:
  template <typename Emit>
  void feed(const char* data, size_t n, Emit emit) {
    pending_.append(data, n);
    size_t start = 0;
    while (true) {
      size_t nl = pending_.find('\n', start);
      if (nl == std::string::npos) break;
      size_t end = nl > start && pending_[nl - 1] == '\r' ? nl - 1 : nl;
      emit(pending_.substr(start, end - start));
      start = nl + 1;
    }
    pending_.erase(0, start);
    while (pending_.size() > kMaxLine) {
      emit(pending_.substr(0, kMaxLine));
      pending_.erase(0, kMaxLine);
    }
  }
  template <typename Emit>
  void finish(Emit emit) {
    if (!pending_.empty()) emit(pending_);
    pending_.clear();
  }

 private:
  std::string pending_;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string defaultStagerPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "stager";
  return (self.parent_path() / "stager").string();
}

StagingRunner::StagingRunner(StagingRunnerConfig config, Blobstore& blobs, LineSink on_line,
                             DoneSink on_done)
    : config_(std::move(config)),
      blobs_(blobs),
      on_line_(std::move(on_line)),
      on_done_(std::move(on_done)) {}

StagingRunner::~StagingRunner() {
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (const auto& [build, pid] : running_) {
      kill(-pid, SIGKILL);
    }
    workers.swap(workers_);
  }
  for (auto& w : workers) {
    if (w.thread.joinable()) w.thread.join();
  }
}

void StagingRunner::reapFinished() {
  // Called with mu_ held.
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (*it->done) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void StagingRunner::stage(const StagingTask& task) {
  std::lock_guard<std::mutex> lock(mu_);
  reapFinished();
  auto done = std::make_shared<bool>(false);
  Worker w;
  w.done = done;
  w.thread = std::thread([this, task, done] {
    StagingResult result = run(task);
    on_done_(std::move(result));
    std::lock_guard<std::mutex> l(mu_);
    *done = true;
  });
  workers_.push_back(std::move(w));
}

int StagingRunner::runStager(const std::vector<std::string>& argv, const std::string& app_guid,
                             const std::string& build_guid, std::string* start_error) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    *start_error = "pipe failed";
    return -1;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    *start_error = "pipe failed";
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: killing -pid takes its children
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rc = stopping_ ? ECANCELED
                   : posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
    if (rc == 0) running_[build_guid] = pid;
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    *start_error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }

  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<long long>(
                         (config_.timeout_seconds + 30) * 1000));
  LineSplitter split[2];
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  int status = 0;
  bool exited = false, killed = false;
  Clock::time_point drain_until{};
  while (open_fds > 0) {
    auto now = Clock::now();
    if (!killed && now >= deadline) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      drain_until = now + std::chrono::seconds(1);  // a leftover child may hold the pipes
    }
    if (exited && now >= drain_until) break;
    int n = poll(fds, 2, 100);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        split[i].feed(buf, static_cast<size_t>(got),
                      [&](const std::string& line) { on_line_(app_guid, line, i == 1); });
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (int i = 0; i < 2; ++i) {
    split[i].finish([&](const std::string& line) { on_line_(app_guid, line, i == 1); });
    if (fds[i].fd >= 0) close(fds[i].fd);
  }
  kill(-pid, SIGKILL);  // nothing of the staging may outlive it
  if (!exited) waitpid(pid, &status, 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(build_guid);
  }
  if (killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) return 124;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

StagingResult StagingRunner::run(const StagingTask& task) {
  if (task.docker) {
    return stageDockerImage(task, [&](const std::string& line) {
      on_line_(task.app_guid, line, false);
    });
  }
  StagingResult result;
  result.build_guid = task.build_guid;
  result.app_guid = task.app_guid;
  auto fail = [&](int code, const std::string& detail) {
    result.ok = false;
    result.exit_code = code;
    result.error = stagingErrorFor(code, detail);
    log::warn("controller", "staging-failed",
              {{"build", task.build_guid}, {"app", task.app_guid}, {"error", result.error}});
    return result;
  };

  ScopedTempDir work;
  try {
    work.path = blobs_.makeTempDir("staging");
  } catch (const BlobError& e) {
    return fail(1, e.what());
  }
  auto package = blobs_.blobPath(task.package_sha256);
  if (!package) return fail(1, "the package bits are missing from the blobstore");
  const std::string app = work.path + "/app";
  if (std::string err = staging::extractArchive(*package, app); !err.empty()) {
    return fail(1, "cannot extract the package: " + err);
  }
  std::ostringstream timeout;
  timeout << config_.timeout_seconds;
  std::vector<std::string> argv = {config_.stager_path,
                                   "--app", app,
                                   "--droplet", work.path + "/droplet.tgz",
                                   "--cache", work.path + "/cache",
                                   "--output-cache", work.path + "/cache-out.tgz",
                                   "--result", work.path + "/result.json",
                                   "--timeout", timeout.str(),
                                   "--stack", task.stack};
  if (auto cache = blobs_.buildpackCachePath(task.app_guid)) {
    argv.insert(argv.end(), {"--input-cache", *cache});
  }
  if (!config_.system_buildpacks_dir.empty()) {
    argv.insert(argv.end(), {"--system-buildpacks", config_.system_buildpacks_dir});
  }
  for (const auto& bp : task.buildpacks) argv.insert(argv.end(), {"-b", bp});
  // The environment goes in a file only the stager reads (0600): it holds the app's secrets
  // (VCAP_SERVICES credentials), which an argument list would show to every local user.
  {
    json env = json::object();
    for (const auto& [k, v] : task.environment) env[k] = v;
    const std::string env_path = work.path + "/env.json";
    int fd = ::open(env_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const std::string text = env.dump();
    const bool written =
        fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) ::close(fd);
    if (!written) return fail(1, "cannot write the staging environment");
    argv.insert(argv.end(), {"--env-file", env_path});
  }

  log::info("controller", "staging-started",
            {{"build", task.build_guid}, {"app", task.app_guid}});
  std::string start_error;
  int code = runStager(argv, task.app_guid, task.build_guid, &start_error);
  if (code < 0) return fail(1, start_error);

  const std::string outcome = readFile(work.path + "/result.json");
  if (code != 0) return fail(code, stagerError(outcome));
  if (!readStagerOutcome(outcome, &result)) return fail(1, "the stager wrote no result");
  try {
    result.droplet_sha256 = blobs_.putFile(work.path + "/droplet.tgz");
    std::error_code ec;
    if (fs::exists(work.path + "/cache-out.tgz", ec)) {
      blobs_.putBuildpackCache(task.app_guid, work.path + "/cache-out.tgz");
    }
  } catch (const BlobError& e) {
    return fail(1, std::string("cannot store the droplet: ") + e.what());
  }
  result.ok = true;
  result.exit_code = 0;
  log::info("controller", "staging-succeeded",
            {{"build", task.build_guid}, {"app", task.app_guid},
             {"droplet_sha256", result.droplet_sha256}});
  return result;
}

}  // namespace foundry::control
