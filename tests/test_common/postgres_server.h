#pragma once
// PostgresServer: a real PostgreSQL for one test (or a whole suite): initdb into a temp folder,
// postgres on 127.0.0.1:<free port> with password (scram-sha-256) auth for a superuser, and
// the folder removed again in the destructor. fsync is off: the data is thrown away anyway.
//
// initdb and postgres refuse to run as root, and CI runs as root: then both run as
// nobody:nogroup through setpriv (util-linux), with the folder chowned to that user.
// The binaries come from `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin.
// start() fails loudly when they are missing; tests assert on it, they never skip.
//
//   PostgresServer pg;
//   ASSERT_TRUE(pg.start()) << pg.lastError();
//   ... connect to pg.host():pg.port() as pg.superuser() / pg.password() ...

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace foundry::test {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // initdb (first call only) and start; false with lastError() (including the server's log).
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Fast shutdown (SIGINT), SIGKILL after 10 s. The data stays until the destructor.
  void stop();

  std::string host() const { return "127.0.0.1"; }
  uint16_t port() const { return port_; }
  std::string superuser() const { return "postgres"; }
  const std::string& password() const { return password_; }
  // A file holding password() (for --pg-admin-password-file style flags).
  const std::string& passwordFile() const { return password_file_; }
  const std::string& dir() const { return dir_; }
  const std::string& binDir() const { return bin_dir_; }
  const std::string& lastError() const { return last_error_; }
  std::string logs() const;

  // Where initdb/postgres live; "" when PostgreSQL is not installed.
  static std::string findBinDir();

 private:
  bool initdb();
  bool launch(std::chrono::milliseconds timeout);
  // Runs `args` (as nobody when we are root) and waits; its exit status, -1 when it could not.
  int runAndWait(const std::vector<std::string>& args, const std::string& log_file);
  pid_t spawn(const std::vector<std::string>& args, const std::string& log_file);
  bool ready();

  std::string bin_dir_, dir_, password_, password_file_, last_error_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace foundry::test
