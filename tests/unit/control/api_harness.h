#pragma once
// An Api over a real SqliteStore in a temp folder, with a token service (test_tokens.h), for
// tests that drive the controller without HTTP. call() sends one request as the caller whose
// Authorization header it is given, then runs pending jobs, as the server does after a 202.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control/api/api.h"
#include "control/store/sqlite_store.h"
#include "tests/unit/control/test_tokens.h"

namespace foundry::control::test_support {

class ApiHarness {
 public:
  explicit ApiHarness(const std::string& name, ApiConfig config = {}) : config_(config) {
    std::string tmpl = "/tmp/control-" + name + "-XXXXXX";
    if (mkdtemp(tmpl.data())) dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    api_ = std::make_unique<Api>(*store_, config_);
    api_->bootstrap();
    tokens_ = std::make_unique<TestTokens>(*store_);
    api_->useTokenService(tokens_->service.get());
  }
  ~ApiHarness() {
    api_.reset();
    tokens_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  ApiResponse call(const std::string& authorization, const std::string& method,
                   const std::string& target, const std::string& body = "",
                   const std::string& content_type = "application/json") {
    ApiRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    r.base_url = kBase;
    r.content_type = content_type;
    r.authorization = authorization;
    ApiResponse resp = api_->handle(r);
    api_->runPendingJobs();
    return resp;
  }
  ApiResponse call(const std::string& authorization, const std::string& method,
                   const std::string& target, const nlohmann::json& body) {
    return call(authorization, method, target, body.is_null() ? std::string() : body.dump());
  }
  // The path of a 202's Location (the job).
  static std::string jobPath(const ApiResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Location") return v.substr(std::string(kBase).size());
    }
    return "";
  }

  Api& api() { return *api_; }
  // A new Api over the same store, as after a controller restart (nothing in memory kept).
  void restartApi() {
    api_ = std::make_unique<Api>(*store_, config_);
    api_->bootstrap();
    api_->useTokenService(tokens_->service.get());
  }
  const std::string& dir() const { return dir_; }
  SqliteStore& store() { return *store_; }
  TestTokens& tokens() { return *tokens_; }

  static constexpr const char* kBase = "http://api.test";

 private:
  ApiConfig config_;
  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<TestTokens> tokens_;
};

}  // namespace foundry::control::test_support
