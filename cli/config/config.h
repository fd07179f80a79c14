#pragma once
// The CLI's saved state: the API endpoint, the UAA endpoint, the tokens of the logged-in user
// (or client) and the targeted org/space, as JSON in $FOUNDRY_HOME/config.json (default
// ~/.foundry/config.json). The file holds credentials: it is written with mode 0600 (and an
// existing file with looser permissions is tightened when read).
#include <filesystem>
#include <string>

#include "cli/common/result.h"

namespace foundry::cli {

struct Config {
  std::string api;  // "http://127.0.0.1:9022", no trailing slash; empty = not set
  std::string api_version;
  std::string uaa_url;  // links.uaa.href of the root document (token + SCIM endpoint)
  // Tokens: raw JWTs (no "bearer " prefix). Empty access token = not logged in.
  std::string access_token;
  std::string refresh_token;
  // "password" (login/auth) or "client_credentials" (auth --client-credentials). A client
  // login keeps its id and secret to get a new token when the old one expires, as cf does.
  std::string grant_type;
  std::string client_id;
  std::string client_secret;
  std::string org_guid;
  std::string org_name;
  std::string space_guid;
  std::string space_name;

  bool loggedIn() const { return !access_token.empty(); }
  void clearTokens() {
    access_token.clear();
    refresh_token.clear();
    grant_type.clear();
    client_id.clear();
    client_secret.clear();
  }
  void clearOrg() {
    org_guid.clear();
    org_name.clear();
    clearSpace();
  }
  void clearSpace() {
    space_guid.clear();
    space_name.clear();
  }
};

// $FOUNDRY_HOME, else $HOME/.foundry, else ./.foundry.
std::filesystem::path configDirectory();
std::filesystem::path configFile();

// A missing file is an empty Config; an unreadable or corrupt one is an error. A file other
// users can read is chmod'ed to 0600.
Result<Config> loadConfig();
// Writes atomically (temp file created 0600 + rename), creating the directory (mode 0700).
Status saveConfig(const Config& config);

}  // namespace foundry::cli
