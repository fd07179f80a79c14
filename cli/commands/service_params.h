#pragma once
// The pure pieces of the service commands' flags: -c parameters (inline JSON or a file), -t tag
// lists and cups' -p (credentials as JSON or a file, or names to prompt for). No I/O but
// reading the named file, so they are unit-tested alone.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/common/result.h"

namespace foundry::cli {

// -c (create-service, update-service, bind-service, create-service-key): a JSON object given
// inline, as "@PATH", or as the path of an existing file holding one (cf's
// JSONOrFileWithValidation). Anything else is cf's "Invalid configuration provided for -c
// flag..." error.
Result<nlohmann::json> parseJsonObjectFlag(const std::string& value, const std::string& flag = "-c");

// -t "tag1, tag2": split on commas, each trimmed, empty ones dropped (cf's flag.Tags).
std::vector<std::string> parseTags(const std::string& value);

// cups/uups -p: either credentials (inline JSON object, "@PATH" or a file) or a comma list of
// parameter names whose values are prompted for (cf's CredentialsOrJSON).
struct CredentialsFlag {
  nlohmann::json credentials;              // the object, when given as JSON
  std::vector<std::string> prompt_names;  // otherwise the names to ask for
};
Result<CredentialsFlag> parseCredentialsFlag(const std::string& value);

}  // namespace foundry::cli
