// Service brokers: /v3/service_brokers, plus the marketplace's routing (offerings, plans and
// their visibility live in their own files) and the jobs that synchronize catalogs and delete
// brokers. A broker's credentials go into the store sealed and never come out in a response,
// an audit event or a log line.
#include <algorithm>

#include "common/log/log.h"
#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/api/service_presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// CC's create-service-broker message rules: a name, an http(s) URL with a host, basic auth.
std::string brokerName(const json& b) {
  auto name = body::optString(b, "name", "Name");
  if (!name || name->empty()) throw unprocessable("Name can't be blank");
  return *name;
}

std::string brokerUrl(const json& b) {
  auto url = body::optString(b, "url", "Url");
  if (!url || url->empty()) throw unprocessable("Url can't be blank");
  const bool http = url->rfind("http://", 0) == 0, https = url->rfind("https://", 0) == 0;
  const std::string rest = url->substr(http ? 7 : https ? 8 : 0);
  const std::string authority = rest.substr(0, rest.find('/'));
  if ((!http && !https) || authority.empty() ||
      url->find_first_of(" \t\r\n") != std::string::npos) {
    throw unprocessable("Url must be a valid url");
  }
  // Credentials go in `authentication`, where they are sealed; a URL is shown to readers.
  if (authority.find('@') != std::string::npos) {
    throw unprocessable("Url must not contain credentials");
  }
  std::string trimmed = *url;
  while (trimmed.back() == '/') trimmed.pop_back();
  return trimmed;
}

struct BasicAuth {
  std::string username;
  auth::Secret password;
};

BasicAuth brokerAuthentication(const json& b) {
  if (!b.contains("authentication") || !b["authentication"].is_object()) {
    throw unprocessable("Authentication must be an object");
  }
  const json& a = b["authentication"];
  body::allowOnly(a, {"type", "credentials"});
  if (!a.contains("type") || a["type"] != "basic") {
    throw unprocessable("Authentication type must be one of 'basic'");
  }
  if (!a.contains("credentials") || !a["credentials"].is_object()) {
    throw unprocessable("Authentication credentials must be an object");
  }
  const json& cr = a["credentials"];
  body::allowOnly(cr, {"username", "password"});
  auto user = body::optString(cr, "username", "Authentication credentials username");
  auto pass = body::optString(cr, "password", "Authentication credentials password");
  if (!user || user->empty()) {
    throw unprocessable("Authentication credentials username can't be blank");
  }
  if (!pass || pass->empty()) {
    throw unprocessable("Authentication credentials password can't be blank");
  }
  return {*user, auth::Secret(*pass)};
}

// What an audit event records of a broker request: never the credentials.
json auditedRequest(const json& b) {
  json out = json::object();
  for (const char* key : {"name", "url", "relationships"}) {
    if (b.contains(key)) out[key] = b[key];
  }
  if (b.contains("authentication")) out["authentication"] = "[PRIVATE DATA HIDDEN]";
  return out;
}

const char* kSynchronize = "service_broker.catalog.synchronize";
const char* kUpdate = "service_broker.update";
const char* kDelete = "service_broker.delete";

}  // namespace

std::optional<ApiResponse> Api::dispatchMarketplace(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  auto is = [&](std::initializer_list<const char*> pattern) { return matches(s, pattern); };
  if (s[1] == "service_brokers") {
    if (m == "POST" && is({"v3", "service_brokers"})) return createServiceBroker(c);
    if (m == "GET" && is({"v3", "service_brokers"})) return listServiceBrokers(c);
    if (m == "GET" && is({"v3", "service_brokers", "*"})) return getServiceBroker(c, s[2]);
    if (m == "PATCH" && is({"v3", "service_brokers", "*"})) return updateServiceBroker(c, s[2]);
    if (m == "DELETE" && is({"v3", "service_brokers", "*"})) return deleteServiceBroker(c, s[2]);
  }
  if (s[1] == "service_offerings") {
    if (m == "GET" && is({"v3", "service_offerings"})) return listServiceOfferings(c);
    if (m == "GET" && is({"v3", "service_offerings", "*"})) return getServiceOffering(c, s[2]);
    if (m == "DELETE" && is({"v3", "service_offerings", "*"})) {
      return deleteServiceOffering(c, s[2]);
    }
  }
  if (s[1] == "service_plans") {
    if (m == "GET" && is({"v3", "service_plans"})) return listServicePlans(c);
    if (m == "GET" && is({"v3", "service_plans", "*"})) return getServicePlan(c, s[2]);
    if (m == "GET" && is({"v3", "service_plans", "*", "visibility"})) {
      return getPlanVisibility(c, s[2]);
    }
    if ((m == "POST" || m == "PATCH") && is({"v3", "service_plans", "*", "visibility"})) {
      return setPlanVisibility(c, s[2], m == "PATCH");
    }
    if (m == "DELETE" && is({"v3", "service_plans", "*", "visibility", "*"})) {
      return deletePlanVisibility(c, s[2], s[4]);
    }
  }
  return std::nullopt;
}

