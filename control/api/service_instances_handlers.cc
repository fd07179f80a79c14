// /v3/service_instances: managed instances (a broker provisions them: 202 + a job, the broker
// call made by service_operations.cc) and user-provided ones (credentials the user gives: 201,
// no broker). PLATFORM-APIS.md B.2/B.3; CC's texts where the cf CLI reads them.
#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/api/service_fields.h"

namespace foundry::control {

using nlohmann::json;

namespace {

json lastOperationJson(const LastOperation& lo) {
  return {{"type", lo.type},
          {"state", lo.state},
          {"description", lo.description},
          {"created_at", lo.created_at},
          {"updated_at", lo.updated_at}};
}

std::vector<std::string> tagsOf(const json& b) {
  std::vector<std::string> tags;
  if (!b.contains("tags")) return tags;
  if (!b["tags"].is_array()) throw unprocessable("Tags must be a list");
  for (const auto& t : b["tags"]) {
    if (!t.is_string()) throw unprocessable("Tags must be a list of strings");
    tags.push_back(t.get<std::string>());
  }
  size_t total = 0;
  for (const auto& t : tags) total += t.size();
  if (total > 2048) throw unprocessable("Tags is too long (maximum is 2048 characters)");
  return tags;
}

void checkName(const std::string& name) {
  if (name.empty()) throw unprocessable("Name can't be blank");
  if (name.size() > 255) throw unprocessable("Name is too long (maximum is 255 characters)");
}

// A user-provided instance's URL field: absent/""/null = none; otherwise a URL of `schemes`.
std::optional<std::string> urlField(const json& b, const std::string& key, const std::string& label,
                                    std::initializer_list<const char*> schemes) {
  if (!b.contains(key) || b[key].is_null()) return std::nullopt;
  if (!b[key].is_string()) throw unprocessable(label + " must be a string");
  std::string url = b[key].get<std::string>();
  if (url.empty()) return std::nullopt;
  for (const char* scheme : schemes) {
    const std::string prefix = std::string(scheme) + "://";
    if (url.rfind(prefix, 0) == 0 && url.size() > prefix.size()) return url;
  }
  if (key == "route_service_url") throw unprocessable("Route service url must be https");
  throw unprocessable(label + " must be a valid URI");
}

json credentialsField(const json& b) {
  if (!b.contains("credentials")) return json::object();
  if (!b["credentials"].is_object()) throw unprocessable("Credentials must be an object");
  return b["credentials"];
}

json parametersField(const json& b) {
  if (!b.contains("parameters")) return nullptr;
  if (!b["parameters"].is_object()) throw unprocessable("Parameters must be an object");
  return b["parameters"];
}

// Fetching parameters back from a broker is not offered (the cf CLI prints the detail and
// goes on); CC answers the same when a broker does not support it.
ApiError parametersNotSupported(const std::string& what) {
  if (what == "service binding") {
    return {400, 90010, "CF-ServiceFetchBindingParametersNotSupported",
            "This service does not support fetching service binding parameters."};
  }
  return {400, 120004, "CF-ServiceFetchInstanceParametersNotSupported",
          "This service does not support fetching service instance parameters."};
}

}  // namespace

json Api::presentServiceInstance(const Ctx& c, const ServiceInstance& i) {
  const std::string& base = c.req.base_url;
  const std::string self = base + "/v3/service_instances/" + i.guid;
  json relationships = {{"space", {{"data", {{"guid", i.space_guid}}}}}};
  json links = {{"self", {{"href", self}}},
                {"space", {{"href", base + "/v3/spaces/" + i.space_guid}}},
                {"service_credential_bindings",
                 {{"href", base + "/v3/service_credential_bindings?service_instance_guids=" +
                               i.guid}}},
                {"service_route_bindings",
                 {{"href", base + "/v3/service_route_bindings?service_instance_guids=" + i.guid}}}};
  json out = {{"guid", i.guid},
              {"created_at", i.created_at},
              {"updated_at", i.updated_at},
              {"name", i.name},
              {"tags", i.tags},
              {"type", i.type},
              {"last_operation", lastOperationJson(i.last_operation)},
              {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}}};
  if (i.type == "managed") {
    json maintenance = json::parse(i.maintenance_info.value_or("{}"), nullptr, false);
    json metadata = json::parse(i.broker_metadata, nullptr, false);
    out["maintenance_info"] = maintenance.is_object() ? maintenance : json::object();
    out["upgrade_available"] = false;
    out["dashboard_url"] = i.dashboard_url ? json(*i.dashboard_url) : json(nullptr);
    out["broker_provided_metadata"] = metadata.is_object() ? metadata : json::object();
    relationships["service_plan"] = {{"data", {{"guid", i.plan_guid.value_or("")}}}};
    links["service_plan"] = {{"href", base + "/v3/service_plans/" + i.plan_guid.value_or("")}};
    links["parameters"] = {{"href", self + "/parameters"}};
    links["shared_spaces"] = {{"href", self + "/relationships/shared_spaces"}};
  } else {
    out["syslog_drain_url"] = i.syslog_drain_url ? json(*i.syslog_drain_url) : json(nullptr);
    out["route_service_url"] = i.route_service_url ? json(*i.route_service_url) : json(nullptr);
    links["credentials"] = {{"href", self + "/credentials"}};
  }
  out["relationships"] = std::move(relationships);
  out["links"] = std::move(links);
  return out;
}

