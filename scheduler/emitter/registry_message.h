#pragma once
// gorouter's router.register / router.unregister payload for one route of one RUNNING instance
// (route-emitter routingtable/registry_message.go; PROTOCOL.md "Route emitter").
#include <nlohmann/json.hpp>

#include "scheduler/model/lrp.h"

namespace foundry::sched {

// host = the instance's address, port = its port, uris = [hostname + path], app = app_guid,
// private_instance_id / server_cert_domain_san = instance_guid, private_instance_index = index
// as a string, availability_zone = the cell's zone, tags {component: route-emitter, ...},
// endpoint_updated_at_ns = when the instance became RUNNING (stable across re-registrations),
// route_service_url when the route is bound to a route service.
// options = the route's options (loadbalancing, path_regex, health_check) plus the
// destination's weight, left out when there are none.
nlohmann::json registryMessage(const DesiredLrp& desired, const ActualLrp& actual,
                               const RouteSpec& route);

// One message per route of `desired` for `actual`.
std::vector<nlohmann::json> registryMessages(const DesiredLrp& desired, const ActualLrp& actual);

}  // namespace foundry::sched
