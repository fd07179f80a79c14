#include "tests/test_common/registry_process.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/net/http_client.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/shell.h"

namespace foundry::test {
namespace {

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";
constexpr int kRegistryStartAttempts = 5;

std::string registryShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

RegistryProcess::RegistryProcess(RegistryAuth auth) : auth_(std::move(auth)) {
  char tmpl[] = "/tmp/foundry-registry-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) dir_ = tmpl;
}

RegistryProcess::~RegistryProcess() {
  stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string RegistryProcess::blobDataPath(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return dir_ + "/storage/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex +
         "/data";
}

std::string RegistryProcess::logs() const { return process_ ? process_->logs() : ""; }

bool RegistryProcess::writeConfig() {
  std::string auth_section;
  if (!auth_.username.empty()) {
    auto [rc, out] = runShell("htpasswd -Bbn " + registryShellQuote(auth_.username) + " " +
                              registryShellQuote(auth_.password));
    if (rc != 0) {
      last_error_ = "htpasswd (apache2-utils, see scripts/install-deps.sh) failed: " + out;
      return false;
    }
    std::ofstream(dir_ + "/htpasswd") << out;
    auth_section = "auth:\n  htpasswd:\n    realm: foundry-test\n    path: " + dir_ +
                   "/htpasswd\n";
  }
  std::ofstream config(dir_ + "/config.yml");
  config << "version: 0.1\n"
         << "log:\n  level: info\n"
         << "storage:\n  filesystem:\n    rootdirectory: " << dir_ << "/storage\n"
         << "  delete:\n    enabled: true\n"
         << "http:\n  addr: 127.0.0.1:" << port_ << "\n"
         << auth_section;
  return static_cast<bool>(config);
}

bool RegistryProcess::start(std::chrono::milliseconds timeout) {
  stop();
  if (dir_.empty()) {
    last_error_ = "cannot create a temp folder";
    return false;
  }
  if (access(kRegistryBinary, X_OK) != 0) {
    last_error_ = std::string(kRegistryBinary) +
                  " is missing: scripts/install-deps.sh installs docker-registry";
    return false;
  }
  for (int attempt = 0; attempt < kRegistryStartAttempts; ++attempt) {
    port_ = freeTcpPort();
    if (port_ != 0 && writeConfig() && launch(timeout)) return true;
    if (!auth_.username.empty() && last_error_.rfind("htpasswd", 0) == 0) return false;
  }
  return false;
}

bool RegistryProcess::launch(std::chrono::milliseconds timeout) {
  process_ = std::make_unique<ChildProcess>("registry-" + std::to_string(port_), kRegistryBinary,
                                            std::vector<std::string>{"serve", dir_ + "/config.yml"},
                                            dir_);
  if (!process_->start()) {
    last_error_ = "cannot start docker-registry";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) {
      last_error_ = "docker-registry exited during start-up: " + process_->logs();
      return false;
    }
    net::HttpRequest request;
    request.url = "http://" + address() + "/v2/";
    request.timeout_ms = 1000;
    request.connect_timeout_ms = 500;
    long status = net::perform(request).status;
    if (status == 200 || status == 401) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  last_error_ = "docker-registry did not answer on " + address() + " in time: " + process_->logs();
  stop();
  return false;
}

void RegistryProcess::stop() {
  if (process_) process_->stop();
}

}  // namespace foundry::test
