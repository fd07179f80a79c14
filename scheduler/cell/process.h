#pragma once
// Instance processes: spawned as the leader of a new session (so of their own process group),
// stdin from /dev/null, stdout/stderr on pipes; stopped as a group. Safe to call from a
// multi-threaded program: everything the child needs is prepared before fork().
#include <sys/types.h>

#include <string>
#include <vector>

namespace foundry::cell {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: the program path (no PATH search)
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;
  int cgroup_procs_fd = -1;       // when >= 0 the child writes "0" to it before exec
};

struct Spawned {
  pid_t pid = -1;                 // also the process group id
  int stdout_fd = -1, stderr_fd = -1;  // read ends, O_CLOEXEC
  std::string error;              // set when pid < 0
};

Spawned spawnGroupLeader(const SpawnSpec& spec);

struct ExitStatus {
  bool exited = false;  // the leader is gone (and reaped)
  int code = -1;        // exit code, or -1 when killed by a signal
  int signal = 0;
};
// waitpid(WNOHANG) once.
ExitStatus pollExit(pid_t pid);
// Blocks until the leader exits or `timeout_ms` passes (polling every 20 ms).
ExitStatus waitExit(pid_t pid, int timeout_ms);
// True while any process is in the group.
bool groupAlive(pid_t pgid);
// The environment of the cell's own helper commands (runc): the cell's PATH and nothing else.
std::vector<std::string> helperEnvironment();

// Runs a short command (argv[0] a path) to completion, bounded by `timeout_ms` (then killed);
// its stdout and stderr together in `output`. The exit code, or -1 when it did not exit.
int runCommand(const std::vector<std::string>& argv, int timeout_ms, std::string* output);

// "Exited with status 3" / "Exited with signal 9 (Killed)"
std::string describeExit(const ExitStatus& status);

}  // namespace foundry::cell
