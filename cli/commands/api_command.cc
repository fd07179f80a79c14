// foundry api [URL] [--unset]: set or show the API endpoint. Setting it logs out (cf does the
// same): the tokens and the target belong to the old endpoint.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct ApiOptions {
  std::string url;
  bool unset = false;
};

struct ApiInfo {
  std::string version;
  std::string uaa_url;
};

// The API version (links.cloud_controller_v3.meta.version) and the UAA (links.uaa.href, else
// links.login.href) from GET /, or an error when the URL does not answer like a Cloud
// Controller.
Result<ApiInfo> probeApi(const CcClient& client) {
  auto root = client.get("/");
  if (!root) return Result<ApiInfo>::fail(root.error());
  const json& body = root->body;
  const json links = body.is_object() ? body.value("links", json::object()) : json::object();
  if (!links.is_object() || !links.contains("cloud_controller_v3") ||
      !links["cloud_controller_v3"].is_object()) {
    return Result<ApiInfo>::fail("Request error: " + client.baseUrl() +
                                 " does not look like a Cloud Controller (GET / has no "
                                 "links.cloud_controller_v3).");
  }
  ApiInfo info;
  const json& v3 = links["cloud_controller_v3"];
  if (v3.contains("meta") && v3["meta"].is_object()) info.version = v3["meta"].value("version", "");
  for (const char* name : {"uaa", "login"}) {
    if (info.uaa_url.empty() && links.contains(name) && links[name].is_object()) {
      info.uaa_url = links[name].value("href", "");
    }
  }
  while (!info.uaa_url.empty() && info.uaa_url.back() == '/') info.uaa_url.pop_back();
  return Result<ApiInfo>::ok(info);
}

std::string normaliseUrl(std::string url) {
  // No scheme: http, since this platform's controller serves plain HTTP (cf would say https).
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

int showApi(Context& context) {
  Ui& ui = context.ui();
  const Config& config = context.config();
  if (config.api.empty()) {
    ui.say("No API endpoint set. Use 'foundry api' to set an endpoint");
    return 0;
  }
  std::string version = config.api_version;
  auto probed = probeApi(CcClient(config.api, 5000));
  if (probed) version = probed->version;
  ui.keyValues({{"API endpoint", config.api}, {"API version", version}});
  if (!probed) ui.warn("(not reachable now: " + probed.error() + ")");
  return 0;
}

int setApi(Context& context, const ApiOptions& options) {
  Ui& ui = context.ui();
  std::string url = normaliseUrl(options.url);
  ui.say("Setting API endpoint to " + url + "...");
  Status set = setApiEndpoint(context, url);
  if (!set) return ui.failed(set.error());
  ui.ok();
  ui.newline();
  ui.keyValues({{"API endpoint", url}, {"API version", context.config().api_version}});
  ui.newline();
  ui.say(kNotLoggedIn);
  return 0;
}

}  // namespace

Status setApiEndpoint(Context& context, const std::string& raw_url) {
  std::string url = normaliseUrl(raw_url);
  auto info = probeApi(CcClient(url));
  if (!info) return Status::fail(info.error());
  Config& config = context.config();
  config.api = url;
  config.api_version = info->version;
  config.uaa_url = info->uaa_url.empty() ? url + "/uaa" : info->uaa_url;
  config.clearTokens();
  config.clearOrg();
  return saveConfig(config);
}

void printTarget(Context& context) {
  Ui& ui = context.ui();
  const Config& config = context.config();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"API endpoint", config.api}, {"API version", config.api_version}, {"user", context.userName()}};
  if (!config.org_guid.empty()) rows.emplace_back("org", config.org_name);
  if (!config.space_guid.empty()) rows.emplace_back("space", config.space_name);
  ui.keyValues(rows);
  if (config.org_guid.empty()) {
    ui.say("No org or space targeted, use 'foundry target -o ORG -s SPACE'");
  } else if (config.space_guid.empty()) {
    ui.say("No space targeted, use 'foundry target -s SPACE'");
  }
}

void addApiCommands(CommandTable& table) {
  auto options = std::make_shared<ApiOptions>();
  Context& context = table.context();
  CLI::App* api = table.add("api", "Set or view the target API URL", [options, &context] {
    if (options->unset) {
      context.config() = Config{};
      Status saved = saveConfig(context.config());
      if (!saved) return context.ui().failed(saved.error());
      context.ui().say("Unsetting API endpoint...");
      context.ui().ok();
      return 0;
    }
    return options->url.empty() ? showApi(context) : setApi(context, *options);
  });
  api->add_option("URL", options->url, "API endpoint, e.g. http://127.0.0.1:9022");
  api->add_flag("--unset", options->unset, "Remove the API endpoint, the login and the target");
  api->footer("Examples:\n  foundry api http://127.0.0.1:9022\n  foundry api");
}

}  // namespace foundry::cli
