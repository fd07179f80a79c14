// login, auth, logout, target: getting a token from the UAA the API names and choosing the
// org and space commands act in (cf v8's flows and output).
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct LoginOptions {
  std::string api;
  std::string username;
  std::string password;
  std::string org;
  std::string space;
};

struct AuthOptions {
  std::string username;
  std::string password;
  bool client_credentials = false;
};

struct TargetOptions {
  std::string org;
  std::string space;
};

std::string envOr(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The uaa URL of the config, probing GET / again for configs that lack it.
Status ensureUaa(Context& context) {
  if (!context.config().uaa_url.empty()) return okStatus();
  return setApiEndpoint(context, context.config().api);
}

void targetOrg(Context& context, const json& org) {
  context.config().org_guid = org.value("guid", "");
  context.config().org_name = org.value("name", "");
  context.config().clearSpace();
}

void targetSpace(Context& context, const json& space) {
  context.config().space_guid = space.value("guid", "");
  context.config().space_name = space.value("name", "");
}

// On a terminal, cf lists the choices and reads a number or a name; Enter skips.
json choose(Ui& ui, const std::vector<json>& items, const std::string& what,
            const std::string& label) {
  ui.say("Select " + what + ":");
  for (size_t i = 0; i < items.size() && i < 50; ++i) {
    ui.say(std::to_string(i + 1) + ". " + items[i].value("name", ""));
  }
  ui.newline();
  auto answer = prompt(ui, label + " (enter to skip): ");
  if (!answer || answer->empty()) return json();
  char* end = nullptr;
  long n = std::strtol(answer->c_str(), &end, 10);
  if (end && *end == '\0' && n >= 1 && static_cast<size_t>(n) <= items.size()) return items[n - 1];
  for (const auto& item : items) {
    if (item.value("name", "") == *answer) return item;
  }
  return json();
}

// After a login: -o/-s, else the only org/space, else (on a terminal) the user's choice.
Status targetAfterLogin(Context& context, const CcClient& client, const LoginOptions& options) {
  Ui& ui = context.ui();
  json org;
  if (!options.org.empty()) {
    auto found = findOrg(client, options.org);
    if (!found) return Status::fail(found.error());
    org = *found;
  } else {
    auto orgs = client.listAll("/v3/organizations?order_by=name&per_page=100");
    if (!orgs) return Status::fail(orgs.error());
    if (orgs->size() == 1) {
      org = orgs->front();
    } else if (orgs->size() > 1 && interactive()) {
      org = choose(ui, *orgs, "an org", "Org");
    }
  }
  if (org.is_null()) return okStatus();
  targetOrg(context, org);
  ui.say("Targeted org " + context.config().org_name + ".");
  ui.newline();
  json space;
  if (!options.space.empty()) {
    auto found = findSpace(client, context.config().org_guid, options.space);
    if (!found) return Status::fail(found.error());
    space = *found;
  } else {
    auto spaces = client.listAll("/v3/spaces?organization_guids=" + context.config().org_guid +
                                 "&order_by=name&per_page=100");
    if (!spaces) return Status::fail(spaces.error());
    if (spaces->size() == 1) {
      space = spaces->front();
    } else if (spaces->size() > 1 && interactive()) {
      space = choose(ui, *spaces, "a space", "Space");
    }
  }
  if (space.is_null()) return okStatus();
  targetSpace(context, space);
  ui.say("Targeted space " + context.config().space_name + ".");
  ui.newline();
  return okStatus();
}

int login(Context& context, LoginOptions options) {
  Ui& ui = context.ui();
  Config& config = context.config();
  if (!options.api.empty()) {
    Status set = setApiEndpoint(context, options.api);
    if (!set) return ui.failed(set.error());
  } else if (config.api.empty()) {
    auto url = interactive() ? prompt(ui, "API endpoint: ") : std::nullopt;
    if (!url || url->empty()) {
      return ui.failed("No API endpoint set. Use 'foundry login -a API' or 'foundry api URL'.");
    }
    Status set = setApiEndpoint(context, *url);
    if (!set) return ui.failed(set.error());
  } else if (Status uaa = ensureUaa(context); !uaa) {
    return ui.failed(uaa.error());
  }
  ui.say("API endpoint: " + config.api);
  ui.newline();

  const bool tty = interactive();
  if (options.username.empty()) {
    auto user = prompt(ui, "Email: ");
    if (!user || user->empty()) return ui.failed("Unable to authenticate: no username given.");
    options.username = *user;
  }
  const bool ask_password = options.password.empty();
  UaaClient uaa(config.uaa_url);
  // cf gives an interactive user three tries at the password.
  for (int attempt = 0;; ++attempt) {
    if (ask_password) {
      auto password = prompt(ui, "Password: ", true);
      if (!password) return ui.failed("Unable to authenticate.");
      options.password = *password;
    }
    ui.say("Authenticating...");
    auto tokens = uaa.passwordGrant(options.username, options.password);
    if (tokens) {
      config.clearOrg();
      Status saved = context.saveTokens(*tokens, "password");
      if (!saved) return ui.failed(saved.error());
      ui.ok();
      ui.newline();
      break;
    }
    if (!(ask_password && tty && attempt < 2)) {
      return ui.failed("Unable to authenticate: " + tokens.error());
    }
    ui.say("Credentials were rejected, please try again.");
  }
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  Status targeted = targetAfterLogin(context, *client, options);
  Status saved = saveConfig(config);
  if (!targeted) return ui.failed(targeted.error());
  if (!saved) return ui.failed(saved.error());
  printTarget(context);
  return 0;
}

int auth(Context& context, AuthOptions options) {
  Ui& ui = context.ui();
  Config& config = context.config();
  if (config.api.empty()) {
    return ui.failed("No API endpoint set. Use 'foundry api' to set an endpoint");
  }
  if (options.username.empty()) options.username = envOr("FOUNDRY_USERNAME");
  if (options.password.empty()) options.password = envOr("FOUNDRY_PASSWORD");
  if (options.username.empty() || options.password.empty()) {
    return ui.failed(options.client_credentials
                         ? "Incorrect Usage: the required arguments CLIENT_ID and CLIENT_SECRET "
                           "were not provided"
                         : "Incorrect Usage: the required arguments USERNAME and PASSWORD were "
                           "not provided (or set FOUNDRY_USERNAME and FOUNDRY_PASSWORD)");
  }
  if (Status uaa = ensureUaa(context); !uaa) return ui.failed(uaa.error());
  ui.say("API endpoint: " + config.api);
  ui.say("Authenticating...");
  UaaClient uaa(config.uaa_url);
  auto tokens = options.client_credentials
                    ? uaa.clientCredentialsGrant(options.username, options.password)
                    : uaa.passwordGrant(options.username, options.password);
  if (!tokens) return ui.failed("Unable to authenticate: " + tokens.error());
  config.clearOrg();
  Status saved = options.client_credentials
                     ? context.saveTokens(*tokens, "client_credentials", options.username,
                                          options.password)
                     : context.saveTokens(*tokens, "password");
  if (!saved) return ui.failed(saved.error());
  ui.ok();
  ui.newline();
  ui.say("Use 'foundry target' to view or set your target org and space.");
  return 0;
}

int logout(Context& context) {
  Ui& ui = context.ui();
  ui.say("Logging out " + context.userName() + "...");
  context.config().clearTokens();
  context.config().clearOrg();
  Status saved = saveConfig(context.config());
  if (!saved) return ui.failed(saved.error());
  ui.ok();
  return 0;
}

int target(Context& context, const TargetOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  Config& config = context.config();
  if (!options.org.empty()) {
    auto org = findOrg(*client, options.org);
    if (!org) return ui.failed(org.error());
    targetOrg(context, *org);
    if (options.space.empty()) {
      // An org with a single space: target it too.
      auto spaces = client->listAll("/v3/spaces?organization_guids=" + config.org_guid);
      if (!spaces) return ui.failed(spaces.error());
      if (spaces->size() == 1) targetSpace(context, spaces->front());
    }
  }
  if (!options.space.empty()) {
    if (config.org_guid.empty()) return ui.failed(kNoOrgTarget);
    auto space = findSpace(*client, config.org_guid, options.space);
    if (!space) return ui.failed(space.error());
    targetSpace(context, *space);
  }
  if (!options.org.empty() || !options.space.empty()) {
    Status saved = saveConfig(config);
    if (!saved) return ui.failed(saved.error());
  } else if (!config.org_guid.empty()) {
    // Just showing: the saved target must still exist and be visible (cf checks the same).
    auto org = client->sendRaw("GET", "/v3/organizations/" + config.org_guid, "", "", 30000);
    if (!org) return ui.failed(org.error());
    if (org->status == 401) return ui.failed(kNotLoggedIn);
  }
  printTarget(context);
  return 0;
}

}  // namespace

