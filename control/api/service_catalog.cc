// Catalog synchronization (jobs service_broker.catalog.synchronize and service_broker.update):
// GET /v2/catalog off the event loop, then, back on it, validation (A.6) and one transaction
// that makes the broker's offerings and plans match the catalog, as CC's service_manager.rb:
// matched by broker_catalog_id, created or updated, and those gone from the catalog deleted,
// or kept with available=false while service instances still use them. New plans are not
// public: visibility `admin` (global broker) or `space` (space-scoped broker); existing plans
// keep the visibility operators gave them.
#include <map>

#include "common/log/log.h"
#include "control/api/api.h"
#include "control/services/catalog.h"

namespace foundry::control {

using nlohmann::json;

namespace {

json jobError(int code, const std::string& title, const std::string& detail) {
  return {{"code", code}, {"title", title}, {"detail", detail}};
}

// Why a catalog fetch failed, in CC's words; null when the reply is a 200.
json transportError(const services::BrokerReply& reply, const std::string& catalog_url) {
  if (reply.status == 200) return nullptr;
  if (reply.timed_out) {
    return jobError(10001, "CF-ServiceBrokerApiTimeout",
                    "The request to the service broker timed out: " + catalog_url);
  }
  if (reply.status == 0) {
    return jobError(10001, "CF-ServiceBrokerApiUnreachable",
                    "The service broker could not be reached: " + catalog_url);
  }
  if (reply.status == 401) {
    return jobError(10001, "CF-ServiceBrokerApiAuthenticationFailed",
                    "Authentication failed for the service broker API. Double-check that the "
                    "username and password are correct: " + catalog_url);
  }
  return jobError(10001, "CF-ServiceBrokerBadResponse",
                  "The service broker returned an invalid response for the request to " +
                      catalog_url + ". Status Code: " + std::to_string(reply.status));
}

void mustWrite(WriteResult r, const std::string& what) {
  // Throwing rolls the whole synchronization back (Store::atomically).
  if (r != WriteResult::Ok) throw StoreError("catalog synchronization: cannot " + what);
}

class CatalogWriter {
 public:
  CatalogWriter(Store& store, const ServiceBroker& broker)
      : store_(store), broker_(broker), now_(nowIso8601()) {}

  void apply(std::vector<services::CatalogEntry> entries) {
    ServiceOfferingFilter mine;
    mine.broker_guids = {broker_.guid};
    std::map<std::string, ServiceOffering> old;
    for (auto& o : store_.listServiceOfferings(mine)) old[o.broker_catalog_id] = o;
    for (auto& e : entries) {
      auto it = old.find(e.offering.broker_catalog_id);
      ServiceOffering o = std::move(e.offering);
      o.broker_guid = broker_.guid;
      o.updated_at = now_;
      if (it != old.end()) {
        o.guid = it->second.guid;
        o.created_at = it->second.created_at;
        mustWrite(store_.updateServiceOffering(o), "update offering " + o.name);
        old.erase(it);
      } else {
        o.guid = newGuid();
        o.created_at = now_;
        mustWrite(store_.createServiceOffering(o), "create offering " + o.name);
      }
      applyPlans(o.guid, std::move(e.plans));
    }
    for (auto& [id, gone] : old) retireOffering(gone);
  }

 private:
  std::vector<ServicePlan> plansOf(const std::string& offering_guid) {
    ServicePlanFilter f;
    f.offering_guids = {offering_guid};
    return store_.listServicePlans(f);
  }
  bool inUse(const ServicePlan& plan) {
    ServiceInstanceFilter f;
    f.plan_guids = {plan.guid};
    return !store_.listServiceInstances(f).empty();
  }

