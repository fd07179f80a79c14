#include "brokers/osb/types.h"

#include <array>

namespace foundry::osb {
namespace {

constexpr std::array<std::pair<Endpoint, std::string_view>, 10> kNames = {{
    {Endpoint::Catalog, "catalog"},
    {Endpoint::Provision, "provision"},
    {Endpoint::FetchInstance, "fetch_instance"},
    {Endpoint::Update, "update"},
    {Endpoint::Deprovision, "deprovision"},
    {Endpoint::InstanceLastOperation, "instance_last_operation"},
    {Endpoint::Bind, "bind"},
    {Endpoint::FetchBinding, "fetch_binding"},
    {Endpoint::Unbind, "unbind"},
    {Endpoint::BindingLastOperation, "binding_last_operation"},
}};

}  // namespace

std::string_view endpointName(Endpoint endpoint) {
  for (const auto& [e, name] : kNames) {
    if (e == endpoint) return name;
  }
  return "unknown";
}

std::optional<Endpoint> endpointFromName(std::string_view name) {
  for (const auto& [e, n] : kNames) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace foundry::osb
