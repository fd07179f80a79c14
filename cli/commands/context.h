#pragma once
// What every command gets: the printer, the saved config, the API client (carrying the
// logged-in user's token, refreshed when it expires) and the org/space it acts in (the target
// set by `login`/`target`).
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/api/auth.h"
#include "cli/api/cc_client.h"
#include "cli/config/config.h"
#include "cli/output/ui.h"

namespace CLI {
class App;
}

namespace foundry::cli {

inline constexpr const char* kNoTarget =
    "No org and space targeted, use 'foundry target -o ORG -s SPACE' to target an org and space";
inline constexpr const char* kNoOrgTarget =
    "No org targeted, use 'foundry target -o ORG' to target an org.";
inline constexpr const char* kNoSpaceTarget =
    "No space targeted, use 'foundry target -s SPACE' to target a space.";

class Context {
 public:
  explicit Context(Ui& ui) : ui_(ui) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Ui& ui() { return ui_; }
  Config& config() { return config_; }

  // Loads the config file; an error if it is corrupt.
  Status load();
  // The API client (with the session when logged in), or "No API endpoint set..." when
  // `foundry api` was never run.
  Result<CcClient> client();
  // client(), and an error (kNotLoggedIn) when nobody is logged in.
  Result<CcClient> loggedInClient();
  // loggedInClient() + a targeted org: what org-level commands start with.
  Result<CcClient> orgTargetedClient();
  // loggedInClient() + a targeted org and space: what app/route commands start with.
  Result<CcClient> targetedClient();

  // Stores new tokens (login/auth), in the config file too.
  Status saveTokens(const TokenSet& tokens, const std::string& grant_type,
                    const std::string& client_id = "", const std::string& client_secret = "");
  // The logged-in user's name (or client id), from the token; "" when not logged in.
  std::string userName() const;
  std::string userGuid() const;
  bool isClientLogin() const { return config_.grant_type == "client_credentials"; }

  // "org X / space Y as USER"
  std::string where() const;
  // The log-cache client: the root's links.log_cache.href when the API names one, else the
  // API itself (our controller serves /api/v1/read).
  CcClient logCache(const CcClient& api) const;

 private:
  Status refreshTokens();

  Ui& ui_;
  Config config_;
  std::shared_ptr<AuthSession> session_;
};

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
