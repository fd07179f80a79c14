// What deleting an app or a space owes the brokers: Cloud Controller deletes an app's
// bindings and a space's service instances with it. The rows go at once (the app and the
// space cannot be deleted while rows point at them); each managed binding or instance leaves
// an unbind / deprovision behind, retried like an orphan mitigation until the broker has it.
#include "control/api/api.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// An unbind/deprovision owed after the rows are gone: no job, no user, retried until done.
void oweBrokerDelete(Store& store, const std::string& kind, const ServiceInstance& instance,
                     const std::string& binding_guid) {
  auto plan = store.getServicePlan(instance.plan_guid.value_or(""));
  auto offering = plan ? store.getServiceOffering(plan->offering_guid) : std::nullopt;
  if (!plan || !offering) return;  // purged catalog: nothing left to call
  ServiceOperation op;
  op.guid = newGuid();
  op.kind = kind;
  op.mitigation = true;
  op.target_guid = binding_guid.empty() ? instance.guid : binding_guid;
  op.broker_guid = offering->broker_guid;
  op.service_id = offering->broker_catalog_id;
  op.plan_id = plan->broker_catalog_id;
  op.instance_id = instance.guid;
  op.binding_id = binding_guid;
  op.request = auth::Secret(json{{"remove_row", true}}.dump());
  op.created_at = op.updated_at = nowIso8601();
  store.createServiceOperation(op);
}

}  // namespace

void Api::releaseAppBindings(const std::string& app_guid) {
  ServiceBindingFilter f;
  f.app_guids = {app_guid};
  store_.atomically([&] {
    for (const auto& b : store_.listServiceBindings(f)) {
      auto instance = store_.getServiceInstance(b.instance_guid);
      if (instance && instance->type == "managed") oweBrokerDelete(store_, "unbind", *instance, b.guid);
      store_.deleteServiceBinding(b.guid);
    }
  });
}

void Api::releaseSpaceInstances(const std::string& space_guid) {
  store_.atomically([&] {
    for (const auto& i : store_.listServiceInstances({{}, {}, {space_guid}, {}, {}})) {
      for (const auto& b : store_.listServiceBindings({{}, {}, {}, {i.guid}, {}, {}})) {
        if (i.type == "managed") oweBrokerDelete(store_, "unbind", i, b.guid);
        store_.deleteServiceBinding(b.guid);
      }
      if (i.type == "managed") oweBrokerDelete(store_, "deprovision", i, "");
      store_.deleteServiceInstance(i.guid);
    }
    // Space-scoped brokers go with the space (their plans and offerings with them).
    ServiceBrokerFilter brokers;
    brokers.in_spaces = std::vector<std::string>{space_guid};
    for (const auto& broker : store_.listServiceBrokers(brokers)) {
      store_.deleteServiceBroker(broker.guid);
    }
  });
}

}  // namespace foundry::control
