// /v3/service_credential_bindings: app bindings (type "app") and service keys (type "key").
// A user-provided instance's binding is made at once (201; its credentials are copied from the
// instance, A.9); a managed one asks the broker (202 + a job; service_operations.cc). The
// credentials are read only through /details, by those whose role may read secrets.
#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

json Api::presentServiceBinding(const Ctx& c, const ServiceBinding& b) {
  const std::string& base = c.req.base_url;
  const std::string self = base + "/v3/service_credential_bindings/" + b.guid;
  json relationships = {{"service_instance", {{"data", {{"guid", b.instance_guid}}}}}};
  json links = {{"self", {{"href", self}}},
                {"details", {{"href", self + "/details"}}},
                {"service_instance",
                 {{"href", base + "/v3/service_instances/" + b.instance_guid}}}};
  if (b.app_guid) {
    relationships["app"] = {{"data", {{"guid", *b.app_guid}}}};
    links["app"] = {{"href", base + "/v3/apps/" + *b.app_guid}};
  }
  links["parameters"] = {{"href", self + "/parameters"}};
  return {{"guid", b.guid},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at},
          {"name", b.name ? json(*b.name) : json(nullptr)},
          {"type", b.type},
          {"last_operation",
           {{"type", b.last_operation.type},
            {"state", b.last_operation.state},
            {"description", b.last_operation.description},
            {"created_at", b.last_operation.created_at},
            {"updated_at", b.last_operation.updated_at}}},
          {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}},
          {"relationships", std::move(relationships)},
          {"links", std::move(links)}};
}

ServiceBinding Api::requireServiceBinding(const Ctx& c, const std::string& guid, Access access) {
  auto b = store_.getServiceBinding(guid);
  if (!b) throw notFound("Service credential binding");
  auto instance = store_.getServiceInstance(b->instance_guid);
  if (!instance) throw notFound("Service credential binding");
  authorizeSpace(c, instance->space_guid, access, "Service credential binding");
  return *b;
}

