#pragma once
// What every command gets: the printer, the saved config, the API client and the org/space
// it acts in. There is no login yet, so the target is the first org and space the API lists
// (resolved once by `foundry api` and saved; resolved again if missing).
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/api/cc_client.h"
#include "cli/config/config.h"
#include "cli/output/ui.h"

namespace CLI {
class App;
}

namespace foundry::cli {

class Context {
 public:
  explicit Context(Ui& ui) : ui_(ui) {}

  Ui& ui() { return ui_; }
  Config& config() { return config_; }

  // Loads the config file; an error if it is corrupt.
  Status load();
  // The API client, or "No API endpoint set..." when `foundry api` was never run.
  Result<CcClient> client() const;
  // client() + ensureTarget(): what every command but `api` starts with.
  Result<CcClient> targetedClient();
  // Makes sure config has an org and space (the first ones the API lists), saving them.
  Status ensureTarget(const CcClient& client);
  // "org default / space default"
  std::string where() const;
  // The log-cache client: the root's links.log_cache.href when the API names one, else the
  // API itself (our controller serves /api/v1/read).
  CcClient logCache(const CcClient& api) const;

 private:
  Ui& ui_;
  Config config_;
};

// Finds the first org and space the API lists and stores them in `config`.
Status resolveDefaultTarget(const CcClient& client, Config& config);

// The command table: each group adds its subcommands here (see commands.h).
class CommandTable {
 public:
  CommandTable(CLI::App& root, Context& context) : root_(root), context_(context) {}
  // Adds a subcommand; `run` is called when it was given and returns the exit code.
  CLI::App* add(const std::string& name, const std::string& description, std::function<int()> run);
  Context& context() { return context_; }
  // The handler of the subcommand that was parsed, if any.
  std::function<int()> parsedHandler() const;

 private:
  CLI::App& root_;
  Context& context_;
  std::vector<std::pair<CLI::App*, std::function<int()>>> handlers_;
};

}  // namespace foundry::cli
