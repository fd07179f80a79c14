// foundry api [URL] [--unset]: set or show the API endpoint.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct ApiOptions {
  std::string url;
  bool unset = false;
};

// The API version from GET / (links.cloud_controller_v3.meta.version), or an error when the
// URL does not answer like a Cloud Controller.
Result<std::string> probeApi(const CcClient& client) {
  auto root = client.get("/");
  if (!root) return Result<std::string>::fail(root.error());
  const json& body = root->body;
  const json links = body.is_object() ? body.value("links", json::object()) : json::object();
  if (!links.is_object() || !links.contains("cloud_controller_v3") ||
      !links["cloud_controller_v3"].is_object()) {
    return Result<std::string>::fail("Request error: " + client.baseUrl() +
                                     " does not look like a Cloud Controller (GET / has no "
                                     "links.cloud_controller_v3).");
  }
  const json& v3 = links["cloud_controller_v3"];
  std::string version;
  if (v3.contains("meta") && v3["meta"].is_object()) version = v3["meta"].value("version", "");
  return Result<std::string>::ok(version);
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
  if (probed) version = *probed;
  ui.keyValues({{"API endpoint", config.api}, {"API version", version}});
  if (!probed) ui.warn("(not reachable now: " + probed.error() + ")");
  return 0;
}

int setApi(Context& context, const ApiOptions& options) {
  Ui& ui = context.ui();
  std::string url = normaliseUrl(options.url);
  ui.say("Setting API endpoint to " + url + "...");
  CcClient client(url);
  auto version = probeApi(client);
  if (!version) return ui.failed(version.error());
  Config config;
  config.api = url;
  config.api_version = *version;
  Status target = resolveDefaultTarget(client, config);
  if (!target) return ui.failed(target.error());
  Status saved = saveConfig(config);
  if (!saved) return ui.failed(saved.error());
  context.config() = config;
  ui.ok();
  ui.newline();
  ui.keyValues({{"API endpoint", url}, {"API version", *version}});
  ui.newline();
  ui.say("Targeted org " + config.org_name + ".");
  ui.say("Targeted space " + config.space_name + ".");
  ui.newline();
  ui.say(
      "There is no login on this platform yet: commands act in the first org and space the "
      "API lists.");
  return 0;
}

}  // namespace

void addApiCommands(CommandTable& table) {
  auto options = std::make_shared<ApiOptions>();
  Context& context = table.context();
  CLI::App* api = table.add("api", "Set or view the target API URL", [options, &context] {
    if (options->unset) {
      Config empty;
      Status saved = saveConfig(empty);
      if (!saved) return context.ui().failed(saved.error());
      context.ui().say("Unsetting API endpoint...");
      context.ui().ok();
      return 0;
    }
    return options->url.empty() ? showApi(context) : setApi(context, *options);
  });
  api->add_option("URL", options->url, "API endpoint, e.g. http://127.0.0.1:9022");
  api->add_flag("--unset", options->unset, "Remove the API endpoint and target");
  api->footer("Examples:\n  foundry api http://127.0.0.1:9022\n  foundry api");
}

}  // namespace foundry::cli
