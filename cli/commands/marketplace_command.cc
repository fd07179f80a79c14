// marketplace [-e SERVICE_OFFERING] [-b SERVICE_BROKER] [--no-plans]: one
// GET /v3/service_plans call with offerings and brokers included, as cf v8 does (B.4).
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/service_lookups.h"

namespace foundry::cli {

namespace {

struct MarketplaceOptions {
  std::string offering;
  std::string broker;
  bool no_plans = false;
};

std::string heading(const MarketplaceOptions& options, const std::string& where) {
  std::string text = options.offering.empty()
                         ? "Getting all service offerings from marketplace"
                         : "Getting service plan information for service offering " +
                               options.offering;
  if (!options.broker.empty()) {
    text += (options.offering.empty() ? " for " : " from ") + std::string("service broker ") +
            options.broker;
  }
  if (!where.empty()) text += " in " + where;
  return text + "...";
}

int marketplace(Context& context, const MarketplaceOptions& options) {
  Ui& ui = context.ui();
  if (!options.offering.empty() && options.no_plans) {
    return ui.failed(
        "Incorrect Usage: The following arguments cannot be used together: --no-plans, -e");
  }
  // Logged in, cf shows what the targeted space may use; logged out, the public catalog.
  bool logged_in = !context.config().access_token.empty();
  auto client = logged_in ? context.targetedClient() : context.client();
  if (!client) return ui.failed(client.error());
  ui.say(heading(options, logged_in ? context.where() : ""));
  std::string filters;
  if (logged_in) filters += "&space_guids=" + context.config().space_guid;
  if (!options.offering.empty()) filters += "&service_offering_names=" + urlEncode(options.offering);
  if (!options.broker.empty()) filters += "&service_broker_names=" + urlEncode(options.broker);
  auto catalog = fetchCatalog(*client, filters);
  if (!catalog) return ui.failed(catalog.error());
  // Filter again here: an API that ignores a filter must not widen what is shown.
  std::vector<CatalogOffering> shown;
  for (auto& offering : *catalog) {
    if (!options.offering.empty() && offering.name != options.offering) continue;
    if (!options.broker.empty() && offering.broker_name != options.broker) continue;
    shown.push_back(std::move(offering));
  }
  auto rows = marketplaceRows(shown, options.no_plans);
  if (rows.size() <= 1) {
    ui.newline();
    ui.say("No service offerings found.");
    return 0;
  }
  if (options.offering.empty()) {
    ui.newline();
    ui.table(rows);
    ui.newline();
    ui.say("TIP: Use 'foundry marketplace -e SERVICE_OFFERING' to view descriptions of "
           "individual plans of a given service offering.");
    return 0;
  }
  for (const auto& offering : shown) {
    ui.newline();
    ui.say("broker: " + offering.broker_name);
    ui.table(planRows(offering), "   ");
  }
  return 0;
}

}  // namespace

void addMarketplaceCommand(CommandTable& table) {
  Context& context = table.context();
  auto options = std::make_shared<MarketplaceOptions>();
  CLI::App* m = table.add("marketplace", "List available offerings in the marketplace",
                          [&context, options] { return marketplace(context, *options); });
  m->add_option("-e", options->offering, "Show plan details for a particular service offering");
  m->add_option("-b", options->broker, "Only show details for a particular service broker");
  m->add_flag("--no-plans", options->no_plans, "Hide plan information for service offerings");
}

}  // namespace foundry::cli
