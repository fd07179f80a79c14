#pragma once
// The launcher (STAGING-SCHEDULING.md A8): runs a droplet's start command inside the unpacked
// droplet, the way buildpackapplifecycle's launcher does on a cell.

#include <string>
#include <vector>

namespace foundry::staging {

inline constexpr int kLauncherUsage = 1;     // bad argv, or no start command
inline constexpr int kLauncherEnvFail = 3;   // environment could not be computed
inline constexpr int kLauncherExecFail = 4;  // exec failed

// The command to run: `argv_command` if non-empty, else staging_info.yml's start_command
// (`staging_info_text` may be empty: a missing file). "" when neither has one.
std::string launchCommand(const std::string& argv_command, const std::string& staging_info_text);

// A8 CalcEnv: HOME=<abs app dir>, TMPDIR=<app>/../tmp, DEPS_DIR=<app>/../deps, and
// VCAP_APPLICATION rewritten with host "0.0.0.0", instance_id ($INSTANCE_GUID), port ($PORT, an
// integer) and instance_index ($INSTANCE_INDEX, an integer). `env` is "NAME=value" entries;
// `app_dir` is absolute. Returns "" or an error (invalid VCAP_APPLICATION JSON).
std::string calcLaunchEnv(std::vector<std::string>& env, const std::string& app_dir);

// The bash script run as `bash -c SCRIPT launcher APP_DIR COMMAND`: cd to the app, source
// ../profile.d/*, then .profile.d/*, then .profile, then `exec bash -c COMMAND`.
const char* launchScript();

}  // namespace foundry::staging
