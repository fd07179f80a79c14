#include "cli/commands/context.h"

#include <CLI/CLI.hpp>

namespace foundry::cli {

using nlohmann::json;

Status Context::load() {
  auto loaded = loadConfig();
  if (!loaded) return Status::fail(loaded.error());
  config_ = *loaded;
  return okStatus();
}

Status Context::refreshTokens() {
  std::string uaa = config_.uaa_url;
  if (uaa.empty()) uaa = config_.api + "/uaa";  // configs written before login existed
  UaaClient client(uaa);
  Result<TokenSet> tokens = Result<TokenSet>::fail("");
  if (isClientLogin()) {
    tokens = client.clientCredentialsGrant(config_.client_id, config_.client_secret);
  } else if (!config_.refresh_token.empty()) {
    tokens = client.refreshGrant(config_.refresh_token);
  }
  if (!tokens) return Status::fail(kNotLoggedIn);
  config_.access_token = tokens->access_token;
  if (!tokens->refresh_token.empty()) config_.refresh_token = tokens->refresh_token;
  if (session_) session_->access_token = config_.access_token;
  return saveConfig(config_);
}

Status Context::saveTokens(const TokenSet& tokens, const std::string& grant_type,
                          const std::string& client_id, const std::string& client_secret) {
  config_.access_token = tokens.access_token;
  config_.refresh_token = tokens.refresh_token;
  config_.grant_type = grant_type;
  config_.client_id = client_id;
  config_.client_secret = client_secret;
  if (session_) session_->access_token = config_.access_token;
  return saveConfig(config_);
}

Result<CcClient> Context::client() {
  if (config_.api.empty()) {
    return Result<CcClient>::fail("No API endpoint set. Use 'foundry api' to set an endpoint");
  }
  if (!session_) {
    session_ = std::make_shared<AuthSession>();
    session_->refresh = [this] { return refreshTokens(); };
  }
  session_->access_token = config_.access_token;
  return Result<CcClient>::ok(CcClient(config_.api, 30000, session_));
}

Result<CcClient> Context::loggedInClient() {
  auto api = client();
  if (!api) return api;
  if (!config_.loggedIn()) return Result<CcClient>::fail(kNotLoggedIn);
  return api;
}

Result<CcClient> Context::orgTargetedClient() {
  auto api = loggedInClient();
  if (!api) return api;
  if (config_.org_guid.empty()) return Result<CcClient>::fail(kNoOrgTarget);
  return api;
}

Result<CcClient> Context::targetedClient() {
  auto api = loggedInClient();
  if (!api) return api;
  if (config_.org_guid.empty()) return Result<CcClient>::fail(kNoTarget);
  if (config_.space_guid.empty()) return Result<CcClient>::fail(kNoSpaceTarget);
  return api;
}

std::string Context::userName() const { return tokenUserName(config_.access_token); }
std::string Context::userGuid() const { return tokenUserGuid(config_.access_token); }

std::string Context::where() const {
  return "org " + config_.org_name + " / space " + config_.space_name + " as " + userName();
}

CcClient Context::logCache(const CcClient& api) const {
  auto root = api.get("/");
  if (root && root->body.is_object()) {
    const json& links = root->body.value("links", json::object());
    if (links.is_object() && links.contains("log_cache") && links["log_cache"].is_object()) {
      std::string href = links["log_cache"].value("href", "");
      if (!href.empty()) return api.withBase(href);
    }
  }
  return api;
}

CLI::App* CommandTable::add(const std::string& name, const std::string& description,
                            std::function<int()> run) {
  CLI::App* sub = root_.add_subcommand(name, description);
  handlers_.emplace_back(sub, std::move(run));
  return sub;
}

std::function<int()> CommandTable::parsedHandler() const {
  for (const auto& [sub, run] : handlers_) {
    if (sub->parsed()) return run;
  }
  return nullptr;
}

}  // namespace foundry::cli