ServiceInstance Api::requireServiceInstance(const Ctx& c, const std::string& guid, Access access) {
  auto i = store_.getServiceInstance(guid);
  if (!i) throw notFound("Service instance");
  authorizeSpace(c, i->space_guid, access, "Service instance");
  return *i;
}

void Api::refuseWhileInProgress(const ServiceInstance& instance) {
  if (instance.last_operation.state == "in progress") {
    throw ApiError{409, 60016, "CF-AsyncServiceInstanceOperationInProgress",
                   "An operation for service instance " + instance.name + " is in progress."};
  }
}

bool Api::planVisibleIn(const Ctx& c, const ServicePlan& plan, const Space& space) {
  if (c.can().isAdmin() || plan.visibility_type == "public") return true;
  if (plan.visibility_type == "organization") {
    for (const auto& v : store_.listPlanVisibilities(plan.guid)) {
      if (v.organization_guid == space.organization_guid) return true;
    }
    return false;
  }
  if (plan.visibility_type == "space") {
    auto offering = store_.getServiceOffering(plan.offering_guid);
    auto broker = offering ? store_.getServiceBroker(offering->broker_guid) : std::nullopt;
    return broker && broker->space_guid == space.guid;
  }
  return false;  // admin-only
}

json Api::brokerContext(const Space& space, const std::optional<std::string>& instance_name) {
  auto org = store_.getOrganization(space.organization_guid);
  json context = {{"platform", "cloudfoundry"},
                  {"organization_guid", space.organization_guid},
                  {"space_guid", space.guid},
                  {"organization_name", org ? org->name : ""},
                  {"space_name", space.name},
                  {"organization_annotations", json::object()},
                  {"space_annotations", json::object()}};
  if (instance_name) {
    context["instance_name"] = *instance_name;
    context["instance_annotations"] = json::object();
  }
  return context;
}

ServiceOperation Api::newServiceOperation(const Ctx& c, const std::string& kind,
                                          const std::string& target_guid,
                                          const ServiceInstance& instance,
                                          const std::string& binding_id, const json& request) {
  auto plan = store_.getServicePlan(instance.plan_guid.value_or(""));
  auto offering = plan ? store_.getServiceOffering(plan->offering_guid) : std::nullopt;
  if (!plan || !offering) throw unprocessable("The service plan of this instance is gone");
  ServiceOperation op;
  op.guid = newGuid();
  op.kind = kind;
  op.target_guid = target_guid;
  op.broker_guid = offering->broker_guid;
  op.service_id = offering->broker_catalog_id;
  op.plan_id = plan->broker_catalog_id;
  op.instance_id = instance.guid;
  op.binding_id = binding_id;
  op.request = auth::Secret(request.dump());
  op.user_guid = c.who().user_guid;
  op.created_at = op.updated_at = nowIso8601();
  return op;
}