ServiceBroker Api::requireBroker(const Ctx& c, const std::string& guid, bool write) {
  auto broker = store_.getServiceBroker(guid);
  if (!broker) throw notFound("Service broker");
  if (!broker->space_guid) {
    // Global brokers are the operator's: other users cannot even learn of them.
    if (!c.can().canReadGlobally()) throw notFound("Service broker");
    if (write) requireAdmin(c);
    return *broker;
  }
  auto space = store_.getSpace(*broker->space_guid);
  if (!space || !c.can().canReadSpace(*space)) throw notFound("Service broker");
  if (write) authorizeSpace(c, space->guid, Access::Write, "Service broker");
  return *broker;
}

std::vector<ServiceInstance> Api::instancesOfBroker(const std::string& broker_guid) {
  ServicePlanFilter plans;
  plans.broker_guids = {broker_guid};
  ServiceInstanceFilter filter;
  for (const auto& p : store_.listServicePlans(plans)) filter.plan_guids.push_back(p.guid);
  if (filter.plan_guids.empty()) return {};
  return store_.listServiceInstances(filter);
}

ApiResponse Api::createServiceBroker(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"name", "url", "authentication", "relationships", "metadata"});
  const std::string now = nowIso8601();
  ServiceBroker broker;
  broker.guid = newGuid();
  broker.name = brokerName(b);
  broker.url = brokerUrl(b);
  BasicAuth credentials = brokerAuthentication(b);
  broker.username = credentials.username;
  broker.password = credentials.password;
  broker.space_guid = body::relationshipGuid(b, "space");
  if (broker.space_guid) {
    auto space = store_.getSpace(*broker.space_guid);
    if (!space || !c.can().canReadSpace(*space)) {
      throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
    }
    authorizeSpace(c, space->guid, Access::Write, "Space");
  } else {
    requireAdmin(c);  // global brokers are the operator's
  }
  broker.state = "SYNCHRONIZING";
  broker.created_at = broker.updated_at = now;
  const WriteResult r = store_.createServiceBroker(broker);
  if (r == WriteResult::Duplicate) throw unprocessable("Name must be unique");
  if (r != WriteResult::Ok) throw StoreError("cannot create service broker");
  audit(c, "audit.service_broker.create", "service_broker", broker.guid, broker.name,
        broker.space_guid.value_or(""), {{"request", auditedRequest(b)}});
  log::info("controller", "service-broker-created",
            {{"broker", broker.guid}, {"name", broker.name}, {"url", broker.url}});
  return newServiceJob(c, kSynchronize, "service_broker", broker.guid).second;
}

