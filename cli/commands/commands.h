#pragma once
// The command groups; each adds its subcommands to the table (one file per group).
#include <iosfwd>
#include <optional>
#include <string>

#include "cli/commands/context.h"

namespace foundry::cli {

void addApiCommands(CommandTable& table);  // api
void addAuthCommands(CommandTable& table);  // login, auth, logout, target
void addOrgCommands(CommandTable& table);  // orgs, org, create-org, delete-org, spaces, space,
                                           // create-space, delete-space
void addUserCommands(CommandTable& table);  // create-user, delete-user, set/unset-org-role,
                                            // set/unset-space-role, org-users, space-users
void addQuotaCommands(CommandTable& table);  // create-org-quota, org-quotas, set-org-quota,
                                             // create-space-quota, space-quotas, set-space-quota
void addAppCommands(
    CommandTable& table);  // apps, app, start, stop, restart, restage, scale, delete, env
void addPushCommand(CommandTable& table);    // push
void addLogsCommand(CommandTable& table);    // logs
void addTaskCommands(CommandTable& table);  // run-task, tasks, terminate-task
void addRouteCommands(CommandTable& table);  // routes, create-route, delete-route, map-route,
                                             // unmap-route, domains
void addShiftTrafficCommand(CommandTable& table);  // shift-traffic
void addServiceBrokerCommands(CommandTable& table);  // create/update/delete/rename-service-broker,
                                                     // service-brokers
void addServiceAccessCommands(CommandTable& table);  // enable/disable-service-access,
                                                     // service-access
void addMarketplaceCommand(CommandTable& table);     // marketplace
void addServiceInstanceCommands(CommandTable& table);  // create/update/delete/rename-service,
                                                       // services, service
void addUserProvidedServiceCommands(CommandTable& table);  // cups, uups
void addServiceBindingCommands(CommandTable& table);       // bind-service, unbind-service
void addServiceKeyCommands(CommandTable& table);  // create/delete-service-key, service-keys,
                                                  // service-key

// Asks `question` [yN] on stdout and reads a line from `in`; true for y/yes. EOF is no.
bool confirm(Ui& ui, std::istream& in, const std::string& question);
// Prints `label` and reads a line from stdin; with `secret` the terminal does not echo it.
// nullopt at EOF.
std::optional<std::string> prompt(Ui& ui, const std::string& label, bool secret = false);
// True when stdin is a terminal (login prompts for what is missing only then).
bool interactive();

// `api URL`'s work, shared with `login -a`: GET / must look like a Cloud Controller; saves the
// endpoint, its version and UAA URL, and clears the login and the target.
Status setApiEndpoint(Context& context, const std::string& url);
// `target`'s block: API endpoint, version, user, org, space (or what is not targeted).
void printTarget(Context& context);

}  // namespace foundry::cli