ApiResponse Api::createServiceInstance(Ctx& c) {
  json b = c.body();
  const std::string type = body::optString(b, "type", "Type").value_or("");
  if (type != "managed" && type != "user-provided") {
    throw unprocessable("Type must be one of 'managed', 'user-provided'");
  }
  if (type == "managed") {
    body::allowOnly(b, {"type", "name", "relationships", "parameters", "tags", "metadata"});
  } else {
    body::allowOnly(b, {"type", "name", "relationships", "credentials", "syslog_drain_url",
                        "route_service_url", "tags", "metadata"});
  }
  ServiceInstance i;
  i.guid = newGuid();
  i.type = type;
  i.name = body::optString(b, "name", "Name").value_or("");
  checkName(i.name);
  i.tags = tagsOf(b);
  auto space_guid = body::relationshipGuid(b, "space");
  if (!space_guid) throw unprocessable("Relationships space can't be blank");
  auto readable = store_.getSpace(*space_guid);
  if (!readable || !c.can().canReadSpace(*readable)) {
    throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
  }
  Space space = authorizeSpace(c, *space_guid, Access::Write, "Space");
  i.space_guid = space.guid;
  i.created_at = i.updated_at = nowIso8601();
  i.last_operation = {"create", "succeeded", "", i.created_at, i.created_at};
  if (!store_.listServiceInstances({{}, {i.name}, {space.guid}, {}, {}}).empty()) {
    throw unprocessable("The service instance name is taken: " + i.name + ".");
  }

  if (type == "user-provided") {
    i.credentials = auth::Secret(credentialsField(b).dump());
    i.syslog_drain_url = urlField(b, "syslog_drain_url", "Syslog drain url",
                                  {"syslog", "syslog-tls", "http", "https"});
    i.route_service_url = urlField(b, "route_service_url", "Route service url", {"https"});
    if (store_.createServiceInstance(i) == WriteResult::Duplicate) {
      throw unprocessable("The service instance name is taken: " + i.name + ".");
    }
    audit(c, "audit.user_provided_service_instance.create", "user_provided_service_instance",
          i.guid, i.name, i.space_guid);
    return {201, presentServiceInstance(c, i), {}};
  }

  auto plan_guid = body::relationshipGuid(b, "service_plan");
  if (!plan_guid) throw unprocessable("Relationships service_plan can't be blank");
  auto plan = store_.getServicePlan(*plan_guid);
  if (!plan || !plan->available || !planVisibleIn(c, *plan, space)) {
    throw unprocessable(
        "Invalid service plan. Ensure that the service plan exists, is available, and you have "
        "access to it.");
  }
  checkServiceInstanceQuota(space, *plan);
  i.plan_guid = plan->guid;
  i.maintenance_info = plan->maintenance_info;
  i.credentials = auth::Secret("{}");
  i.last_operation.state = "in progress";
  auto org = store_.getOrganization(space.organization_guid);
  json request_body = {{"service_id", ""},
                       {"plan_id", plan->broker_catalog_id},
                       {"organization_guid", space.organization_guid},
                       {"space_guid", space.guid},
                       {"context", brokerContext(space, i.name)}};
  const json parameters = parametersField(b);
  if (!parameters.is_null()) request_body["parameters"] = parameters;
  if (plan->maintenance_info) {
    json mi = json::parse(*plan->maintenance_info, nullptr, false);
    if (mi.is_object() && mi.contains("version")) {
      request_body["maintenance_info"] = {{"version", mi["version"]}};
    }
  }
  ApiResponse response;
  store_.atomically([&] {
    if (store_.createServiceInstance(i) != WriteResult::Ok) {
      throw unprocessable("The service instance name is taken: " + i.name + ".");
    }
    auto [job, accepted] = newServiceJob(c, "service_instance.create", "service_instance", i.guid);
    ServiceOperation op = newServiceOperation(c, "provision", i.guid, i, "", json::object());
    request_body["service_id"] = op.service_id;
    op.request = auth::Secret(json{{"body", request_body}}.dump());
    op.job_guid = job.guid;
    store_.createServiceOperation(op);
    response = accepted;
  });
  audit(c, "audit.service_instance.start_create", "service_instance", i.guid, i.name,
        i.space_guid);
  return response;
}

