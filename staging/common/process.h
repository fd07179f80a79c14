#pragma once
// Runs one buildpack script (or any program) as the leader of its own process group, with a
// deadline, streaming its output line by line as it arrives.
//
// Thread context: any thread; blocks until the child exits (or is killed at the deadline).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace foundry::staging {

// One complete line of output (without its trailing "\n" / "\r\n"), called on the caller's thread
// as soon as the line is read. `is_stderr` tells which stream it came from.
using LineCallback = std::function<void(const std::string& line, bool is_stderr)>;

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is the program path (no PATH search)
  std::string cwd;                // empty: inherit
  std::vector<std::string> env;   // full environment, "NAME=value" entries
  // When true, stdout is collected into ProcessResult::stdout_text instead of streamed
  // (bin/detect and bin/release); stderr is always streamed.
  bool capture_stdout = false;
};

struct ProcessResult {
  int exit_code = -1;       // exit status; 128+signal when killed by a signal; -1 if it never ran
  bool timed_out = false;   // the deadline passed: the whole process group got SIGKILL
  bool start_failed = false;  // fork/exec failed (error text in `error`)
  std::string error;
  std::string stdout_text;  // only with capture_stdout
};

// Runs `spec` until it exits or `deadline` passes. On the deadline the child's process group is
// killed with SIGKILL (so grandchildren die too). When the child exits while a background
// grandchild still holds its output pipes, the remaining output is drained briefly and the group
// is killed as well, so a buildpack cannot leave processes behind.
ProcessResult runProcess(const ProcessSpec& spec, std::chrono::steady_clock::time_point deadline,
                         const LineCallback& on_line);

// The current environment as "NAME=value" entries.
std::vector<std::string> currentEnvironment();
// Sets (replaces or appends) NAME=value in an environment list.
void setEnv(std::vector<std::string>& env, const std::string& name, const std::string& value);

}  // namespace foundry::staging
