#include "tests/integration/brokers/osb_client.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/test_common/ports.h"

namespace foundry::test {

std::string basicAuth(const std::string& user, const std::string& password) {
  std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

OsbReply OsbClient::call(const std::string& method, const std::string& target,
                         const std::string& body,
                         std::vector<std::pair<std::string, std::string>> headers,
                         const std::string& version, long timeout_ms) const {
  net::HttpRequest req;
  req.method = method;
  req.url = "http://127.0.0.1:" + std::to_string(port_) + target;
  req.body = body;
  req.timeout_ms = timeout_ms;
  req.headers = std::move(headers);
  if (!version.empty()) req.headers.emplace_back("X-Broker-API-Version", version);
  if (!user_.empty()) req.headers.emplace_back("Authorization", basicAuth(user_, password_));
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  OsbReply reply;
  reply.http = net::perform(req);
  reply.status = reply.http.status;
  reply.raw = reply.http.body;
  reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
  return reply;
}

OsbReply OsbClient::callAs(const std::string& user, const std::string& password,
                           const std::string& method, const std::string& target) const {
  OsbClient other(port_, user, password);
  return other.call(method, target);
}

OsbReply OsbClient::pollLastOperation(const std::string& target,
                                      std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  OsbReply r;
  do {
    r = call("GET", target);
    if (r.status != 200 || !r.body.is_object() || r.body.value("state", "") != "in progress") {
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return r;
}

BrokerProcess::BrokerProcess(std::string name, std::string binary,
                             std::vector<std::string> extra_args)
    : name_(std::move(name)), binary_(std::move(binary)), extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/foundry-broker-XXXXXX";
  dir_ = mkdtemp(tmpl) ? tmpl : "/tmp";
  std::random_device rd;
  // Characters that need care in a basic auth header and a URL, on purpose.
  password_ = "p@ss:" + std::to_string(rd()) + "/x";
  std::ofstream(dir_ + "/password") << password_ << "\n";
}

BrokerProcess::~BrokerProcess() {
  stop();
  std::error_code ec;
  if (dir_ != "/tmp") std::filesystem::remove_all(dir_, ec);
}

bool BrokerProcess::start() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = freeTcpPort();
    std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--username", user_, "--password-file", dir_ + "/password"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    process_ = std::make_unique<ChildProcess>(name_, binary_, args, dir_);
    if (!process_->start()) return false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && process_->running()) {
      if (client().call("GET", "/v2/catalog", "", {}, "2.17", 1000).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (process_->running()) return false;  // up but not answering: a real failure
  }
  return false;
}

int BrokerProcess::stop() { return process_ ? process_->stop() : -1; }

}  // namespace foundry::test
