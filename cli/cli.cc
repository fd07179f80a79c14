#include "cli/cli.h"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/commands/commands.h"

namespace foundry::cli {

namespace {

struct HelpSection {
  const char* title;
  std::vector<const char*> commands;
};

// cf groups its help by topic; so do we.
const std::vector<HelpSection> kSections = {
    {"Getting started", {"help", "api", "login", "auth", "logout", "target"}},
    {"Apps",
     {"apps", "app", "push", "scale", "delete", "start", "stop", "restart", "restage", "logs",
      "env"}},
    {"Routes",
     {"routes", "create-route", "delete-route", "map-route", "unmap-route", "shift-traffic"}},
    {"Domains", {"domains"}},
    {"Orgs", {"orgs", "org", "create-org", "delete-org", "set-org-quota"}},
    {"Spaces", {"spaces", "space", "create-space", "delete-space", "set-space-quota"}},
    {"Quotas", {"org-quotas", "create-org-quota", "space-quotas", "create-space-quota"}},
    {"Services",
     {"marketplace", "services", "service", "create-service", "update-service", "delete-service",
      "rename-service", "create-service-key", "service-keys", "service-key", "delete-service-key",
      "bind-service", "unbind-service", "create-user-provided-service",
      "update-user-provided-service"}},
    {"Service admin",
     {"service-brokers", "create-service-broker", "update-service-broker", "delete-service-broker",
      "rename-service-broker", "service-access", "enable-service-access",
      "disable-service-access"}},
    {"Users and roles",
     {"create-user", "delete-user", "org-users", "set-org-role", "unset-org-role", "space-users",
      "set-space-role", "unset-space-role"}},
};

void printHelp(CLI::App& root, std::ostream& out) {
  out << "foundry: a command-line client for this platform's Cloud Controller V3 API, "
         "modeled on cf.\n\nUsage: foundry COMMAND [ARGS...] [FLAGS...]\n";
  for (const auto& section : kSections) {
    out << "\n" << section.title << ":\n";
    for (const char* name : section.commands) {
      std::string description = "Show help";
      if (std::string(name) != "help") {
        try {
          description = root.get_subcommand(name)->get_description();
        } catch (const CLI::Error&) {
          continue;
        }
      }
      std::string padded = name;
      padded.resize(std::max<size_t>(padded.size() + 1, 30), ' ');
      out << "   " << padded << description << "\n";
    }
  }
  out << "\nUse 'foundry help COMMAND' or 'foundry COMMAND --help' for a command's flags.\n"
         "Config: $FOUNDRY_HOME/config.json (default ~/.foundry/config.json).\n";
}

}  // namespace

bool confirm(Ui& ui, std::istream& in, const std::string& question) {
  ui.sayRaw(question + " [yN]: ");
  std::string answer;
  if (!std::getline(in, answer)) {
    ui.newline();
    return false;
  }
  for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return answer == "y" || answer == "yes";
}

bool interactive() { return ::isatty(STDIN_FILENO) == 1; }

std::optional<std::string> prompt(Ui& ui, const std::string& label, bool secret) {
  ui.sayRaw(label);
  termios saved{};
  bool hidden = false;
  if (secret && interactive() && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    hidden = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (hidden) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    ui.newline();
  }
  if (!got) {
    if (!hidden) ui.newline();
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int runFoundry(int argc, char** argv, std::ostream& out, std::ostream& err) {
  Ui ui(out, err);
  Context context(ui);
  CLI::App root("foundry: a cf-style command-line client", "foundry");
  root.require_subcommand(0, 1);
  CommandTable table(root, context);
  addApiCommands(table);
  addAuthCommands(table);
  addOrgCommands(table);
  addUserCommands(table);
  addQuotaCommands(table);
  addAppCommands(table);
  addTaskCommands(table);
  addPushCommand(table);
  addLogsCommand(table);
  addRouteCommands(table);
  addShiftTrafficCommand(table);
  addServiceBrokerCommands(table);
  addServiceAccessCommands(table);
  addMarketplaceCommand(table);
  addServiceInstanceCommands(table);
  addUserProvidedServiceCommands(table);
  addServiceBindingCommands(table);
  addServiceKeyCommands(table);
  std::vector<std::string> help_topic;
  CLI::App* help = root.add_subcommand("help", "Show help");
  help->add_option("COMMAND", help_topic, "The command to describe");
  bool version = false;
  root.add_flag("-v,--version", version, "Print the version");

  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (root.get_subcommands().empty()) {
      printHelp(root, out);
      return 0;
    }
    return root.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e, out, err);
    if (argc > 1 && argv[1][0] != '-') {
      try {
        root.get_subcommand(argv[1]);
      } catch (const CLI::Error&) {
        err << "'" << argv[1] << "' is not a registered command. See 'foundry help'\n";
        return 1;
      }
    }
    err << "Incorrect Usage: " << e.what() << "\n\n";
    // The help of the command being parsed, if there is one.
    for (CLI::App* sub : root.get_subcommands([](CLI::App* s) { return s->parsed(); })) {
      err << sub->help("foundry");
      return 1;
    }
    printHelp(root, err);
    return 1;
  }
  if (version) {
    out << "foundry version 0.1.0 (Cloud Controller V3)\n";
    return 0;
  }
  if (help->parsed() || root.get_subcommands().empty()) {
    if (!help_topic.empty()) {
      try {
        out << root.get_subcommand(help_topic[0])->help("foundry");
        return 0;
      } catch (const CLI::Error&) {
        err << "'" << help_topic[0] << "' is not a registered command. See 'foundry help'\n";
        return 1;
      }
    }
    printHelp(root, out);
    return 0;
  }
  auto run = table.parsedHandler();
  if (!run) {
    printHelp(root, out);
    return 0;
  }
  Status loaded = context.load();
  if (!loaded) return ui.failed(loaded.error());
  return run();
}

}  // namespace foundry::cli
