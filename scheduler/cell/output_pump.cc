#include "scheduler/cell/output_pump.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace foundry::cell {
namespace {
constexpr size_t kMaxLine = 64 * 1024;  // longer lines are cut into pieces of this size
}

OutputPump::OutputPump(int stdout_fd, int stderr_fd, const std::string& logs_dir,
                       LineCallback on_line)
    : fds_{stdout_fd, stderr_fd}, on_line_(std::move(on_line)) {
  std::error_code ec;
  std::filesystem::create_directories(logs_dir, ec);
  files_[0] = std::fopen((logs_dir + "/stdout.log").c_str(), "ae");
  files_[1] = std::fopen((logs_dir + "/stderr.log").c_str(), "ae");
  thread_ = std::thread([this] { run(); });
}

OutputPump::~OutputPump() {
  finish();
  for (FILE* f : files_) {
    if (f != nullptr) std::fclose(f);
  }
}

void OutputPump::finish() {
  finishing_ = true;
  if (thread_.joinable()) thread_.join();
  for (int& fd : fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

void OutputPump::run() {
  auto emit = [this](int stream, const std::string& line) {
    if (files_[stream] != nullptr) {
      std::fwrite(line.data(), 1, line.size(), files_[stream]);
      std::fputc('\n', files_[stream]);
      std::fflush(files_[stream]);
    }
    if (on_line_) on_line_(line, stream == 1);
  };
  std::chrono::steady_clock::time_point drain_deadline{};
  char buffer[16 * 1024];
  for (;;) {
    pollfd pfds[2];
    int count = 0;
    int stream_of[2];
    for (int s = 0; s < 2; ++s) {
      if (fds_[s] >= 0) {
        pfds[count] = {fds_[s], POLLIN, 0};
        stream_of[count++] = s;
      }
    }
    if (count == 0) break;
    if (finishing_) {
      auto now = std::chrono::steady_clock::now();
      if (drain_deadline == std::chrono::steady_clock::time_point{}) {
        drain_deadline = now + std::chrono::milliseconds(500);
      }
      if (now >= drain_deadline) break;
    }
    int ready = poll(pfds, count, 100);
    if (ready <= 0) {
      if (finishing_ && ready == 0) break;  // drained: nothing more came for 100 ms
      continue;
    }
    for (int i = 0; i < count; ++i) {
      if (pfds[i].revents == 0) continue;
      int s = stream_of[i];
      ssize_t n = read(fds_[s], buffer, sizeof(buffer));
      if (n <= 0) {
        close(fds_[s]);
        fds_[s] = -1;
        continue;
      }
      std::string& pending = partial_[s];
      pending.append(buffer, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = pending.find('\n', start)) != std::string::npos) {
        size_t end = nl > start && pending[nl - 1] == '\r' ? nl - 1 : nl;
        emit(s, pending.substr(start, end - start));
        start = nl + 1;
      }
      pending.erase(0, start);
      while (pending.size() >= kMaxLine) {
        emit(s, pending.substr(0, kMaxLine));
        pending.erase(0, kMaxLine);
      }
    }
  }
  for (int s = 0; s < 2; ++s) {
    if (!partial_[s].empty()) emit(s, partial_[s]);
    partial_[s].clear();
  }
}

}  // namespace foundry::cell