  void applyPlans(const std::string& offering_guid, std::vector<ServicePlan> plans) {
    std::map<std::string, ServicePlan> old;
    for (auto& p : plansOf(offering_guid)) old[p.broker_catalog_id] = p;
    for (auto& p : plans) {
      p.offering_guid = offering_guid;
      p.updated_at = now_;
      auto it = old.find(p.broker_catalog_id);
      if (it != old.end()) {
        p.guid = it->second.guid;
        p.created_at = it->second.created_at;
        p.visibility_type = it->second.visibility_type;
        mustWrite(store_.updateServicePlan(p), "update plan " + p.name);
        old.erase(it);
      } else {
        p.guid = newGuid();
        p.created_at = now_;
        p.visibility_type = broker_.space_guid ? "space" : "admin";
        mustWrite(store_.createServicePlan(p), "create plan " + p.name);
      }
    }
    for (auto& [id, gone] : old) retirePlan(gone);
  }

  // Gone from the catalog: deleted, unless instances still use it. Returns whether it stays.
  bool retirePlan(ServicePlan plan) {
    if (!inUse(plan)) {
      mustWrite(store_.deleteServicePlan(plan.guid), "delete plan " + plan.name);
      return false;
    }
    plan.available = false;
    plan.updated_at = now_;
    mustWrite(store_.updateServicePlan(plan), "retire plan " + plan.name);
    return true;
  }

  void retireOffering(ServiceOffering offering) {
    bool kept = false;
    for (auto& p : plansOf(offering.guid)) kept = retirePlan(p) || kept;
    if (!kept) {
      mustWrite(store_.deleteServiceOffering(offering.guid), "delete offering " + offering.name);
      return;
    }
    offering.available = false;
    offering.updated_at = now_;
    mustWrite(store_.updateServiceOffering(offering), "retire offering " + offering.name);
  }

  Store& store_;
  const ServiceBroker& broker_;
  const std::string now_;
};

}  // namespace

void Api::startCatalogSync(const Job& job) {
  auto broker = store_.getServiceBroker(job.resource_guid);
  if (!broker) {
    endCatalogJob(job, jobError(10010, "CF-ResourceNotFound", "Service broker not found"));
    return;
  }
  services::CallOptions options;
  options.timeout_ms = config_.broker_timeout_ms;
  // Marked before the call: without an offload hook the reply comes back inside callBroker.
  broker_calls_in_flight_.insert(job.guid);
  callBroker(services::catalogCall(brokerEndpoint(*broker), options),
             [this, job_guid = job.guid](services::BrokerReply reply) {
               broker_calls_in_flight_.erase(job_guid);
               finishCatalogSync(job_guid, reply);
             });
}

void Api::finishCatalogSync(const std::string& job_guid, const services::BrokerReply& reply) {
  auto job = store_.getJob(job_guid);
  if (!job || job->state != "PROCESSING") return;
  auto broker = store_.getServiceBroker(job->resource_guid);
  if (!broker) {
    endCatalogJob(*job, jobError(10010, "CF-ResourceNotFound", "Service broker not found"));
    return;
  }
  json error = transportError(reply, broker->url + "/v2/catalog");
  if (error.is_null()) {
    services::ParsedCatalog catalog = services::parseCatalog(reply.body);
    if (!catalog.problems.empty()) {
      std::string detail = "Service broker catalog is invalid: ";
      for (size_t i = 0; i < catalog.problems.size(); ++i) {
        detail += (i ? "\n" : "") + catalog.problems[i];
      }
      error = jobError(270012, "CF-ServiceBrokerCatalogInvalid", detail);
    } else {
      try {
        store_.atomically(
            [&] { CatalogWriter(store_, *broker).apply(std::move(catalog.entries)); });
      } catch (const StoreError& e) {
        log::error("controller", "catalog-sync-failed",
                   {{"broker", broker->guid}, {"error", e.what()}});
        error = jobError(10001, "UnknownError", "An unknown error occurred.");
      }
    }
  }
  broker->state = error.is_null() ? "AVAILABLE" : "SYNCHRONIZATION_FAILED";
  broker->updated_at = nowIso8601();
  store_.updateServiceBroker(*broker);
  endCatalogJob(*job, error);
}

}  // namespace foundry::control
