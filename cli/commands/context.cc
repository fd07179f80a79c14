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

Result<CcClient> Context::client() const {
  if (config_.api.empty()) {
    return Result<CcClient>::fail("No API endpoint set. Use 'foundry api' to set an endpoint");
  }
  return Result<CcClient>::ok(CcClient(config_.api));
}

Status resolveDefaultTarget(const CcClient& client, Config& config) {
  auto org = client.first("/v3/organizations?order_by=created_at&per_page=1");
  if (!org) return Status::fail(org.error());
  if (org->is_null()) return Status::fail("The API lists no organization to target.");
  auto space = client.first("/v3/spaces?organization_guids=" + (*org)["guid"].get<std::string>() +
                            "&order_by=created_at&per_page=1");
  if (!space) return Status::fail(space.error());
  if (space->is_null()) {
    return Status::fail("Organization " + (*org).value("name", "") + " has no space to target.");
  }
  config.org_guid = (*org).value("guid", "");
  config.org_name = (*org).value("name", "");
  config.space_guid = (*space).value("guid", "");
  config.space_name = (*space).value("name", "");
  return okStatus();
}

Status Context::ensureTarget(const CcClient& client) {
  if (!config_.space_guid.empty() && !config_.org_guid.empty()) return okStatus();
  Status status = resolveDefaultTarget(client, config_);
  if (!status) return status;
  return saveConfig(config_);
}

Result<CcClient> Context::targetedClient() {
  auto api = client();
  if (!api) return api;
  Status target = ensureTarget(*api);
  if (!target) return Result<CcClient>::fail(target.error());
  return api;
}

std::string Context::where() const {
  return "org " + config_.org_name + " / space " + config_.space_name;
}

CcClient Context::logCache(const CcClient& api) const {
  auto root = api.get("/");
  if (root && root->body.is_object()) {
    const json& links = root->body.value("links", json::object());
    if (links.is_object() && links.contains("log_cache") && links["log_cache"].is_object()) {
      std::string href = links["log_cache"].value("href", "");
      if (!href.empty()) return CcClient(href);
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
