#include "staging/common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace foundry::staging {
namespace {

struct LineSplitter {
  std::string pending;
  bool is_stderr = false;

  void feed(const char* data, size_t n, const LineCallback& cb) {
    pending.append(data, n);
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) {
        break;
      }
      size_t end = nl;
      if (end > start && pending[end - 1] == '\r') {
        --end;
      }
      if (cb) {
        cb(pending.substr(start, end - start), is_stderr);
      }
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  void flush(const LineCallback& cb) {
    if (!pending.empty() && cb) {
      cb(pending, is_stderr);
    }
    pending.clear();
  }
};

int decodeStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

std::vector<std::string> currentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

void setEnv(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  std::string prefix = name + "=";
  for (auto& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      entry = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

ProcessResult runProcess(const ProcessSpec& spec, std::chrono::steady_clock::time_point deadline,
                         const LineCallback& on_line) {
  ProcessResult result;
  if (spec.argv.empty()) {
    result.start_failed = true;
    result.error = "empty argv";
    return result;
  }
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.start_failed = true;
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    result.start_failed = true;
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  // Everything the child needs is prepared before fork (no allocation after it).
  std::vector<char*> argv;
  for (const auto& a : spec.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    result.start_failed = true;
    result.error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, 0);
    }
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    signal(SIGPIPE, SIG_DFL);
    if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) {
      const char msg[] = "stager: cannot chdir to the build dir\n";
      (void)!write(2, msg, sizeof(msg) - 1);
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "stager: exec failed: ";
    (void)!write(2, msg, sizeof(msg) - 1);
    const char* err = std::strerror(errno);
    (void)!write(2, err, std::strlen(err));
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so kill(-pid) works even before the child runs
  close(out_pipe[1]);
  close(err_pipe[1]);

  LineSplitter out_split;
  LineSplitter err_split;
  err_split.is_stderr = true;
  bool out_open = true;
  bool err_open = true;
  bool reaped = false;
  int status = 0;
  std::chrono::steady_clock::time_point drain_until{};
  char buf[8192];

  auto killGroup = [&] { kill(-pid, SIGKILL); };

  while (out_open || err_open) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      killGroup();
      break;
    }
    if (!reaped) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        reaped = true;
        drain_until = now + std::chrono::milliseconds(500);
      }
    } else if (now >= drain_until) {
      break;  // a leftover grandchild holds the pipes open
    }
    auto limit = reaped ? std::min(deadline, drain_until) : deadline;
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit - now).count();
    // Poll in short slices so the child's exit is noticed even if grandchildren keep the pipes.
    int timeout = static_cast<int>(std::max<long long>(0, std::min<long long>(wait_ms, 50)));
    pollfd fds[2];
    int n = 0;
    int out_idx = -1;
    int err_idx = -1;
    if (out_open) {
      out_idx = n;
      fds[n++] = {out_pipe[0], POLLIN, 0};
    }
    if (err_open) {
      err_idx = n;
      fds[n++] = {err_pipe[0], POLLIN, 0};
    }
    int rc = poll(fds, n, timeout);
    if (rc < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    auto service = [&](int idx, int fd, bool& open_flag, LineSplitter& splitter, bool capture) {
      if (idx < 0 || (fds[idx].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        return;
      }
      ssize_t got = read(fd, buf, sizeof(buf));
      if (got > 0) {
        if (capture) {
          result.stdout_text.append(buf, static_cast<size_t>(got));
        } else {
          splitter.feed(buf, static_cast<size_t>(got), on_line);
        }
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        open_flag = false;
      }
    };
    service(out_idx, out_pipe[0], out_open, out_split, spec.capture_stdout);
    service(err_idx, err_pipe[0], err_open, err_split, false);
  }
  out_split.flush(on_line);
  err_split.flush(on_line);
  close(out_pipe[0]);
  close(err_pipe[0]);
  // A child that closed its output but still runs is waited for, up to the deadline.
  while (!reaped && !result.timed_out) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      reaped = r == pid;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      break;
    }
    usleep(10 * 1000);
  }
  // Whatever is left of the group (background children, or everything on timeout) dies now.
  killGroup();
  if (!reaped) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.exit_code = result.timed_out ? 128 + SIGKILL : decodeStatus(status);
  return result;
}

}  // namespace foundry::staging
