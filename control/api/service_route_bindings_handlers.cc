// /v3/service_route_bindings: a route bound to a route service (PLATFORM-APIS.md B.2; Cloud
// Controller's ServiceRouteBindingCreate). A user-provided instance with a route_service_url
// binds at once (201); the apps on the route get their desired state again, so the route
// emitter registers the route with route_service_url and the router sends the route's traffic
// through it (ROUTER-PROTOCOL.md 7). Deleting the binding (204) drops it the same way.
// Managed instances (brokers with route_forwarding) are not offered yet: 422.
// Who may do what is the space's: readers of the route's space see its binding, developers
// there bind and unbind.
#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

json Api::presentServiceRouteBinding(const Ctx& c, const ServiceRouteBinding& b) {
  const std::string& base = c.req.base_url;
  const std::string self = base + "/v3/service_route_bindings/" + b.guid;
  return {{"guid", b.guid},
          {"route_service_url", b.route_service_url.empty() ? json(nullptr)
                                                             : json(b.route_service_url)},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at},
          {"last_operation",
           {{"type", b.last_operation.type},
            {"state", b.last_operation.state},
            {"description", b.last_operation.description},
            {"created_at", b.last_operation.created_at},
            {"updated_at", b.last_operation.updated_at}}},
          {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}},
          {"relationships",
           {{"service_instance", {{"data", {{"guid", b.instance_guid}}}}},
            {"route", {{"data", {{"guid", b.route_guid}}}}}}},
          {"links",
           {{"self", {{"href", self}}},
            {"service_instance", {{"href", base + "/v3/service_instances/" + b.instance_guid}}},
            {"route", {{"href", base + "/v3/routes/" + b.route_guid}}},
            {"parameters", {{"href", self + "/parameters"}}}}}};
}

ServiceRouteBinding Api::requireServiceRouteBinding(const Ctx& c, const std::string& guid,
                                                    Access access) {
  auto b = store_.getServiceRouteBinding(guid);
  if (!b) throw notFound("Service route binding");
  auto route = store_.getRoute(b->route_guid);
  if (!route) throw notFound("Service route binding");
  authorizeSpace(c, route->space_guid, access, "Service route binding");
  return *b;
}

void Api::routeServiceChanged(const std::string& route_guid) {
  for (const auto& app_guid : appsRoutedBy(route_guid)) desiredStateChanged(app_guid);
}

ApiResponse Api::createServiceRouteBinding(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"relationships", "parameters", "metadata"});
  auto instance_guid = body::relationshipGuid(b, "service_instance");
  if (!instance_guid) throw unprocessable("Relationships service_instance can't be blank");
  auto route_guid = body::relationshipGuid(b, "route");
  if (!route_guid) throw unprocessable("Relationships route can't be blank");
  // What the caller may not see does not exist (CC's wording, a 422 like its other checks).
  auto instance = store_.getServiceInstance(*instance_guid);
  auto instance_space = instance ? store_.getSpace(instance->space_guid) : std::nullopt;
  if (!instance || !instance_space || !c.can().canReadSpace(*instance_space)) {
    throw unprocessable("The service instance could not be found: " + *instance_guid);
  }
  auto route = store_.getRoute(*route_guid);
  auto route_space = route ? store_.getSpace(route->space_guid) : std::nullopt;
  if (!route || !route_space || !c.can().canReadSpace(*route_space)) {
    throw unprocessable("The route could not be found: " + *route_guid);
  }
  authorizeSpace(c, route->space_guid, Access::Write, "Route");
  if (b.contains("parameters")) {
    // CC: user-provided instances take none, and there is no broker to give them to.
    throw unprocessable("Binding parameters are not supported for user-provided service instances");
  }
  if (instance->type != "user-provided" || !instance->route_service_url ||
      instance->route_service_url->empty()) {
    throw unprocessable("This service instance does not support route binding");
  }
  if (auto domain = store_.getDomain(route->domain_guid); domain && domain->internal) {
    throw unprocessable("Route services cannot be bound to internal routes");
  }
  if (instance->space_guid != route->space_guid) {
    throw unprocessable("The service instance and the route are in different spaces");
  }
  for (const auto& existing : store_.listServiceRouteBindings({{}, {route->guid}, {}, {}})) {
    if (existing.instance_guid == instance->guid) {
      throw unprocessable("The route and service instance are already bound");
    }
    throw unprocessable("A route may only be bound to a single service instance");
  }

  ServiceRouteBinding binding;
  binding.guid = newGuid();
  binding.route_guid = route->guid;
  binding.instance_guid = instance->guid;
  binding.route_service_url = *instance->route_service_url;
  const std::string now = nowIso8601();
  binding.created_at = binding.updated_at = now;
  binding.last_operation = {"create", "succeeded", "", now, now};
  switch (store_.createServiceRouteBinding(binding)) {
    case WriteResult::Ok:
      break;
    case WriteResult::Duplicate:  // another request bound the route in between
      throw unprocessable("A route may only be bound to a single service instance");
    default:
      throw unprocessable("The route could not be found: " + route->guid);
  }
  audit(c, "audit.service_route_binding.create", "service_route_binding", binding.guid, "",
        route->space_guid);
  routeServiceChanged(route->guid);
  return {201, presentServiceRouteBinding(c, binding), {}};
}

