#pragma once
// RegistryProcess: a real Docker registry (Debian's docker-registry, Distribution v2) for one
// test or suite: filesystem storage in a temp folder, plain HTTP on 127.0.0.1:<free port>,
// optionally behind htpasswd (bcrypt) basic auth. The folder goes with the destructor.
//
//   RegistryProcess registry;                          // or RegistryProcess({"alice", "pw"})
//   ASSERT_TRUE(registry.start()) << registry.lastError();
//   ... push to registry.address() ("127.0.0.1:PORT") with skopeo, pull with the client ...
//
// Fails loudly (never skips) when docker-registry or htpasswd (apache2-utils) is missing:
// scripts/install-deps.sh installs both.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace foundry::test {

class ChildProcess;

struct RegistryAuth {
  std::string username, password;  // empty username: no auth
};

class RegistryProcess {
 public:
  explicit RegistryProcess(RegistryAuth auth = {});
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  // Starts on a free port (another one if the bind fails) and returns once GET /v2/ answers.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void stop();

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  // The file the registry serves blob `digest` ("sha256:<hex>") from, for corruption tests.
  std::string blobDataPath(const std::string& digest) const;
  const std::string& lastError() const { return last_error_; }
  std::string logs() const;

 private:
  bool writeConfig();
  bool launch(std::chrono::milliseconds timeout);

  RegistryAuth auth_;
  std::string dir_, last_error_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace foundry::test