ApiResponse Api::createServiceBinding(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"type", "name", "relationships", "parameters", "metadata"});
  const std::string type = body::optString(b, "type", "Type").value_or("");
  if (type != "app" && type != "key") throw unprocessable("Type must be one of 'app', 'key'");
  ServiceBinding binding;
  binding.guid = newGuid();
  binding.type = type;
  if (b.contains("name") && !b["name"].is_null()) {
    binding.name = body::optString(b, "name", "Name");
  }
  auto instance_guid = body::relationshipGuid(b, "service_instance");
  if (!instance_guid) throw unprocessable("Relationships service_instance can't be blank");
  auto instance = store_.getServiceInstance(*instance_guid);
  auto instance_space = instance ? store_.getSpace(instance->space_guid) : std::nullopt;
  if (!instance || !instance_space || !c.can().canReadSpace(*instance_space)) {
    throw unprocessable("The service instance could not be found: " + *instance_guid);
  }
  binding.instance_guid = instance->guid;
  std::optional<App> app;
  if (type == "app") {
    auto app_guid = body::relationshipGuid(b, "app");
    if (!app_guid) throw unprocessable("Relationships app can't be blank");
    app = store_.getApp(*app_guid);
    auto app_space = app ? store_.getSpace(app->space_guid) : std::nullopt;
    if (!app || !app_space || !c.can().canReadSpace(*app_space)) {
      throw unprocessable("Could not find app with guid '" + *app_guid + "'.");
    }
    if (app->space_guid != instance->space_guid) {
      throw unprocessable("The service instance and the app are in different spaces.");
    }
    binding.app_guid = app->guid;
  } else {
    if (!binding.name || binding.name->empty()) throw unprocessable("Name can't be blank");
    if (instance->type != "managed") {
      throw unprocessable(
          "Service credential bindings of type 'key' are not supported for user-provided "
          "service instances.");
    }
  }
  authorizeSpace(c, instance->space_guid, Access::Write, "Service instance");
  refuseWhileInProgress(*instance);

  // CC's rules (B.3): one binding per app and instance, binding names unique per app, key
  // names unique per instance. A failed earlier binding gives way (its mitigation is queued).
  auto existing = store_.listServiceBindings({{}, {}, {type}, {instance->guid}, {}, {}});
  for (const auto& e : existing) {
    const bool failed = e.last_operation.type == "create" && e.last_operation.state == "failed";
    if (type == "app" && e.app_guid == binding.app_guid) {
      if (!failed) throw unprocessable("The app is already bound to the service instance.");
      store_.deleteServiceBinding(e.guid);
    }
    if (type == "key" && e.name == binding.name) {
      throw unprocessable(
          "The binding name is invalid. Key binding names must be unique. The service instance "
          "already has a key binding with name '" + binding.name.value_or("") + "'.");
    }
  }
  if (type == "app" && binding.name) {
    for (const auto& e : store_.listServiceBindings({{}, {*binding.name}, {"app"}, {}, {*binding.app_guid}, {}})) {
      if (e.guid != binding.guid) {
        throw unprocessable(
            "The binding name is invalid. App binding names must be unique. The app already "
            "has a binding with name '" + *binding.name + "'.");
      }
    }
  }
  const std::string now = nowIso8601();
  binding.created_at = binding.updated_at = now;
  binding.last_operation = {"create", "succeeded", "", now, now};
  const std::string audit_type =
      type == "key" ? "audit.service_key.create" : "audit.service_binding.create";

  if (instance->type == "user-provided") {
    binding.credentials = instance->credentials;
    binding.syslog_drain_url = instance->syslog_drain_url;
    if (store_.createServiceBinding(binding) != WriteResult::Ok) {
      throw unprocessable("The app is already bound to the service instance.");
    }
    audit(c, audit_type, type == "key" ? "service_key" : "service_binding", binding.guid,
          binding.name.value_or(""), instance->space_guid);
    return {201, presentServiceBinding(c, binding), {}};
  }

  auto plan = store_.getServicePlan(instance->plan_guid.value_or(""));
  if (!plan || !plan->bindable) throw unprocessable("Service plan does not allow bindings.");
  if (instance->last_operation.type == "create" && instance->last_operation.state != "succeeded") {
    throw unprocessable("Service instance must be created successfully before it can be bound.");
  }
  if (type == "key") checkServiceKeyQuota(*instance_space);
  json bind_resource = type == "app"
                           ? json{{"app_guid", binding.app_guid.value_or("")},
                                  {"space_guid", instance->space_guid},
                                  {"app_annotations", json::object()}}
                           : json{{"credential_client_id", "cf"}};
  json request_body = {{"plan_id", plan->broker_catalog_id},
                       {"bind_resource", bind_resource},
                       {"context", brokerContext(*instance_space, std::nullopt)}};
  if (binding.app_guid) request_body["app_guid"] = *binding.app_guid;
  if (b.contains("parameters")) {
    if (!b["parameters"].is_object()) throw unprocessable("Parameters must be an object");
    request_body["parameters"] = b["parameters"];
  }
  binding.credentials = auth::Secret("{}");
  binding.last_operation.state = "in progress";
  ApiResponse response;
  store_.atomically([&] {
    if (store_.createServiceBinding(binding) != WriteResult::Ok) {
      throw unprocessable("The binding name is invalid. Key binding names must be unique.");
    }
    // Inside apply_manifest the binding reports to the manifest's job instead of its own.
    auto [job, accepted] =
        manifest_job_ ? std::pair<Job, ApiResponse>{*store_.getJob(*manifest_job_),
                                                    ApiResponse{202, nullptr, {}}}
                      : newServiceJob(c, "service_bindings.create", "service_credential_binding",
                                      binding.guid);
    ServiceOperation op =
        newServiceOperation(c, "bind", binding.guid, *instance, binding.guid, json::object());
    request_body["service_id"] = op.service_id;
    op.request = auth::Secret(json{{"body", request_body}}.dump());
    op.job_guid = job.guid;
    store_.createServiceOperation(op);
    response = accepted;
  });
  audit(c, audit_type, type == "key" ? "service_key" : "service_binding", binding.guid,
        binding.name.value_or(""), instance->space_guid);
  return response;
}

