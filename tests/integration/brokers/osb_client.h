#pragma once
// Helpers of the broker tests: an OSB client (basic auth, X-Broker-API-Version 2.17) and a
// broker process started on a free port with a password file.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/net/http_client.h"
#include "tests/test_common/child_process.h"

namespace foundry::test {

struct OsbReply {
  long status = 0;
  nlohmann::json body;  // discarded when the body is not JSON
  std::string raw;
  net::HttpResponse http;
};

class OsbClient {
 public:
  OsbClient(uint16_t port, std::string user, std::string password)
      : port_(port), user_(std::move(user)), password_(std::move(password)) {}

  // headers: extra "Name: value" pairs. `version` empty = no X-Broker-API-Version header.
  OsbReply call(const std::string& method, const std::string& target,
                const std::string& body = "",
                std::vector<std::pair<std::string, std::string>> headers = {},
                const std::string& version = "2.17", long timeout_ms = 15000) const;
  OsbReply call(const std::string& method, const std::string& target, const nlohmann::json& body) const {
    return call(method, target, body.dump());
  }
  // A call with other basic credentials ("" user = no Authorization header at all).
  OsbReply callAs(const std::string& user, const std::string& password, const std::string& method,
                  const std::string& target) const;

  // Polls GET target until the body's "state" is not "in progress" or the status is not 200;
  // gives up after `timeout` (the last reply is returned either way).
  OsbReply pollLastOperation(const std::string& target,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  std::string user_, password_;
};

std::string basicAuth(const std::string& user, const std::string& password);

// A broker binary on 127.0.0.1:<free port> with --username/--password-file; restartable on
// the same port.
class BrokerProcess {
 public:
  BrokerProcess(std::string name, std::string binary, std::vector<std::string> extra_args);
  ~BrokerProcess();
  // Starts and waits until GET /v2/catalog answers 200 (20 s).
  bool start();
  int stop();
  std::string logs() const { return process_ ? process_->logs() : ""; }
  OsbClient client() const { return OsbClient(port_, user_, password_); }
  uint16_t port() const { return port_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

 private:
  std::string name_, binary_, dir_, user_ = "broker", password_;
  std::vector<std::string> extra_args_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace foundry::test
