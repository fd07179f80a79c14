#pragma once
// A controller Api (api_harness.h) plus a fake service broker on a real socket: it serves
// GET /v2/catalog with whatever catalog the test sets, only when the request carries
// X-Broker-API-Version and the right HTTP Basic credentials (user:pass), and answers 401
// otherwise, as a broker must. Helpers create orgs, spaces, users with roles and brokers, and
// run the catalog jobs the way the server does (advanceServiceOperations).

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_common/fake_backend.h"
#include "tests/unit/control/api_harness.h"
#include "tests/unit/control/tenants.h"

namespace foundry::control::test_support {

class MarketplaceTest : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  MarketplaceTest() : h_("market") {
    broker_.setHandler([this](const test::BackendRequest& r) { return serve(r); });
  }

  static json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }
  static json plan(const std::string& id, const std::string& name) {
    return {{"id", id}, {"name", name}, {"description", name + " plan"}};
  }
  static json service(const std::string& id, const std::string& name, json plans) {
    return {{"id", id}, {"name", name}, {"description", name + " service"},
            {"bindable", true}, {"plans", std::move(plans)}};
  }

  void setCatalog(json catalog, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    catalog_ = std::move(catalog);
    status_ = status;
  }
  std::string brokerUrl() const { return "http://" + broker_.address(); }

  ApiResponse admin(const std::string& method, const std::string& target,
                    const json& body = nullptr) {
    return h_.call(h_.tokens().admin, method, target, body);
  }
  ApiResponse as(const std::string& who, const std::string& method, const std::string& target,
                 const json& body = nullptr) {
    return h_.call(who, method, target, body);
  }
  std::string created(const ApiResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  std::string org(const std::string& name) { return tenants_.org(name); }
  std::string space(const std::string& org_guid, const std::string& name) {
    return tenants_.space(org_guid, name);
  }
  std::string member(const std::string& name, const std::string& org_guid,
                     const std::string& space_guid, const std::string& space_role) {
    return tenants_.member(name, org_guid, space_guid, space_role);
  }
  void grant(const std::string& user, const std::string& type, const std::string& kind,
             const std::string& where) {
    tenants_.grant(user, type, kind, where);
  }

  json brokerBody(const std::string& name, const std::string& space_guid = "") {
    json b = {{"name", name},
              {"url", brokerUrl()},
              {"authentication",
               {{"type", "basic"},
                {"credentials", {{"username", "user"}, {"password", "pass"}}}}}};
    if (!space_guid.empty()) b["relationships"] = {{"space", rel(space_guid)}};
    return b;
  }
  // Runs the catalog jobs (inline: no offload hook) and answers the job.
  json runJob(const ApiResponse& accepted, const std::string& who = "") {
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    h_.api().advanceServiceOperations();
    return as(who.empty() ? h_.tokens().admin : who, "GET", ApiHarness::jobPath(accepted)).body;
  }
  // Creates a broker whose synchronization must complete; returns its guid.
  std::string createBroker(const std::string& name, const std::string& space_guid = "",
                           const std::string& who = "") {
    auto r = as(who.empty() ? h_.tokens().admin : who, "POST", "/v3/service_brokers",
                brokerBody(name, space_guid));
    json job = runJob(r, who);
    EXPECT_EQ(job["state"], "COMPLETE") << job;
    auto brokers = h_.store().listServiceBrokers({{}, {name}, std::nullopt});
    return brokers.empty() ? "" : brokers[0].guid;
  }
  // The stored plan of that broker catalog id (nullopt when gone).
  std::optional<ServicePlan> planById(const std::string& id) {
    for (auto& p : h_.store().listServicePlans({})) {
      if (p.broker_catalog_id == id) return p;
    }
    return std::nullopt;
  }
  // A service instance row straight in the store (instances are another file's job).
  void useInPlan(const std::string& plan_guid, const std::string& name,
                 const std::string& space_guid) {
    ServiceInstance i;
    i.guid = newGuid();
    i.name = name;
    i.space_guid = space_guid;
    i.plan_guid = plan_guid;
    i.credentials = auth::Secret("{}");
    i.created_at = i.updated_at = i.last_operation.created_at = i.last_operation.updated_at =
        nowIso8601();
    ASSERT_EQ(h_.store().createServiceInstance(i), WriteResult::Ok);
  }

  ApiHarness h_;
  Tenants tenants_{h_};
  test::FakeBackend broker_{"broker"};

 private:
  test::BackendResponse serve(const test::BackendRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.header("X-Broker-API-Version") != std::optional<std::string>("2.17")) {
      return test::BackendResponse::text(412, "{}", "application/json");
    }
    // base64("user:pass")
    if (r.header("Authorization") != std::optional<std::string>("Basic dXNlcjpwYXNz")) {
      return test::BackendResponse::text(401, "{}", "application/json");
    }
    if (r.method != "GET" || r.target != "/v2/catalog") {
      return test::BackendResponse::text(404, "{}", "application/json");
    }
    return test::BackendResponse::text(status_, catalog_.dump(), "application/json");
  }

  std::mutex mu_;
  json catalog_ = {{"services", json::array()}};
  int status_ = 200;
};

}  // namespace foundry::control::test_support
