#pragma once
// The builder: runs the buildpack lifecycle on an app directory and packs the droplet
// (STAGING-SCHEDULING.md A3, A4, A6, A7).

#include "staging/buildpack/release.h"
#include "staging/common/process.h"
#include "staging/droplet/staging_info.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace foundry::staging {

// Builder exit codes (A4 table). kTimedOut is ours: on CF the Diego timeout action kills the
// staging task instead.
inline constexpr int kExitOk = 0;
inline constexpr int kExitOther = 1;
inline constexpr int kExitDetectFail = 222;    // None of the buildpacks detected a compatible application
inline constexpr int kExitCompileFail = 223;   // Failed to compile droplet (also final supply/finalize)
inline constexpr int kExitReleaseFail = 224;   // Failed to build droplet release
inline constexpr int kExitSupplyFail = 225;    // Failed to run all supply scripts
inline constexpr int kExitFinalizeFail = 226;  // Failed to run finalize script (unreachable, A4 quirk)
inline constexpr int kExitTimedOut = 124;      // staging exceeded its timeout

struct StagingConfig {
  std::string app_dir;                  // left untouched: copied into the droplet's app/
  std::vector<std::string> buildpacks;  // named buildpacks (skip detect); empty: detect
  std::string system_buildpacks_dir;    // empty: the repo's staging/buildpacks
  std::string cache_dir;                // build-artifacts cache, reused across stagings; may be empty
  std::string input_cache;              // .tgz of a previous cache, extracted into the cache dir
                                        // first; a missing file is not an error (CF's "try")
  std::string output_cache;             // .tgz of the cache dir written after a good staging
  std::string output_droplet;           // .tgz to write
  std::string output_metadata;          // result.json to write (optional)
  std::string start_command;            // user command (cf push -c): wins over everything
  std::chrono::milliseconds timeout{std::chrono::minutes(15)};
  std::string stack = "cflinuxfs4";     // CF_STACK given to buildpacks
  std::vector<std::pair<std::string, std::string>> env;  // extra staging env vars
  std::string temp_dir;                 // where work dirs go; empty: $TMPDIR or /tmp
};

struct StagingOutcome {
  int exit_code = kExitOther;
  std::string error;            // message for a non-zero exit code
  StagingInfo info;             // what went into staging_info.yml
  ProcessTypes process_types;   // staged process types (release/launch.yml + Procfile)
};

// Stages `config.app_dir`. Every line the buildpacks print, and the builder's own progress
// lines, go to `output` as they happen. Blocking; call from any thread.
StagingOutcome stage(const StagingConfig& config, const LineCallback& output);

// The repo's system buildpacks directory (compiled in).
std::string defaultSystemBuildpacksDir();

}  // namespace foundry::staging