void addAuthCommands(CommandTable& table) {
  Context& context = table.context();

  auto login_options = std::make_shared<LoginOptions>();
  CLI::App* login_cmd = table.add("login", "Log user in", [&context, login_options] {
    return login(context, *login_options);
  });
  login_cmd->add_option("-a", login_options->api, "API endpoint (e.g. http://127.0.0.1:9022)");
  login_cmd->add_option("-u", login_options->username, "Username");
  login_cmd->add_option("-p", login_options->password,
                        "Password (prompted on a terminal when not given)");
  login_cmd->add_option("-o", login_options->org, "Org");
  login_cmd->add_option("-s", login_options->space, "Space");
  login_cmd->footer(
      "Examples:\n"
      "  foundry login -a http://127.0.0.1:9022 -u admin\n"
      "  foundry login -u dev@example.com -p \"$PASSWORD\" -o acme -s dev\n"
      "With exactly one org (space) that one is targeted; with several, -o/-s choose (or a "
      "prompt on a terminal).");

  auto auth_options = std::make_shared<AuthOptions>();
  CLI::App* auth_cmd = table.add("auth", "Authenticate non-interactively",
                                 [&context, auth_options] { return auth(context, *auth_options); });
  auth_cmd->add_option("USERNAME", auth_options->username,
                       "Username (or CLIENT_ID); default $FOUNDRY_USERNAME");
  auth_cmd->add_option("PASSWORD", auth_options->password,
                       "Password (or CLIENT_SECRET); default $FOUNDRY_PASSWORD");
  auth_cmd->add_flag("--client-credentials", auth_options->client_credentials,
                     "Use (non-user) service account credentials");
  auth_cmd->footer(
      "Examples:\n"
      "  foundry auth name@example.com \"my password\"\n"
      "  foundry auth admin \"$SECRET\" --client-credentials\n"
      "  FOUNDRY_USERNAME=me FOUNDRY_PASSWORD=pw foundry auth");

  table.add("logout", "Log user out", [&context] { return logout(context); });

  auto target_options = std::make_shared<TargetOptions>();
  CLI::App* target_cmd = table.add("target", "Set or view the targeted org or space",
                                   [&context, target_options] {
                                     return target(context, *target_options);
                                   });
  target_cmd->add_option("-o", target_options->org, "Organization");
  target_cmd->add_option("-s", target_options->space, "Space");
}

}  // namespace foundry::cli
