// The real controller binary with a real broker process over HTTP: registering a broker,
// an async provision that survives a controller killed mid-poll (polling resumes after the
// restart, from the stored operation), and secrets that never reach a log file.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/test_common/child_process.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBrokerPassword = "broker-pw-never-logged-7f3a";

class ControllerServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-svc-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/broker-password") << kBrokerPassword;
    const uint16_t broker_port = freeTcpPort();
    broker_url_ = "http://127.0.0.1:" + std::to_string(broker_port);
    broker_ = std::make_unique<ChildProcess>(
        "test-broker", TEST_BROKER_BINARY,
        std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(broker_port),
                                 "--username", "broker-user", "--password-file",
                                 dir_ + "/broker-password", "--async-polls", "3"},
        dir_);
    ASSERT_TRUE(broker_->start());
    port_ = freeTcpPort();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    startController();
    admin_ = loginBearer(base_);
    ASSERT_FALSE(admin_.empty()) << controller_->logs();
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (broker_) broker_->stop();
    if (HasFailure()) {
      std::cerr << "kept " << dir_ << "\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  void startController() {
    std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", dir_ + "/data", "--scheduler", "",
                                     "--broker-poll-interval", "1", "--broker-timeout", "5",
                                     "--mitigation-retry", "1"};
    for (const auto& f : adminPasswordFlags(dir_)) args.push_back(f);
    controller_ = std::make_unique<ChildProcess>("controller", CONTROLLER_BINARY, args, dir_);
    ASSERT_TRUE(controller_->start());
    ASSERT_TRUE(waitHttpOk(base_ + "/v3", 10s)) << controller_->logs();
  }

  json callJson(const std::string& method, const std::string& path, const json& body = nullptr,
                long* status = nullptr) {
    net::HttpRequest r;
    r.method = method;
    r.url = base_ + path;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers = {{"Content-Type", "application/json"}};
    }
    auto resp = performAs(admin_, r);
    if (status) *status = resp.status;
    if (resp.status == 202) return json{{"job", resp.header("location")}};
    return resp.body.empty() ? json() : json::parse(resp.body, nullptr, false);
  }
  // Polls a job until it is COMPLETE or FAILED (or `limit` passes); its last state.
  json waitJob(const std::string& location, std::chrono::seconds limit = 30s) {
    const std::string path = location.substr(base_.size());
    json job;
    for (auto end = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(200ms)) {
      job = callJson("GET", path);
      if (job.is_object() && (job["state"] == "COMPLETE" || job["state"] == "FAILED")) break;
    }
    return job;
  }
  json brokerAdmin(const std::string& method, const std::string& path, const std::string& body = "") {
    net::HttpRequest r;
    r.method = method;
    r.url = broker_url_ + path;
    r.body = body;
    r.headers = {{"X-Broker-API-Version", "2.17"},
                 {"Content-Type", "application/json"},
                 {"Authorization", "Basic YnJva2VyLXVzZXI6YnJva2VyLXB3LW5ldmVyLWxvZ2dlZC03ZjNh"}};
    auto resp = net::perform(r);
    return json::parse(resp.body.empty() ? "null" : resp.body, nullptr, false);
  }
  void registerBroker() {
    long status = 0;
    json r = callJson("POST", "/v3/service_brokers",
                      {{"name", "fake"},
                       {"url", broker_url_},
                       {"authentication",
                        {{"type", "basic"},
                         {"credentials", {{"username", "broker-user"}, {"password", kBrokerPassword}}}}}},
                      &status);
    ASSERT_EQ(status, 202) << r;
    json job = waitJob(r["job"]);
    ASSERT_EQ(job["state"], "COMPLETE") << job;
  }
  std::string planGuid(const std::string& name) {
    json plans = callJson("GET", "/v3/service_plans?names=" + name);
    EXPECT_EQ(plans["resources"].size(), 1u) << plans;
    return plans["resources"].empty() ? "" : plans["resources"][0]["guid"].get<std::string>();
  }
  std::string defaultSpace() {
    return callJson("GET", "/v3/spaces")["resources"][0]["guid"];
  }

  std::string dir_, base_, broker_url_, admin_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> broker_, controller_;
};