ApiResponse Api::listServiceBrokers(Ctx& c) {
  c.query.allowOnly({"names", "guids", "space_guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  ServiceBrokerFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  std::vector<std::string> spaces;
  if (auto* v = c.query.find("space_guids")) spaces = *v;
  // Non-admins see the brokers scoped to spaces they can read, never global ones.
  const bool scoped = c.query.find("space_guids") || !c.can().canReadGlobally();
  std::vector<ServiceBroker> brokers;
  if (scopeFilter(spaces, c.can().readableSpaces())) {
    if (scoped) f.in_spaces = spaces;
    brokers = store_.listServiceBrokers(f);
  }
  std::function<std::string(const ServiceBroker&)> key = [&](const ServiceBroker& b) {
    return page.order_by == "name"         ? b.name
           : page.order_by == "updated_at" ? b.updated_at
                                           : b.created_at;
  };
  std::function<json(const ServiceBroker&)> present = [&](const ServiceBroker& b) {
    return presentServiceBroker(c.req.base_url, b);
  };
  return {200,
          presentList(c.req.base_url, "/v3/service_brokers", c.req.query, page,
                      std::move(brokers), key, present),
          {}};
}

ApiResponse Api::getServiceBroker(Ctx& c, const std::string& guid) {
  return {200, presentServiceBroker(c.req.base_url, requireBroker(c, guid, false)), {}};
}

ApiResponse Api::updateServiceBroker(Ctx& c, const std::string& guid) {
  ServiceBroker broker = requireBroker(c, guid, true);
  json b = c.body();
  body::allowOnly(b, {"name", "url", "authentication", "metadata"});
  const bool resync = b.contains("url") || b.contains("authentication");
  if (broker.state == "DELETE_IN_PROGRESS" || (resync && broker.state == "SYNCHRONIZING")) {
    throw unprocessable("Cannot update a broker when other operation is already in progress");
  }
  if (b.contains("name")) broker.name = brokerName(b);
  if (b.contains("url")) broker.url = brokerUrl(b);
  if (b.contains("authentication")) {
    BasicAuth credentials = brokerAuthentication(b);
    broker.username = credentials.username;
    broker.password = credentials.password;
  }
  if (resync) broker.state = "SYNCHRONIZING";
  broker.updated_at = nowIso8601();
  const WriteResult r = store_.updateServiceBroker(broker);
  if (r == WriteResult::Duplicate) throw unprocessable("Name must be unique");
  if (r != WriteResult::Ok) throw StoreError("cannot update service broker");
  audit(c, "audit.service_broker.update", "service_broker", broker.guid, broker.name,
        broker.space_guid.value_or(""), {{"request", auditedRequest(b)}});
  // A new URL or new credentials may reach a different catalog: fetch it again.
  if (resync) return newServiceJob(c, kUpdate, "service_broker", broker.guid).second;
  return {200, presentServiceBroker(c.req.base_url, broker), {}};
}

ApiResponse Api::deleteServiceBroker(Ctx& c, const std::string& guid) {
  ServiceBroker broker = requireBroker(c, guid, true);
  auto instances = instancesOfBroker(guid);
  if (!instances.empty()) {
    std::string names;
    for (const auto& i : instances) names += (names.empty() ? "" : ", ") + i.name;
    throw unprocessable("Can not remove brokers that have associated service instances: " +
                        names);
  }
  broker.state = "DELETE_IN_PROGRESS";
  broker.updated_at = nowIso8601();
  store_.updateServiceBroker(broker);
  audit(c, "audit.service_broker.delete", "service_broker", broker.guid, broker.name,
        broker.space_guid.value_or(""));
  return newServiceJob(c, kDelete, "service_broker", broker.guid).second;
}

bool Api::isCatalogJob(const Job& job) {
  return job.operation == kSynchronize || job.operation == kUpdate || job.operation == kDelete;
}

int Api::advanceCatalogJobs() {
  int started = 0;
  for (const Job& job : store_.listJobsInState("PROCESSING")) {
    if (!isCatalogJob(job) || broker_calls_in_flight_.count(job.guid)) continue;
    ++started;
    if (job.operation == kDelete) {
      runBrokerDeletion(job);
    } else {
      startCatalogSync(job);
    }
  }
  return started;
}

void Api::runBrokerDeletion(Job job) {
  // An instance may have been created between the request and now: check again.
  auto instances = instancesOfBroker(job.resource_guid);
  if (!instances.empty()) {
    if (auto broker = store_.getServiceBroker(job.resource_guid)) {
      broker->state = "AVAILABLE";
      store_.updateServiceBroker(*broker);
    }
    std::string names;
    for (const auto& i : instances) names += (names.empty() ? "" : ", ") + i.name;
    endCatalogJob(job, {{"code", 10008},
                        {"title", "CF-UnprocessableEntity"},
                        {"detail", "Can not remove brokers that have associated service "
                                   "instances: " + names}});
    return;
  }
  const WriteResult r = store_.deleteServiceBroker(job.resource_guid);
  if (r != WriteResult::Ok && r != WriteResult::NotFound) {
    endCatalogJob(job, {{"code", 10001},
                        {"title", "UnknownError"},
                        {"detail", "the service broker could not be deleted"}});
    return;
  }
  endCatalogJob(job, nullptr);
}

void Api::endCatalogJob(Job job, const json& error) {
  job.state = error.is_null() ? "COMPLETE" : "FAILED";
  job.errors = error.is_null() ? "[]" : json::array({error}).dump();
  job.updated_at = nowIso8601();
  store_.updateJob(job);
  log::info("controller", "job-finished",
            {{"job", job.guid}, {"operation", job.operation}, {"state", job.state}});
}

}  // namespace foundry::control