ApiResponse Api::listServiceBindings(Ctx& c) {
  c.query.allowOnly({"guids", "names", "type", "service_instance_guids", "service_instance_names",
                     "app_guids", "app_names", "include", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  ServiceBindingFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("type")) f.types = *v;
  if (auto* v = c.query.find("service_instance_guids")) f.instance_guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  // Names resolve to guids among what the caller may read.
  std::vector<std::string> readable_spaces;
  const auto readable = c.can().readableSpaces();
  if (auto* v = c.query.find("service_instance_names")) {
    ServiceInstanceFilter inf{{}, *v, readable.value_or(std::vector<std::string>{}), {}, {}};
    if (readable && readable->empty()) inf.space_guids = {""};
    for (const auto& i : store_.listServiceInstances(inf)) f.instance_guids.push_back(i.guid);
    if (f.instance_guids.empty()) f.instance_guids.push_back("");
  }
  if (auto* v = c.query.find("app_names")) {
    AppFilter af{{}, *v, readable.value_or(std::vector<std::string>{})};
    if (readable && readable->empty()) af.space_guids = {""};
    for (const auto& a : store_.listApps(af)) f.app_guids.push_back(a.guid);
    if (f.app_guids.empty()) f.app_guids.push_back("");
  }
  std::vector<ServiceBinding> bindings;
  if (scopeFilter(f.space_guids, readable)) bindings = store_.listServiceBindings(f);
  std::function<std::string(const ServiceBinding&)> key = [&](const ServiceBinding& b) {
    return page.order_by == "name"         ? b.name.value_or("")
           : page.order_by == "updated_at" ? b.updated_at
                                           : b.created_at;
  };
  std::function<json(const ServiceBinding&)> present = [&](const ServiceBinding& b) {
    return presentServiceBinding(c, b);
  };
  json list = presentList(c.req.base_url, "/v3/service_credential_bindings", c.req.query, page,
                          bindings, key, present);
  // include=app,service_instance (the cf CLI's `services` and `service` ask for them).
  std::vector<std::string> includes;
  if (auto* v = c.query.find("include")) includes = *v;
  auto wants = [&](const char* what) {
    return std::find(includes.begin(), includes.end(), what) != includes.end();
  };
  if (wants("app") || wants("service_instance")) {
    json apps = json::array(), instances = json::array();
    std::set<std::string> seen;
    for (const auto& r : list["resources"]) {
      const auto& rel = r["relationships"];
      if (wants("app") && rel.contains("app")) {
        const std::string guid = rel["app"]["data"]["guid"];
        auto a = store_.getApp(guid);
        if (a && seen.insert(guid).second) apps.push_back(presentApp(c.req.base_url, *a));
      }
      if (wants("service_instance")) {
        const std::string guid = rel["service_instance"]["data"]["guid"];
        auto i = store_.getServiceInstance(guid);
        if (i && seen.insert(guid).second) instances.push_back(presentServiceInstance(c, *i));
      }
    }
    list["included"] = json::object();
    if (wants("app")) list["included"]["apps"] = apps;
    if (wants("service_instance")) list["included"]["service_instances"] = instances;
  }
  return {200, std::move(list), {}};
}

ApiResponse Api::getServiceBinding(Ctx& c, const std::string& guid) {
  return {200, presentServiceBinding(c, requireServiceBinding(c, guid, Access::Read)), {}};
}

ApiResponse Api::getServiceBindingDetails(Ctx& c, const std::string& guid) {
  ServiceBinding b = requireServiceBinding(c, guid, Access::Read);
  auto instance = store_.getServiceInstance(b.instance_guid);
  if (!instance || !c.can().canReadSecrets(instance->space_guid)) throw notAuthorized();
  if (b.last_operation.type == "create" && b.last_operation.state != "succeeded") {
    throw notFound("Service credential binding");  // nothing to show yet
  }
  json credentials = json::parse(b.credentials.reveal(), nullptr, false);
  json mounts = json::parse(b.volume_mounts, nullptr, false);
  json out = {{"credentials", credentials.is_object() ? credentials : json::object()}};
  if (b.syslog_drain_url) out["syslog_drain_url"] = *b.syslog_drain_url;
  if (mounts.is_array() && !mounts.empty()) out["volume_mounts"] = mounts;
  audit(c, b.type == "key" ? "audit.service_key.show" : "audit.service_binding.show",
        b.type == "key" ? "service_key" : "service_binding", b.guid, b.name.value_or(""),
        instance->space_guid);
  return {200, std::move(out), {}};
}

ApiResponse Api::deleteServiceBinding(Ctx& c, const std::string& guid) {
  ServiceBinding b = requireServiceBinding(c, guid, Access::Write);
  auto instance = store_.getServiceInstance(b.instance_guid);
  if (!instance) throw notFound("Service credential binding");
  const std::string audit_type =
      b.type == "key" ? "audit.service_key.delete" : "audit.service_binding.delete";
  if (instance->type == "user-provided") {
    store_.deleteServiceBinding(b.guid);
    audit(c, audit_type, b.type == "key" ? "service_key" : "service_binding", b.guid,
          b.name.value_or(""), instance->space_guid);
    return {204, nullptr, {}};
  }
  if (b.last_operation.state == "in progress") {
    throw ApiError{409, 60016, "CF-AsyncServiceInstanceOperationInProgress",
                   "An operation for the service binding between app and service instance " +
                       instance->name + " is in progress."};
  }
  const std::string now = nowIso8601();
  b.last_operation = {"delete", "in progress", "", now, now};
  b.updated_at = now;
  ApiResponse response;
  store_.atomically([&] {
    store_.updateServiceBinding(b);
    auto [job, accepted] =
        newServiceJob(c, "service_bindings.delete", "service_credential_binding", b.guid);
    ServiceOperation op =
        newServiceOperation(c, "unbind", b.guid, *instance, b.guid, json::object());
    op.job_guid = job.guid;
    store_.createServiceOperation(op);
    response = accepted;
  });
  audit(c, audit_type, b.type == "key" ? "service_key" : "service_binding", b.guid,
        b.name.value_or(""), instance->space_guid);
  return response;
}

}  // namespace foundry::control
