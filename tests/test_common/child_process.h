#pragma once
// ChildProcess: one daemon of the platform (controller, scheduler, cell, ...) run for a test.
// stdout and stderr go to a log file; the child gets PR_SET_PDEATHSIG(SIGKILL) so it dies with
// the test process, and runs in its own process group so stop() also takes what it started.
//
//   ChildProcess scheduler("scheduler", SCHEDULER_BINARY,
//                          {"--listen", "127.0.0.1:9023", "--secrets", secrets.dir()}, dir);
//   ASSERT_TRUE(scheduler.start());
//   ASSERT_TRUE(waitHttpOk("http://127.0.0.1:9023/ping")) << scheduler.logs();
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace foundry::test {

class ChildProcess {
 public:
  ChildProcess(std::string name, std::string binary, std::vector<std::string> args,
               std::string log_dir);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool start();  // false if fork failed; an exec failure shows in logs() and as exit 127
  // SIGTERM to the group, SIGKILL after `grace`; the wait(2) status or -1 if not running.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  void signal(int sig);  // to the whole group
  bool running();
  pid_t pid() const { return pid_; }
  std::string logs() const;
  const std::string& logPath() const { return log_path_; }
  const std::string& name() const { return name_; }

 private:
  bool reap(bool block);

  std::string name_, binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// Polls GET url until it answers 2xx; false on timeout.
bool waitHttpOk(const std::string& url,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace foundry::test