TEST_F(ControllerServicesTest, AsyncProvisionResumesPollingAfterTheControllerIsKilled) {
  registerBroker();
  brokerAdmin("PUT", "/admin/config", R"({"async_polls":6})");
  long status = 0;
  json r = callJson("POST", "/v3/service_instances",
                    {{"type", "managed"},
                     {"name", "survivor"},
                     {"relationships",
                      {{"space", {{"data", {{"guid", defaultSpace()}}}}},
                       {"service_plan", {{"data", {{"guid", planGuid("async")}}}}}}}},
                    &status);
  ASSERT_EQ(status, 202) << r;
  const std::string job_path = r["job"].get<std::string>().substr(base_.size());
  // Wait for the first poll, then kill the controller without letting it finish anything.
  for (auto end = std::chrono::steady_clock::now() + 15s;
       std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(100ms)) {
    if (callJson("GET", job_path)["state"] == "POLLING") break;
  }
  ASSERT_EQ(callJson("GET", job_path)["state"], "POLLING");
  controller_->signal(SIGKILL);
  controller_->stop();
  brokerAdmin("DELETE", "/admin/requests");
  startController();
  admin_ = loginBearer(base_);
  json job = waitJob(r["job"]);
  EXPECT_EQ(job["state"], "COMPLETE") << job;
  json instances = callJson("GET", "/v3/service_instances?names=survivor");
  EXPECT_EQ(instances["resources"][0]["last_operation"]["state"], "succeeded") << instances;
  int polls_after_restart = 0;
  for (const auto& req : brokerAdmin("GET", "/admin/requests")) {
    if (req["path"].get<std::string>().find("last_operation") != std::string::npos) {
      ++polls_after_restart;
    }
  }
  EXPECT_GT(polls_after_restart, 0) << "the restarted controller resumed polling";
}

TEST_F(ControllerServicesTest, SecretsNeverReachALogFile) {
  registerBroker();
  long status = 0;
  json r = callJson("POST", "/v3/service_instances",
                    {{"type", "managed"},
                     {"name", "db"},
                     {"relationships",
                      {{"space", {{"data", {{"guid", defaultSpace()}}}}},
                       {"service_plan", {{"data", {{"guid", planGuid("sync")}}}}}}}},
                    &status);
  ASSERT_EQ(status, 202);
  ASSERT_EQ(waitJob(r["job"])["state"], "COMPLETE");
  const std::string si = callJson("GET", "/v3/service_instances?names=db")["resources"][0]["guid"];
  json app = callJson("POST", "/v3/apps",
                      {{"name", "web"},
                       {"relationships", {{"space", {{"data", {{"guid", defaultSpace()}}}}}}}});
  json bound = callJson("POST", "/v3/service_credential_bindings",
                        {{"type", "app"},
                         {"relationships",
                          {{"app", {{"data", {{"guid", app["guid"]}}}}},
                           {"service_instance", {{"data", {{"guid", si}}}}}}}},
                        &status);
  ASSERT_EQ(status, 202) << bound;
  ASSERT_EQ(waitJob(bound["job"])["state"], "COMPLETE");
  json bindings = callJson("GET", "/v3/service_credential_bindings?service_instance_guids=" + si);
  const std::string binding = bindings["resources"][0]["guid"];
  json details = callJson("GET", "/v3/service_credential_bindings/" + binding + "/details");
  const std::string password = details["credentials"]["password"];
  ASSERT_GE(password.size(), 8u) << details;
  json ups = callJson("POST", "/v3/service_instances",
                      {{"type", "user-provided"},
                       {"name", "ups"},
                       {"credentials", {{"api_key", "ups-key-never-logged-91b2"}}},
                       {"relationships", {{"space", {{"data", {{"guid", defaultSpace()}}}}}}}},
                      &status);
  ASSERT_EQ(status, 201);
  json env = callJson("GET", "/v3/apps/" + app["guid"].get<std::string>() + "/env");
  ASSERT_EQ(env["system_env_json"]["VCAP_SERVICES"]["fake-db"][0]["credentials"]["password"],
            password);
  // Stop both, so every line is flushed, then read every file they wrote.
  controller_->stop();
  broker_->stop();
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "broker-password" || name == "admin-password.txt") continue;  // the inputs
    const std::string text = readFile(entry.path().string());
    ++files;
    EXPECT_EQ(text.find(kBrokerPassword), std::string::npos) << entry.path();
    EXPECT_EQ(text.find(password), std::string::npos) << entry.path();
    EXPECT_EQ(text.find("ups-key-never-logged-91b2"), std::string::npos) << entry.path();
  }
  EXPECT_GE(files, 3) << "the logs and the database were read";
}

}  // namespace
}  // namespace foundry::test