ApiResponse Api::listServiceRouteBindings(Ctx& c) {
  c.query.allowOnly({"guids", "route_guids", "service_instance_guids", "service_instance_names",
                     "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  ServiceRouteBindingFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("route_guids")) f.route_guids = *v;
  if (auto* v = c.query.find("service_instance_guids")) f.instance_guids = *v;
  const auto readable = c.can().readableSpaces();
  if (auto* v = c.query.find("service_instance_names")) {
    ServiceInstanceFilter inf{{}, *v, readable.value_or(std::vector<std::string>{}), {}, {}};
    if (readable && readable->empty()) inf.space_guids = {""};
    for (const auto& i : store_.listServiceInstances(inf)) f.instance_guids.push_back(i.guid);
    if (f.instance_guids.empty()) f.instance_guids.push_back("");
  }
  std::vector<ServiceRouteBinding> bindings;
  // Scoped in the query: only bindings of routes in spaces the caller may read.
  if (scopeFilter(f.space_guids, readable)) bindings = store_.listServiceRouteBindings(f);
  std::function<std::string(const ServiceRouteBinding&)> key = [&](const ServiceRouteBinding& b) {
    return page.order_by == "updated_at" ? b.updated_at : b.created_at;
  };
  std::function<json(const ServiceRouteBinding&)> present = [&](const ServiceRouteBinding& b) {
    return presentServiceRouteBinding(c, b);
  };
  return {200,
          presentList(c.req.base_url, "/v3/service_route_bindings", c.req.query, page,
                      std::move(bindings), key, present),
          {}};
}

ApiResponse Api::getServiceRouteBinding(Ctx& c, const std::string& guid) {
  return {200, presentServiceRouteBinding(c, requireServiceRouteBinding(c, guid, Access::Read)),
          {}};
}

ApiResponse Api::deleteServiceRouteBinding(Ctx& c, const std::string& guid) {
  ServiceRouteBinding b = requireServiceRouteBinding(c, guid, Access::Write);
  auto route = store_.getRoute(b.route_guid);
  if (store_.deleteServiceRouteBinding(b.guid) != WriteResult::Ok) {
    throw notFound("Service route binding");
  }
  audit(c, "audit.service_route_binding.delete", "service_route_binding", b.guid, "",
        route ? route->space_guid : "");
  routeServiceChanged(b.route_guid);
  return {204, nullptr, {}};
}

void Api::updateRouteServiceUrl(const ServiceInstance& instance) {
  // CC rewrites the instance's route bindings when its route_service_url changes, and tells
  // Diego: the routers then follow the new URL (or none) at the next registration.
  const std::string url = instance.route_service_url.value_or("");
  const std::string now = nowIso8601();
  for (auto b : store_.listServiceRouteBindings({{}, {}, {instance.guid}, {}})) {
    if (b.route_service_url == url) continue;
    b.route_service_url = url;
    b.updated_at = now;
    store_.updateServiceRouteBinding(b);
    routeServiceChanged(b.route_guid);
  }
}

}  // namespace foundry::control
