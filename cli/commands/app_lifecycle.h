#pragma once
// The steps push, restage, start, restart and scale share: staging a package while streaming
// its logs, waiting for instances to run, and cf's app summary.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands/context.h"

namespace foundry::cli {

// POST /v3/builds for the package (with these buildpacks when not empty), printing staging log
// lines as they arrive, until STAGED (-> the droplet guid) or FAILED (-> an error with the
// build's error). Bounded by `timeout`.
Result<std::string> stagePackage(Context& context, const CcClient& client,
                                 const std::string& app_name, const std::string& app_guid,
                                 const std::string& package_guid,
                                 const std::vector<std::string>& buildpacks,
                                 std::chrono::seconds timeout = std::chrono::minutes(15));

// The newest READY package of an app, or an error when there is none.
Result<nlohmann::json> newestReadyPackage(const CcClient& client, const std::string& app_guid);

// Polls the app's processes' stats until every instance is RUNNING. An error when all of a
// process's instances crashed, or after `timeout`. When the API has no stats endpoint the
// wait is skipped with a warning.
Status waitForInstances(Context& context, const CcClient& client, const std::string& app_name,
                        const std::string& app_guid, std::chrono::seconds timeout);
// The start timeout cf uses: the web process's health-check timeout (default 60 s) + 60 s.
std::chrono::seconds startTimeout(const CcClient& client, const std::string& app_guid);

// Stop, then start, then wait (cf restart).
Status restartApp(Context& context, const CcClient& client, const nlohmann::json& app);

// cf app's block: name, requested state, routes, last uploaded, buildpacks, then per process
// type, instances, memory usage, start command and the instance table.
void printAppSummary(Context& context, const CcClient& client, const nlohmann::json& app);

// "2026-11-27T14:50:05Z" for now - uptime seconds.
std::string sinceText(double uptime_seconds);

}  // namespace foundry::cli
