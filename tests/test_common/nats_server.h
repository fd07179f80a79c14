#pragma once
// NatsServer: a real `nats-server -a 127.0.0.1 -p <port>` child process for tests.
//
//   NatsServer nats;
//   ASSERT_TRUE(nats.start()) << nats.lastError();
//   config.nats_hosts = {{"127.0.0.1", nats.port()}};
//   ...
//   nats.stop();                  // outage: clients see the connection drop
//   ASSERT_TRUE(nats.restart());  // same port, so clients reconnect on their own
//
// start() picks a free port (retrying with another one if nats-server fails to bind) and
// returns once the server accepts TCP connections. The child gets SIGKILL if the test process
// dies, and the destructor stops it. Not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace foundry::test {

class NatsServer {
 public:
  // `extra_args` are appended to the command line, e.g. {"--user", "u", "--pass", "p"}.
  explicit NatsServer(std::vector<std::string> extra_args = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts on a fresh free port. False (see lastError()) if it never came up.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Terminates the server and waits for it to exit (SIGTERM, then SIGKILL after 5 s).
  // The port is kept for restart().
  void stop();
  // Starts again on the same port as before.
  bool restart(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  // "nats://127.0.0.1:<port>"
  std::string url() const;
  const std::string& lastError() const { return last_error_; }

 private:
  // Spawns on port_ and waits until it accepts; false if the process exited or timed out.
  bool launch(std::chrono::milliseconds timeout);

  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string last_error_;
};

}  // namespace foundry::test
