#pragma once
// Parsing what buildpacks and apps declare about processes (STAGING-SCHEDULING.md A2, A4.5, A9).

#include <map>
#include <optional>
#include <string>

namespace foundry::staging {

// process type ("web", "worker", ...) -> command.
using ProcessTypes = std::map<std::string, std::string>;

// `bin/release` stdout: only `default_process_types` is read; other keys (addons, config_vars)
// are ignored. Empty output or a missing/null map gives no types. Returns nullopt when the text
// is not valid YAML or `default_process_types` is not a map of strings ("buildpack's release
// output invalid", exit 224).
std::optional<ProcessTypes> parseReleaseYaml(const std::string& text);

// `BUILD_DIR/Procfile`: a YAML map type -> command. Returns nullopt on invalid YAML
// ("Failed to read command from Procfile: invalid YAML").
std::optional<ProcessTypes> parseProcfile(const std::string& text);

// `deps/IDX/launch.yml`: `processes: [{type: web, command: ...}, ...]`. nullopt on invalid YAML.
std::optional<ProcessTypes> parseLaunchYml(const std::string& text);

// A9: the user's command (cf push -c) wins; else the staged `web` type (where the Procfile already
// overrode the buildpack's release/launch.yml default). Empty: no start command.
std::string chooseStartCommand(const std::string& user_command, const ProcessTypes& staged);

// Merges `overrides` into `base` (same-named types are replaced).
void mergeProcessTypes(ProcessTypes& base, const ProcessTypes& overrides);

}  // namespace foundry::staging
