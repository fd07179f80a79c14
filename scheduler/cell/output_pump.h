#pragma once
// Reads an instance's stdout and stderr pipes on its own thread, splitting them into lines:
// each line is appended to logs/stdout.log or logs/stderr.log and handed to `on_line`.
// finish() lets it drain what is left (bounded), then stops it: a grandchild that escaped the
// process group and still holds the pipes cannot keep it alive.
#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

namespace foundry::cell {

class OutputPump {
 public:
  using LineCallback = std::function<void(const std::string& line, bool is_stderr)>;

  // Takes ownership of both fds. Log files are opened in `logs_dir` (created when missing).
  OutputPump(int stdout_fd, int stderr_fd, const std::string& logs_dir, LineCallback on_line);
  ~OutputPump();  // finish()
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  void finish();

 private:
  void run();

  int fds_[2];
  FILE* files_[2] = {nullptr, nullptr};
  std::string partial_[2];
  LineCallback on_line_;
  std::atomic<bool> finishing_{false};
  std::thread thread_;
};

}  // namespace foundry::cell
