#pragma once
// The command groups; each adds its subcommands to the table (one file per group).
#include <iosfwd>
#include <string>

#include "cli/commands/context.h"

namespace foundry::cli {

void addApiCommands(CommandTable& table);  // api
void addAppCommands(
    CommandTable& table);  // apps, app, start, stop, restart, restage, scale, delete
void addPushCommand(CommandTable& table);    // push
void addLogsCommand(CommandTable& table);    // logs
void addRouteCommands(CommandTable& table);  // routes, create-route, delete-route, map-route,
                                             // unmap-route, domains

// Asks `question` [yN] on stdout and reads a line from `in`; true for y/yes. EOF is no.
bool confirm(Ui& ui, std::istream& in, const std::string& question);

}  // namespace foundry::cli
