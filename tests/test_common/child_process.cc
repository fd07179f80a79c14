#include "tests/test_common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/net/http_client.h"

namespace foundry::test {

ChildProcess::ChildProcess(std::string name, std::string binary, std::vector<std::string> args,
                           std::string log_dir)
    : name_(std::move(name)), binary_(std::move(binary)), args_(std::move(args)),
      log_path_(log_dir + "/" + name_ + ".log") {}

ChildProcess::~ChildProcess() { stop(std::chrono::seconds(2)); }

bool ChildProcess::start() {
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return false;
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(log_fd);
    return false;
  }
  if (pid_ == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary_.c_str()));
    for (auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also from the parent: no race with signal()
  close(log_fd);
  exit_status_.reset();
  return true;
}

bool ChildProcess::reap(bool block) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    pid_ = -1;
    return true;
  }
  return false;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(false); }

void ChildProcess::signal(int sig) {
  if (pid_ > 0) kill(-pid_, sig);
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return -1;
  pid_t group = pid_;
  kill(-group, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (pid_ > 0) {
    kill(-group, SIGKILL);
    reap(true);
  }
  kill(-group, SIGKILL);  // anything the daemon left in its group
  return exit_status_.value_or(-1);
}

std::string ChildProcess::logs() const {
  std::ifstream in(log_path_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

bool waitHttpOk(const std::string& url, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (net::getJson(url, 1000).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace foundry::test
