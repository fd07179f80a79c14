#include "scheduler/emitter/registry_message.h"

namespace foundry::sched {

nlohmann::json registryMessage(const DesiredLrp& desired, const ActualLrp& actual,
                               const RouteSpec& route) {
  nlohmann::json message = {
      {"host", actual.address},
      {"port", actual.port},
      {"uris", nlohmann::json::array({route.hostname + route.path})},
      {"app", desired.app_guid},
      {"private_instance_id", actual.instance_guid},
      {"private_instance_index", std::to_string(actual.index)},
      {"server_cert_domain_san", actual.instance_guid},
      {"availability_zone", actual.zone},
      {"tags",
       {{"component", "route-emitter"},
        {"app_id", desired.app_guid},
        {"app_name", desired.app_name},
        {"process_type", desired.process_type},
        {"space_name", desired.space_name},
        {"organization_name", desired.organization_name}}},
      {"endpoint_updated_at_ns", actual.since_ns},
  };
  nlohmann::json options = route.options.is_object() ? route.options : nlohmann::json::object();
  if (route.weight > 0) options["weight"] = route.weight;
  if (!options.empty()) message["options"] = std::move(options);
  // Only when the route has a route service (route-emitter leaves the field out otherwise).
  if (!route.route_service_url.empty()) message["route_service_url"] = route.route_service_url;
  return message;
}

std::vector<nlohmann::json> registryMessages(const DesiredLrp& desired, const ActualLrp& actual) {
  std::vector<nlohmann::json> out;
  for (const auto& route : desired.routes) out.push_back(registryMessage(desired, actual, route));
  return out;
}

}  // namespace foundry::sched
