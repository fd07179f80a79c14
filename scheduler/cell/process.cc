#include "scheduler/cell/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace foundry::cell {

Spawned spawnGroupLeader(const SpawnSpec& spec) {
  Spawned result;
  if (spec.argv.empty()) {
    result.error = "nothing to run";
    return result;
  }
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    close(out[0]);
    close(out[1]);
    return result;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  const int procs_fd = spec.cgroup_procs_fd;

  pid_t pid = fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    setsid();
    if (procs_fd >= 0 && write(procs_fd, "0", 1) < 0) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);  // the cell ignores SIGPIPE; apps expect the default
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);  // no fd of the cell leaks into the app
    if (cwd != nullptr && chdir(cwd) != 0) {
      const char msg[] = "cell: cannot enter the instance directory\n";
      (void)!write(2, msg, sizeof(msg) - 1);
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "cell: cannot execute the launcher\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(127);
  }
  int fork_errno = errno;
  close(out[1]);
  close(err[1]);
  if (devnull >= 0) close(devnull);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    result.error = std::string("fork: ") + std::strerror(fork_errno);
    return result;
  }
  // The child calls setsid() itself; setting the group here too closes the race where we
  // signal the group before the child got to run.
  setpgid(pid, pid);
  result.pid = pid;
  result.stdout_fd = out[0];
  result.stderr_fd = err[0];
  return result;
}

ExitStatus pollExit(pid_t pid) {
  ExitStatus status;
  int wstatus = 0;
  pid_t r = waitpid(pid, &wstatus, WNOHANG);
  if (r == pid) {
    status.exited = true;
    if (WIFEXITED(wstatus)) status.code = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) status.signal = WTERMSIG(wstatus);
  } else if (r < 0 && errno == ECHILD) {
    status.exited = true;  // already reaped elsewhere: treat as gone
  }
  return status;
}

ExitStatus waitExit(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    ExitStatus status = pollExit(pid);
    if (status.exited || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> helperEnvironment() {
  const char* path = std::getenv("PATH");
  return path ? std::vector<std::string>{std::string("PATH=") + path} : std::vector<std::string>{};
}

int runCommand(const std::vector<std::string>& argv, int timeout_ms, std::string* output) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = helperEnvironment();
  Spawned spawned = spawnGroupLeader(spec);
  if (spawned.pid < 0) {
    *output = spawned.error;
    return -1;
  }
  output->clear();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{spawned.stdout_fd, POLLIN, 0}, {spawned.stderr_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (auto& fd : fds) {
      if (fd.fd < 0 || fd.revents == 0) continue;
      ssize_t n = read(fd.fd, buf, sizeof(buf));
      if (n > 0) {
        output->append(buf, static_cast<size_t>(n));
      } else {
        close(fd.fd);
        fd.fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  ExitStatus status = waitExit(spawned.pid, 0);
  if (!status.exited) {
    kill(-spawned.pid, SIGKILL);
    status = waitExit(spawned.pid, 2000);
  }
  return status.exited && status.signal == 0 ? status.code : -1;
}

bool groupAlive(pid_t pgid) { return pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM); }

std::string describeExit(const ExitStatus& status) {
  if (status.signal != 0) {
    const char* name = strsignal(status.signal);
    return "Exited with signal " + std::to_string(status.signal) + " (" +
           (name ? name : "unknown") + ")";
  }
  return "Exited with status " + std::to_string(status.code);
}

}  // namespace foundry::cell
