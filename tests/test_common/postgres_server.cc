#include "tests/test_common/postgres_server.h"

#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr int kStartAttempts = 3;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string readCommand(const char* command) {
  std::string out;
  FILE* p = popen(command, "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return trim(out);
}

std::string randomPassword() {
  std::random_device rd;
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) out.push_back(digits[rd() % 16]);
  return out;
}

void chownTree(const fs::path& root) {
  std::error_code ec;
  if (chown(root.c_str(), kNobody, kNogroup) != 0) return;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (lchown(entry.path().c_str(), kNobody, kNogroup) != 0) return;
  }
}

}  // namespace

std::string PostgresServer::findBinDir() {
  std::string bindir = readCommand("pg_config --bindir 2>/dev/null");
  if (!bindir.empty() && access((bindir + "/initdb").c_str(), X_OK) == 0) return bindir;
  // Debian's pg_config (libpq-dev) may point at /usr/bin, where initdb is not: take the newest
  // server version installed.
  glob_t g{};
  std::string best;
  int best_version = -1;
  if (glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string path = g.gl_pathv[i];
      std::string version = path.substr(std::strlen("/usr/lib/postgresql/"));
      int v = std::atoi(version.c_str());
      if (v > best_version) {
        best_version = v;
        best = fs::path(path).parent_path().string();
      }
    }
  }
  globfree(&g);
  return best;
}

PostgresServer::~PostgresServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PostgresServer::logs() const {
  std::ifstream in(dir_ + "/postgres.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

pid_t PostgresServer::spawn(const std::vector<std::string>& args, const std::string& log_file) {
  std::vector<std::string> full;
  if (geteuid() == 0) {
    // initdb/postgres refuse root. --pdeathsig: the uid change clears PR_SET_PDEATHSIG, so
    // setpriv sets it again, and the server dies with the test process.
    full = {"setpriv", "--reuid=" + std::to_string(kNobody), "--regid=" + std::to_string(kNogroup),
            "--clear-groups", "--pdeathsig=SIGKILL", "--"};
  }
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    last_error_ = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (chdir(dir_.c_str()) != 0) _exit(127);  // nobody may not enter the caller's cwd
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int PostgresServer::runAndWait(const std::vector<std::string>& args,
                               const std::string& log_file) {
  pid_t pid = spawn(args, log_file);
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool PostgresServer::initdb() {
  bin_dir_ = findBinDir();
  if (bin_dir_.empty()) {
    last_error_ =
        "PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin): "
        "run scripts/install-deps.sh";
    return false;
  }
  char tmpl[] = "/tmp/foundry-pg-XXXXXX";
  if (!mkdtemp(tmpl)) {
    last_error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  dir_ = tmpl;
  chmod(dir_.c_str(), 0755);
  password_ = randomPassword();
  password_file_ = dir_ + "/password";
  {
    std::ofstream out(password_file_);
    out << password_ << "\n";
  }
  fs::create_directory(dir_ + "/socket");
  if (geteuid() == 0) chownTree(dir_);
  std::string log = dir_ + "/initdb.log";
  int rc = runAndWait({bin_dir_ + "/initdb", "-D", dir_ + "/data", "-U", superuser(),
                       "--pwfile=" + password_file_, "-A", "scram-sha-256", "-E", "UTF8",
                       "--locale=C", "--no-sync"},
                      log);
  if (rc != 0) {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    last_error_ = "initdb failed (exit " + std::to_string(rc) + "):\n" + s.str();
    return false;
  }
  return true;
}

bool PostgresServer::ready() {
  std::string cmd = bin_dir_ + "/pg_isready -q -h 127.0.0.1 -p " + std::to_string(port_) +
                    " -t 1 >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

bool PostgresServer::launch(std::chrono::milliseconds timeout) {
  pid_ = spawn({bin_dir_ + "/postgres", "-D", dir_ + "/data", "-k", dir_ + "/socket", "-h",
                "127.0.0.1", "-p", std::to_string(port_), "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                "max_connections=200"},
               dir_ + "/postgres.log");
  if (pid_ < 0) return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      last_error_ = "postgres exited at start:\n" + logs();
      return false;
    }
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  last_error_ = "postgres did not accept connections in time:\n" + logs();
  stop();
  return false;
}

bool PostgresServer::start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) return true;
  if (dir_.empty() && !initdb()) return false;
  bool keep_port = port_ != 0;  // a restart keeps its port, so clients can reconnect
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (!keep_port) port_ = freeTcpPort();
    if (port_ == 0) {
      last_error_ = "no free port";
      continue;
    }
    if (launch(timeout)) return true;
  }
  return false;
}

void PostgresServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGINT);  // fast shutdown: ends sessions, no waiting for clients
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace foundry::test
