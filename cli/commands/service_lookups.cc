#include "cli/commands/service_lookups.h"

#include <chrono>

#include "cli/commands/lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

// Broker operations have no deadline in cf (the user can Ctrl-C); an hour keeps a wedged job
// from polling forever in scripts.
constexpr std::chrono::hours kServiceJobTimeout{1};

std::string errorTitle(const ApiReply& reply) {
  const json& body = reply.body;
  if (body.is_object() && body.contains("errors") && body["errors"].is_array() &&
      !body["errors"].empty() && body["errors"][0].is_object()) {
    return body["errors"][0].value("title", "");
  }
  return "";
}

}  // namespace

Result<json> lookupServiceInstance(const CcClient& client, const std::string& space_guid,
                                   const std::string& name) {
  return client.first("/v3/service_instances?names=" + urlEncode(name) +
                      "&space_guids=" + space_guid);
}

Result<json> findServiceInstance(const CcClient& client, const std::string& space_guid,
                                 const std::string& name) {
  auto instance = lookupServiceInstance(client, space_guid, name);
  if (instance && instance->is_null()) {
    return Result<json>::fail("Service instance '" + name + "' not found");
  }
  return instance;
}

Result<json> lookupServiceBroker(const CcClient& client, const std::string& name) {
  return client.first("/v3/service_brokers?names=" + urlEncode(name));
}

Result<std::vector<CatalogOffering>> fetchCatalog(const CcClient& client,
                                                  const std::string& filters) {
  // Brackets encoded as cf sends them; the comma stays literal because CC splits list values
  // on literal commas.
  auto reply = client.get(
      "/v3/service_plans?per_page=5000&include=service_offering"
      "&fields%5Bservice_offering.service_broker%5D=name,guid" +
      filters);
  if (!reply) return Result<std::vector<CatalogOffering>>::fail(reply.error());
  return Result<std::vector<CatalogOffering>>::ok(parseCatalog(reply->body));
}

Result<const CatalogOffering*> pickOffering(const std::vector<CatalogOffering>& catalog,
                                            const std::string& offering,
                                            const std::string& broker) {
  using Pick = Result<const CatalogOffering*>;
  const CatalogOffering* found = nullptr;
  int matches = 0;
  for (const auto& candidate : catalog) {
    if (candidate.name != offering) continue;
    if (!broker.empty() && candidate.broker_name != broker) continue;
    found = &candidate;
    ++matches;
  }
  if (matches == 0) {
    if (broker.empty()) return Pick::fail("Service offering '" + offering + "' not found.");
    return Pick::fail("Service offering '" + offering + "' for service broker '" + broker +
                      "' not found.");
  }
  if (matches > 1) {
    return Pick::fail("Service offering '" + offering +
                      "' is provided by multiple service brokers. Specify a broker by using the "
                      "'-b' flag.");
  }
  return Pick::ok(found);
}

Result<const CatalogPlan*> pickPlan(const CatalogOffering& offering, const std::string& plan,
                                    const std::string& broker) {
  for (const auto& candidate : offering.plans) {
    if (candidate.name == plan) return Result<const CatalogPlan*>::ok(&candidate);
  }
  return Result<const CatalogPlan*>::fail("The plan " + plan +
                                          " could not be found for service offering " +
                                          offering.name +
                                          (broker.empty() ? "" : " and broker " + broker) + ".");
}

std::string serviceReplyError(const ApiReply& reply, const std::string& instance_name) {
  if (reply.status == 409 && errorTitle(reply) == "CF-AsyncServiceInstanceOperationInProgress") {
    return "An operation for service instance " + instance_name + " is in progress.";
  }
  return replyError(reply);
}

Result<ApiReply> sendJson(const CcClient& client, const std::string& method,
                          const std::string& path, const json& body) {
  return client.sendRaw(method, path, body.is_null() ? "" : body.dump(),
                        body.is_null() ? "" : "application/json", 60000);
}

bool succeeded(const ApiReply& reply) { return reply.status >= 200 && reply.status < 300; }

Result<ApiReply> serviceRequest(const CcClient& client, const std::string& method,
                                const std::string& path, const json& body,
                                const std::string& instance_name) {
  auto reply = sendJson(client, method, path, body);
  if (!reply) return reply;
  if (!succeeded(*reply)) {
    return Result<ApiReply>::fail(serviceReplyError(*reply, instance_name));
  }
  return reply;
}

Result<JobOutcome> followJob(Ui& ui, const CcClient& client, const ApiReply& reply, bool wait) {
  if (reply.status != 202 || reply.location.empty()) return Result<JobOutcome>::ok(JobOutcome::kComplete);
  if (wait) ui.sayRaw("Waiting for the operation to complete");
  auto state = client.pollJob(reply.location, kServiceJobTimeout, [&](const json& job) {
    if (wait) ui.sayRaw(".");
    return !wait && job.value("state", "") == "POLLING";
  });
  if (wait) {
    ui.newline();
    ui.newline();
  }
  if (!state) return Result<JobOutcome>::fail(state.error());
  return Result<JobOutcome>::ok(*state == "COMPLETE" ? JobOutcome::kComplete
                                                     : JobOutcome::kInProgress);
}

Result<std::vector<json>> appBindings(const CcClient& client,
                                      const std::vector<std::string>& instance_guids,
                                      const std::string& app_guid) {
  std::string query = "/v3/service_credential_bindings?type=app";
  if (!instance_guids.empty()) {
    std::string guids;
    for (const auto& guid : instance_guids) guids += (guids.empty() ? "" : ",") + guid;
    query += "&service_instance_guids=" + guids;
  }
  if (!app_guid.empty()) query += "&app_guids=" + app_guid;
  auto all = client.listAll(query);
  if (!all) return all;
  // The type filter may be ignored by an API; keys never count as app bindings.
  std::vector<json> bindings;
  for (auto& binding : *all) {
    if (binding.value("type", "app") == "app") bindings.push_back(std::move(binding));
  }
  return Result<std::vector<json>>::ok(std::move(bindings));
}

Result<std::map<std::string, std::string>> appNamesInSpace(const CcClient& client,
                                                           const std::string& space_guid) {
  auto apps = client.listAll("/v3/apps?space_guids=" + space_guid);
  if (!apps) return Result<std::map<std::string, std::string>>::fail(apps.error());
  std::map<std::string, std::string> names;
  for (const auto& app : *apps) names[app.value("guid", "")] = app.value("name", "");
  return Result<std::map<std::string, std::string>>::ok(std::move(names));
}

}  // namespace foundry::cli
