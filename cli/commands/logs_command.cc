// foundry logs APP [--recent]: the app's buffered logs, or a tail until Ctrl-C.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/logs/log_lines.h"

namespace foundry::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int) { g_interrupted.store(true); }

struct LogsOptions {
  std::string name;
  bool recent = false;
};

int logsCommand(Context& context, const LogsOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  std::string guid = (*app)["guid"];
  CcClient log_cache = context.logCache(*client);
  ui.say("Retrieving logs for app " + options.name + " in " + context.where() + "...");
  ui.newline();
  if (options.recent) {
    auto lines = readLogs(log_cache, guid, 0, /*newest=*/true);
    if (!lines) return ui.failed(lines.error());
    for (const auto& line : *lines) ui.say(formatLogLine(line));
    return 0;
  }
  g_interrupted.store(false);
  auto previous_int = std::signal(SIGINT, onInterrupt);
  auto previous_term = std::signal(SIGTERM, onInterrupt);
  LogCursor cursor(nowNanos());
  int failures = 0;
  while (!g_interrupted.load()) {
    auto lines = readLogs(log_cache, guid, cursor.startTime());
    if (lines) {
      failures = 0;
      for (const auto& line : cursor.fresh(std::move(*lines))) ui.say(formatLogLine(line));
    } else if (++failures == 3) {
      ui.warn("Having trouble reading logs: " + lines.error() + " (still trying)");
    }
    // Short sleeps so Ctrl-C is noticed at once.
    for (int i = 0; i < 6 && !g_interrupted.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  return 0;
}

}  // namespace

void addLogsCommand(CommandTable& table) {
  Context& context = table.context();
  auto options = std::make_shared<LogsOptions>();
  CLI::App* logs = table.add("logs", "Tail or show recent logs for an app",
                             [&context, options] { return logsCommand(context, *options); });
  logs->add_option("APP_NAME", options->name, "The app")->required();
  logs->add_flag("--recent", options->recent, "Dump recent logs instead of tailing");
  logs->footer("Examples:\n  foundry logs demo --recent\n  foundry logs demo   # Ctrl-C to stop");
}

}  // namespace foundry::cli
