#include "tests/test_common/nats_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

constexpr int kStartAttempts = 5;
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr auto kStopGrace = std::chrono::seconds(5);

// True when what listens on `port` greets as a NATS server does ("INFO {...}"). Accepting
// alone is not enough: between freeTcpPort() and nats-server's bind another test running in
// parallel may take the port, and our nats-server then exits while theirs answers.
bool greetsAsNats(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  timeval wait{0, 500 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char greeting[5] = {};
  size_t got = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    while (got < sizeof greeting) {
      ssize_t n = recv(fd, greeting + got, sizeof greeting - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
  }
  close(fd);
  return got == sizeof greeting && std::memcmp(greeting, "INFO ", sizeof greeting) == 0;
}

// Reaps `pid` if it has exited; true when it is gone.
bool reaped(pid_t pid, int* status) {
  pid_t r = waitpid(pid, status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

}  // namespace

NatsServer::NatsServer(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {}

NatsServer::~NatsServer() { stop(); }

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

bool NatsServer::start(std::chrono::milliseconds timeout) {
  stop();
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    port_ = freeTcpPort();
    if (port_ == 0) {
      last_error_ = "no free port";
      continue;
    }
    if (launch(timeout)) {
      return true;
    }
  }
  return false;
}

bool NatsServer::restart(std::chrono::milliseconds timeout) {
  stop();
  if (port_ == 0) {
    return start(timeout);
  }
  // The old listener's port can linger briefly; nats-server uses SO_REUSEADDR, but retry a
  // few times anyway rather than give up on the first bind failure.
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (launch(timeout)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool NatsServer::launch(std::chrono::milliseconds timeout) {
  std::string port_text = std::to_string(port_);
  std::vector<std::string> args = {"nats-server", "-a", "127.0.0.1", "-p", port_text};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  bool verbose = getenv("NATS_SERVER_LOG") != nullptr;
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    last_error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    if (!verbose) {
      int devnull = open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
      }
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (reaped(pid_, &status)) {
      pid_ = -1;
      last_error_ = "nats-server on port " + port_text + " exited during start-up (status " +
                    std::to_string(status) + ")";
      return false;
    }
    if (greetsAsNats(port_)) {
      // Ours, not a parallel test's NATS on the same port: ours would exit on its failed bind.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!reaped(pid_, &status)) return true;
      pid_ = -1;
      last_error_ = "nats-server on port " + port_text + " lost the port to another process";
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  last_error_ = "nats-server on port " + port_text + " did not accept connections in time";
  stop();
  return false;
}

void NatsServer::stop() {
  if (pid_ <= 0) {
    return;
  }
  kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (!reaped(pid_, &status)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

}  // namespace foundry::test