ApiResponse Api::listServiceInstances(Ctx& c) {
  c.query.allowOnly({"names", "guids", "space_guids", "organization_guids", "type",
                     "service_plan_guids", "service_plan_names", "page", "per_page", "order_by",
                     "fields[space]", "fields[space.organization]", "fields[service_plan]",
                     "fields[service_plan.service_offering]",
                     "fields[service_plan.service_offering.service_broker]"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  ServiceInstanceFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  if (auto* v = c.query.find("type")) f.types = *v;
  if (auto* v = c.query.find("service_plan_guids")) f.plan_guids = *v;
  if (auto* v = c.query.find("organization_guids")) {
    std::vector<std::string> spaces;
    for (const auto& s : store_.listSpaces({{}, {}, *v})) spaces.push_back(s.guid);
    if (spaces.empty()) spaces.push_back("");  // no space matches: nothing does
    if (f.space_guids.empty()) {
      f.space_guids = spaces;
    } else {
      std::erase_if(f.space_guids, [&](const std::string& g) {
        return std::find(spaces.begin(), spaces.end(), g) == spaces.end();
      });
      if (f.space_guids.empty()) f.space_guids.push_back("");
    }
  }
  if (auto* v = c.query.find("service_plan_names")) {
    std::vector<std::string> plans;
    for (const auto& p : store_.listServicePlans({{}, *v, {}, {}, std::nullopt})) {
      plans.push_back(p.guid);
    }
    if (plans.empty()) plans.push_back("");
    f.plan_guids.insert(f.plan_guids.end(), plans.begin(), plans.end());
  }
  std::vector<ServiceInstance> instances;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) {
    instances = store_.listServiceInstances(f);
  }
  std::function<std::string(const ServiceInstance&)> key = [&](const ServiceInstance& i) {
    return page.order_by == "name"         ? i.name
           : page.order_by == "updated_at" ? i.updated_at
                                           : i.created_at;
  };
  std::function<json(const ServiceInstance&)> present = [&](const ServiceInstance& i) {
    return presentServiceInstance(c, i);
  };
  json list = presentList(c.req.base_url, "/v3/service_instances", c.req.query, page, instances,
                          key, present);
  json included = serviceInstanceIncludes(c, list["resources"]);
  if (!included.empty()) list["included"] = std::move(included);
  return {200, std::move(list), {}};
}

json Api::serviceInstanceIncludes(const Ctx& c, const json& resources) {
  // fields[...] asks for parts of related resources, which land in `included` (B.1).
  fields::Included included(c.query);
  for (const auto& r : resources) {
    const std::string space_guid = r["relationships"]["space"]["data"]["guid"];
    if (included.wants("space") || included.wants("space.organization")) {
      if (auto space = store_.getSpace(space_guid)) {
        included.add("space", "spaces", presentSpace(c.req.base_url, *space));
        if (auto org = store_.getOrganization(space->organization_guid)) {
          included.add("space.organization", "organizations",
                       presentOrganization(c.req.base_url, *org));
        }
      }
    }
    if (!r["relationships"].contains("service_plan")) continue;
    const std::string plan_guid = r["relationships"]["service_plan"]["data"]["guid"];
    auto plan = store_.getServicePlan(plan_guid);
    if (!plan) continue;
    included.add("service_plan", "service_plans",
                 {{"guid", plan->guid},
                  {"name", plan->name},
                  {"description", plan->description},
                  {"relationships",
                   {{"service_offering", {{"data", {{"guid", plan->offering_guid}}}}}}}});
    auto offering = store_.getServiceOffering(plan->offering_guid);
    if (!offering) continue;
    json o = {{"guid", offering->guid},
              {"name", offering->name},
              {"description", offering->description},
              {"tags", offering->tags},
              {"documentation_url", offering->documentation_url
                                        ? json(*offering->documentation_url)
                                        : json(nullptr)},
              {"relationships",
               {{"service_broker", {{"data", {{"guid", offering->broker_guid}}}}}}}};
    included.add("service_plan.service_offering", "service_offerings", o);
    if (auto broker = store_.getServiceBroker(offering->broker_guid)) {
      included.add("service_plan.service_offering.service_broker", "service_brokers",
                   {{"guid", broker->guid}, {"name", broker->name}});
    }
  }
  return included.result();
}

ApiResponse Api::getServiceInstance(Ctx& c, const std::string& guid) {
  ServiceInstance i = requireServiceInstance(c, guid, Access::Read);
  json out = presentServiceInstance(c, i);
  json included = serviceInstanceIncludes(c, json::array({out}));
  if (!included.empty()) out["included"] = std::move(included);
  return {200, std::move(out), {}};
}

ApiResponse Api::getServiceInstanceCredentials(Ctx& c, const std::string& guid) {
  ServiceInstance i = requireServiceInstance(c, guid, Access::Read);
  if (i.type != "user-provided") throw notFound("Service instance");
  if (!c.can().canReadSecrets(i.space_guid)) throw notAuthorized();
  json credentials = json::parse(i.credentials.reveal(), nullptr, false);
  return {200, credentials.is_object() ? credentials : json::object(), {}};
}

ApiResponse Api::updateServiceInstance(Ctx& c, const std::string& guid) {
  ServiceInstance i = requireServiceInstance(c, guid, Access::Write);
  json b = c.body();
  if (i.type == "managed") {
    body::allowOnly(b, {"name", "relationships", "parameters", "tags", "metadata",
                        "maintenance_info"});
  } else {
    body::allowOnly(b, {"name", "credentials", "syslog_drain_url", "route_service_url", "tags",
                        "metadata"});
  }
  refuseWhileInProgress(i);
  const std::string now = nowIso8601();
  if (auto name = body::optString(b, "name", "Name")) {
    checkName(*name);
    if (*name != i.name &&
        !store_.listServiceInstances({{}, {*name}, {i.space_guid}, {}, {}}).empty()) {
      throw unprocessable("The service instance name is taken: " + *name + ".");
    }
    i.name = *name;
  }
  if (b.contains("tags")) i.tags = tagsOf(b);
  i.updated_at = now;

  if (i.type == "user-provided") {
    bool rebind = false;
    if (b.contains("credentials")) {
      i.credentials = auth::Secret(credentialsField(b).dump());
      rebind = true;
    }
    if (b.contains("syslog_drain_url")) {
      i.syslog_drain_url = urlField(b, "syslog_drain_url", "Syslog drain url",
                                    {"syslog", "syslog-tls", "http", "https"});
      rebind = true;
    }
    const bool new_route_service = b.contains("route_service_url");
    if (new_route_service) {
      i.route_service_url = urlField(b, "route_service_url", "Route service url", {"https"});
      if (!i.route_service_url &&
          !store_.listServiceRouteBindings({{}, {}, {i.guid}, {}}).empty()) {
        throw unprocessable(
            "Route service url cannot be removed while the service instance is bound to routes");
      }
    }
    i.last_operation = {"update", "succeeded", "", now, now};
    store_.atomically([&] {
      if (store_.updateServiceInstance(i) != WriteResult::Ok) throw notFound("Service instance");
      // CC rewrites the bindings' copies; apps see them after a restart (A.9).
      if (rebind) {
        for (auto binding : store_.listServiceBindings({{}, {}, {}, {i.guid}, {}, {}})) {
          binding.credentials = i.credentials;
          binding.syslog_drain_url = i.syslog_drain_url;
          binding.updated_at = now;
          store_.updateServiceBinding(binding);
        }
      }
    });
    if (new_route_service) updateRouteServiceUrl(i);
    audit(c, "audit.user_provided_service_instance.update", "user_provided_service_instance",
          i.guid, i.name, i.space_guid);
    return {200, presentServiceInstance(c, i), {}};
  }

  // Managed: a plan or parameters change goes to the broker; names and tags are ours alone.
  const json parameters = parametersField(b);
  std::optional<ServicePlan> new_plan;
  if (auto plan_guid = body::relationshipGuid(b, "service_plan")) {
    auto plan = store_.getServicePlan(*plan_guid);
    auto current = store_.getServicePlan(i.plan_guid.value_or(""));
    Space space = *store_.getSpace(i.space_guid);
    if (!plan || !plan->available || !planVisibleIn(c, *plan, space) || !current ||
        plan->offering_guid != current->offering_guid) {
      throw unprocessable(
          "Invalid service plan. Ensure that the service plan exists, is available, and you "
          "have access to it.");
    }
    if (plan->guid != current->guid) {
      if (!current->plan_updateable) {
        throw unprocessable("The service does not support changing plans.");
      }
      new_plan = *plan;
    }
  }
  if (!new_plan && parameters.is_null()) {
    if (store_.updateServiceInstance(i) != WriteResult::Ok) throw notFound("Service instance");
    audit(c, "audit.service_instance.update", "service_instance", i.guid, i.name, i.space_guid);
    return {200, presentServiceInstance(c, i), {}};
  }
  auto current_plan = store_.getServicePlan(i.plan_guid.value_or(""));
  Space space = *store_.getSpace(i.space_guid);
  json request_body = {{"context", brokerContext(space, i.name)},
                       {"previous_values",
                        {{"plan_id", current_plan ? current_plan->broker_catalog_id : ""},
                         {"organization_id", space.organization_guid},
                         {"space_id", space.guid}}}};
  if (new_plan) request_body["plan_id"] = new_plan->broker_catalog_id;
  if (!parameters.is_null()) request_body["parameters"] = parameters;
  i.last_operation = {"update", "in progress", "", now, now};
  ApiResponse response;
  store_.atomically([&] {
    if (store_.updateServiceInstance(i) != WriteResult::Ok) throw notFound("Service instance");
    auto [job, accepted] = newServiceJob(c, "service_instance.update", "service_instance", i.guid);
    // Polls name the old plan until the update is done (A.3).
    ServiceOperation op = newServiceOperation(c, "update", i.guid, i, "", json::object());
    request_body["service_id"] = op.service_id;
    json request = {{"body", request_body}};
    if (new_plan) request["new_plan_guid"] = new_plan->guid;
    op.request = auth::Secret(request.dump());
    op.job_guid = job.guid;
    store_.createServiceOperation(op);
    response = accepted;
  });
  audit(c, "audit.service_instance.start_update", "service_instance", i.guid, i.name,
        i.space_guid);
  return response;
}

ApiResponse Api::deleteServiceInstance(Ctx& c, const std::string& guid) {
  ServiceInstance i = requireServiceInstance(c, guid, Access::Write);
  c.query.allowOnly({"purge"});
  const auto* purge = c.query.find("purge");
  const bool purging = purge && purge->size() == 1 && (*purge)[0] == "true";
  auto bindings = store_.listServiceBindings({{}, {}, {}, {i.guid}, {}, {}});
  auto route_bindings = store_.listServiceRouteBindings({{}, {}, {i.guid}, {}});
  if (purging || i.type == "user-provided") {
    // No broker is asked: the rows go (purge is the operator's way out of a dead broker).
    if (purging && !c.can().isAdmin()) throw notAuthorized();
    store_.atomically([&] {
      for (const auto& b : bindings) store_.deleteServiceBinding(b.guid);
      for (const auto& b : route_bindings) store_.deleteServiceRouteBinding(b.guid);
      for (const auto& op : store_.listServiceOperations()) {
        if (op.instance_id == i.guid) store_.deleteServiceOperation(op.guid);
      }
      if (store_.deleteServiceInstance(i.guid) != WriteResult::Ok) {
        throw notFound("Service instance");
      }
    });
    audit(c, i.type == "managed" ? "audit.service_instance.purge"
                                 : "audit.user_provided_service_instance.delete",
          i.type == "managed" ? "service_instance" : "user_provided_service_instance", i.guid,
          i.name, i.space_guid);
    for (const auto& b : bindings) {
      if (b.app_guid) desiredStateChanged(*b.app_guid);
    }
    for (const auto& b : route_bindings) routeServiceChanged(b.route_guid);
    return {204, nullptr, {}};
  }
  refuseWhileInProgress(i);
  for (const auto& b : bindings) {
    if (b.last_operation.state == "in progress") refuseWhileInProgress(i);
  }
  const std::string now = nowIso8601();
  i.last_operation = {"delete", "in progress", "", now, now};
  i.updated_at = now;
  ApiResponse response;
  store_.atomically([&] {
    store_.updateServiceInstance(i);
    auto [job, accepted] = newServiceJob(c, "service_instance.delete", "service_instance", i.guid);
    // As CC: the bindings and keys are unbound first; the deprovision waits for them
    // (advanceServiceOperations) and one failed unbind fails the whole delete.
    for (auto b : bindings) {
      b.last_operation = {"delete", "in progress", "", now, now};
      b.updated_at = now;
      store_.updateServiceBinding(b);
      ServiceOperation unbind = newServiceOperation(c, "unbind", b.guid, i, b.guid, json::object());
      unbind.job_guid = job.guid;
      store_.createServiceOperation(unbind);
    }
    ServiceOperation op = newServiceOperation(c, "deprovision", i.guid, i, "", json::object());
    op.job_guid = job.guid;
    store_.createServiceOperation(op);
    response = accepted;
  });
  audit(c, "audit.service_instance.start_delete", "service_instance", i.guid, i.name,
        i.space_guid);
  return response;
}

std::optional<ApiResponse> Api::dispatchServiceInstances(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  auto is = [&](std::initializer_list<const char*> pattern) { return matches(s, pattern); };
  if (s[1] == "service_instances") {
    if (m == "POST" && is({"v3", "service_instances"})) return createServiceInstance(c);
    if (m == "GET" && is({"v3", "service_instances"})) return listServiceInstances(c);
    if (m == "GET" && is({"v3", "service_instances", "*"})) return getServiceInstance(c, s[2]);
    if (m == "PATCH" && is({"v3", "service_instances", "*"})) {
      return updateServiceInstance(c, s[2]);
    }
    if (m == "DELETE" && is({"v3", "service_instances", "*"})) {
      return deleteServiceInstance(c, s[2]);
    }
    if (m == "GET" && is({"v3", "service_instances", "*", "credentials"})) {
      return getServiceInstanceCredentials(c, s[2]);
    }
    if (m == "GET" && is({"v3", "service_instances", "*", "parameters"})) {
      requireServiceInstance(c, s[2], Access::Read);
      throw parametersNotSupported("service instance");
    }
    if (m == "GET" && is({"v3", "service_instances", "*", "relationships", "shared_spaces"})) {
      // Sharing instances across spaces is not offered: always none.
      requireServiceInstance(c, s[2], Access::Read);
      return ApiResponse{200,
                         {{"data", json::array()},
                          {"links", {{"self", {{"href", c.url("/v3/service_instances/" + s[2] +
                                                              "/relationships/shared_spaces")}}}}}},
                         {}};
    }
  }
  if (s[1] == "service_credential_bindings") {
    if (m == "POST" && is({"v3", "service_credential_bindings"})) return createServiceBinding(c);
    if (m == "GET" && is({"v3", "service_credential_bindings"})) return listServiceBindings(c);
    if (m == "GET" && is({"v3", "service_credential_bindings", "*"})) {
      return getServiceBinding(c, s[2]);
    }
    if (m == "GET" && is({"v3", "service_credential_bindings", "*", "details"})) {
      return getServiceBindingDetails(c, s[2]);
    }
    if (m == "GET" && is({"v3", "service_credential_bindings", "*", "parameters"})) {
      requireServiceBinding(c, s[2], Access::Read);
      throw parametersNotSupported("service binding");
    }
    if (m == "DELETE" && is({"v3", "service_credential_bindings", "*"})) {
      return deleteServiceBinding(c, s[2]);
    }
  }
  if (s[1] == "service_route_bindings") {
    if (m == "POST" && is({"v3", "service_route_bindings"})) return createServiceRouteBinding(c);
    if (m == "GET" && is({"v3", "service_route_bindings"})) return listServiceRouteBindings(c);
    if (m == "GET" && is({"v3", "service_route_bindings", "*"})) {
      return getServiceRouteBinding(c, s[2]);
    }
    if (m == "GET" && is({"v3", "service_route_bindings", "*", "parameters"})) {
      requireServiceRouteBinding(c, s[2], Access::Read);
      throw parametersNotSupported("service route binding");
    }
    if (m == "DELETE" && is({"v3", "service_route_bindings", "*"})) {
      return deleteServiceRouteBinding(c, s[2]);
    }
  }
  return std::nullopt;
}

}  // namespace foundry::control
