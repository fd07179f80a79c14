// /v3/service_brokers and catalog synchronization, through the Api with a fake broker on a
// socket (marketplace_fixture.h): validation, who may create what, credentials never shown,
// the job's outcomes (catalog rules, 401, unreachable), re-synchronization (plans added,
// renamed, removed, retired while in use) and deletion.
#include <gtest/gtest.h>

#include "tests/unit/control/api/marketplace_fixture.h"

namespace foundry::control {
namespace {

using nlohmann::json;

class ServiceBrokersTest : public test_support::MarketplaceTest {
 protected:
  void SetUp() override {
    json small = plan("plan-small", "small");
    small["maintenance_info"] = {{"version", "1.0.0"}};
    small["metadata"] = {
        {"costs", json::array({{{"amount", {{"usd", 9.5}}}, {"unit", "MONTHLY"}}})}};
    json big = plan("plan-big", "big");
    big["bindable"] = false;
    setCatalog({{"services", json::array({service("svc-kv", "kv", json::array({small, big}))})}});
  }
  json detailOf(const json& job) { return job["errors"][0]["detail"]; }
};

TEST_F(ServiceBrokersTest, CreateSynchronizesTheCatalog) {
  auto r = admin("POST", "/v3/service_brokers", brokerBody("b1"));
  ASSERT_EQ(r.status, 202) << r.body;
  json job = runJob(r);
  EXPECT_EQ(job["operation"], "service_broker.catalog.synchronize");
  EXPECT_EQ(job["state"], "COMPLETE") << job;

  // The broker was asked with the OSB headers and basic auth (the fake refuses otherwise).
  ASSERT_EQ(broker_.requestCount(), 1u);
  EXPECT_TRUE(broker_.requests()[0].hasHeader("X-Broker-API-Request-Identity"));

  auto brokers = admin("GET", "/v3/service_brokers?names=b1");
  ASSERT_EQ(brokers.body["resources"].size(), 1u) << brokers.body;
  json b = brokers.body["resources"][0];
  EXPECT_EQ(b["url"], brokerUrl());
  EXPECT_EQ(b["relationships"], json::object());
  EXPECT_EQ(b["links"]["service_offerings"]["href"],
            std::string(test_support::ApiHarness::kBase) +
                "/v3/service_offerings?service_broker_guids=" + b["guid"].get<std::string>());
  EXPECT_EQ(h_.store().getServiceBroker(b["guid"])->state, "AVAILABLE");

  auto offerings = admin("GET", "/v3/service_offerings");
  ASSERT_EQ(offerings.body["resources"].size(), 1u);
  json o = offerings.body["resources"][0];
  EXPECT_EQ(o["name"], "kv");
  EXPECT_EQ(o["broker_catalog"]["id"], "svc-kv");
  EXPECT_EQ(o["broker_catalog"]["features"]["bindable"], true);
  EXPECT_EQ(o["relationships"]["service_broker"]["data"]["guid"], b["guid"]);

  auto plans = admin("GET", "/v3/service_plans?order_by=name");
  ASSERT_EQ(plans.body["resources"].size(), 2u);
  json big = plans.body["resources"][0], small = plans.body["resources"][1];
  EXPECT_EQ(small["visibility_type"], "admin");  // new plans are not public
  EXPECT_EQ(small["costs"], json::parse(R"([{"amount":9.5,"currency":"USD","unit":"MONTHLY"}])"));
  EXPECT_EQ(small["maintenance_info"]["version"], "1.0.0");
  EXPECT_EQ(small["broker_catalog"]["features"]["bindable"], true);
  EXPECT_EQ(big["broker_catalog"]["features"]["bindable"], false);
  EXPECT_EQ(small["schemas"]["service_instance"]["create"]["parameters"], json::object());
  EXPECT_EQ(small["relationships"]["service_offering"]["data"]["guid"], o["guid"]);
  EXPECT_FALSE(small["relationships"].contains("space"));
}

TEST_F(ServiceBrokersTest, CredentialsAreNeverShown) {
  std::string guid = createBroker("b1");
  auto one = admin("GET", "/v3/service_brokers/" + guid);
  auto list = admin("GET", "/v3/service_brokers");
  auto events = admin("GET", "/v3/audit_events?types=audit.service_broker.create");
  ASSERT_EQ(events.body["resources"].size(), 1u) << events.body;
  for (const auto& body : {one.body, list.body, events.body}) {
    EXPECT_EQ(body.dump().find("pass"), std::string::npos) << body;
  }
  // Sealed in the file too: the store hands it back only through auth::Secret.
  EXPECT_EQ(h_.store().getServiceBroker(guid)->password.reveal(), "pass");
}

TEST_F(ServiceBrokersTest, CreateValidation) {
  auto bad = [&](json body, const std::string& detail) {
    auto r = admin("POST", "/v3/service_brokers", body);
    EXPECT_EQ(r.status, 422) << body;
    EXPECT_EQ(r.body["errors"][0]["detail"], detail) << r.body;
  };
  json b = brokerBody("b1");
  json x = b;
  x.erase("name");
  bad(x, "Name can't be blank");
  x = b;
  x["url"] = "ftp://example.com";
  bad(x, "Url must be a valid url");
  x["url"] = "http://";
  bad(x, "Url must be a valid url");
  x["url"] = "http://user:pw@example.com";
  bad(x, "Url must not contain credentials");
  x = b;
  x["authentication"]["type"] = "bearer";
  bad(x, "Authentication type must be one of 'basic'");
  x = b;
  x["authentication"]["credentials"].erase("password");
  bad(x, "Authentication credentials password can't be blank");
  x = b;
  x["color"] = "red";
  bad(x, "Unknown field(s): 'color'");
  EXPECT_EQ(admin("POST", "/v3/service_brokers", std::string("[]")).status, 400);

  createBroker("b1");
  bad(b, "Name must be unique");
}

TEST_F(ServiceBrokersTest, WhoMayCreateBrokers) {
  std::string o = org("o"), s = space(o, "s"), other = space(o, "other");
  std::string dev = member("dev", o, s, "space_developer");
  std::string auditor = member("aud", o, s, "space_auditor");
  // Global brokers are the admins'.
  EXPECT_EQ(as(dev, "POST", "/v3/service_brokers", brokerBody("g")).status, 403);
  // Space-scoped: the space's developers; others may not, and unknown spaces are a 422.
  EXPECT_EQ(as(auditor, "POST", "/v3/service_brokers", brokerBody("a", s)).status, 403);
  auto invisible = as(dev, "POST", "/v3/service_brokers", brokerBody("x", other));
  EXPECT_EQ(invisible.status, 422) << invisible.body;
  EXPECT_EQ(as(dev, "POST", "/v3/service_brokers", brokerBody("x", "nope")).status, 422);

  std::string guid = createBroker("mine", s, dev);
  auto mine = as(dev, "GET", "/v3/service_brokers/" + guid);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.body["relationships"]["space"]["data"]["guid"], s);
  // Its plans are `space` plans, visible to the space's members.
  auto plans = as(dev, "GET", "/v3/service_plans");
  ASSERT_EQ(plans.body["resources"].size(), 2u) << plans.body;
  EXPECT_EQ(plans.body["resources"][0]["visibility_type"], "space");
  EXPECT_EQ(plans.body["resources"][0]["relationships"]["space"]["data"]["guid"], s);

  // A suspended org stops its developers.
  ASSERT_EQ(admin("PATCH", "/v3/organizations/" + o, {{"suspended", true}}).status, 200);
  auto suspended = as(dev, "POST", "/v3/service_brokers", brokerBody("y", s));
  EXPECT_EQ(suspended.status, 403);
  EXPECT_EQ(suspended.body["errors"][0]["title"], "CF-OrgSuspended");
}

TEST_F(ServiceBrokersTest, NonAdminsSeeOnlyBrokersOfTheirSpaces) {
  std::string o = org("o"), s = space(o, "s"), t = space(o, "t");
  std::string dev = member("dev", o, s, "space_developer");
  std::string global = createBroker("global");
  std::string here = createBroker("here", s);
  std::string there = createBroker("there", t);
  auto list = as(dev, "GET", "/v3/service_brokers");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["pagination"]["total_results"], 1) << list.body;
  EXPECT_EQ(list.body["resources"][0]["guid"], here);
  EXPECT_EQ(as(dev, "GET", "/v3/service_brokers/" + global).status, 404);
  EXPECT_EQ(as(dev, "GET", "/v3/service_brokers/" + there).status, 404);
  EXPECT_EQ(as(dev, "GET", "/v3/service_brokers?space_guids=" + t).body["resources"].size(), 0u);
  EXPECT_EQ(admin("GET", "/v3/service_brokers").body["pagination"]["total_results"], 3);
  EXPECT_EQ(admin("GET", "/v3/service_brokers?space_guids=" + t).body["resources"][0]["guid"],
            there);
  EXPECT_EQ(admin("GET", "/v3/service_brokers?bogus=1").status, 400);
}

TEST_F(ServiceBrokersTest, InvalidCatalogFailsTheJobAndStoresNothing) {
  json catalog = {{"services", json::array({service("svc-kv", "kv",
                                                    json::array({plan("p1", "small"),
                                                                 plan("p2", "small")}))})}};
  setCatalog(catalog);
  json job = runJob(admin("POST", "/v3/service_brokers", brokerBody("b1")));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_EQ(job["errors"][0]["title"], "CF-ServiceBrokerCatalogInvalid");
  const std::string detail = detailOf(job);
  EXPECT_EQ(detail.rfind("Service broker catalog is invalid: ", 0), 0u) << detail;
  EXPECT_NE(detail.find("Plan names must be unique within a service"), std::string::npos);
  EXPECT_EQ(h_.store().listServiceBrokers({})[0].state, "SYNCHRONIZATION_FAILED");
  EXPECT_TRUE(h_.store().listServiceOfferings({}).empty());

  setCatalog({{"services", json::array({service("svc", "kv", json::array())})}});
  job = runJob(admin("POST", "/v3/service_brokers", brokerBody("b2")));
  EXPECT_NE(detailOf(job).get<std::string>().find("At least one plan is required"),
            std::string::npos);
  setCatalog("not a catalog");
  job = runJob(admin("POST", "/v3/service_brokers", brokerBody("b3")));
  EXPECT_EQ(job["state"], "FAILED");
}

TEST_F(ServiceBrokersTest, BrokerErrorsFailTheJob) {
  json b = brokerBody("b1");
  b["authentication"]["credentials"]["password"] = "wrong";
  json job = runJob(admin("POST", "/v3/service_brokers", b));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_EQ(detailOf(job),
            "Authentication failed for the service broker API. Double-check that the username "
            "and password are correct: " + brokerUrl() + "/v2/catalog");
  EXPECT_EQ(job.dump().find("wrong"), std::string::npos);

  setCatalog({{"services", json::array()}}, 500);
  job = runJob(admin("POST", "/v3/service_brokers", brokerBody("b2")));
  EXPECT_EQ(job["errors"][0]["title"], "CF-ServiceBrokerBadResponse");
  EXPECT_NE(detailOf(job).get<std::string>().find("Status Code: 500"), std::string::npos);

  test::FakeBackend closed("closed");
  const std::string gone = "http://" + closed.address();
  closed.stop();
  b = brokerBody("b3");
  b["url"] = gone;
  job = runJob(admin("POST", "/v3/service_brokers", b));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_EQ(detailOf(job), "The service broker could not be reached: " + gone + "/v2/catalog");
}

TEST_F(ServiceBrokersTest, ResynchronizationFollowsTheCatalog) {
  std::string o = org("o"), s = space(o, "s");
  std::string guid = createBroker("b1");
  const ServicePlan small = *planById("plan-small");
  const ServicePlan big = *planById("plan-big");
  // An operator opened `small` to everyone; an instance uses `big`.
  ASSERT_EQ(admin("POST", "/v3/service_plans/" + small.guid + "/visibility",
                  {{"type", "public"}}).status, 200);
  useInPlan(big.guid, "in-use", s);

  json renamed = plan("plan-small", "tiny");
  setCatalog({{"services", json::array({service("svc-kv", "kv",
                                                json::array({renamed, plan("plan-new", "new")})),
                                        service("svc-other", "other",
                                                json::array({plan("plan-o", "o")}))})}});
  // A name-only change answers at once; a new URL (or credentials) fetches the catalog again.
  auto rename = admin("PATCH", "/v3/service_brokers/" + guid, {{"name", "b1-renamed"}});
  ASSERT_EQ(rename.status, 200) << rename.body;
  EXPECT_EQ(rename.body["name"], "b1-renamed");
  json job = runJob(admin("PATCH", "/v3/service_brokers/" + guid, {{"url", brokerUrl() + "/"}}));
  EXPECT_EQ(job["operation"], "service_broker.update");
  ASSERT_EQ(job["state"], "COMPLETE") << job;

  auto tiny = planById("plan-small");
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->guid, small.guid);  // same id: the same plan, renamed
  EXPECT_EQ(tiny->name, "tiny");
  EXPECT_EQ(tiny->visibility_type, "public");  // operators' choice kept
  ASSERT_TRUE(planById("plan-new"));
  EXPECT_EQ(planById("plan-new")->visibility_type, "admin");
  ASSERT_TRUE(planById("plan-big"));  // gone from the catalog but in use: retired
  EXPECT_FALSE(planById("plan-big")->available);
  EXPECT_TRUE(planById("plan-o"));
  EXPECT_EQ(admin("GET", "/v3/service_plans?available=false").body["resources"].size(), 1u);

  // The offering goes; the one with an instance stays, unavailable.
  setCatalog({{"services", json::array({service("svc-other", "other",
                                                json::array({plan("plan-o", "o")}))})}});
  job = runJob(admin("PATCH", "/v3/service_brokers/" + guid,
                     {{"authentication", {{"type", "basic"},
                                          {"credentials", {{"username", "user"},
                                                           {"password", "pass"}}}}}}));
  ASSERT_EQ(job["state"], "COMPLETE") << job;
  EXPECT_FALSE(planById("plan-small"));
  EXPECT_FALSE(planById("plan-new"));
  ASSERT_TRUE(planById("plan-big"));
  auto kv = h_.store().getServiceOffering(planById("plan-big")->offering_guid);
  ASSERT_TRUE(kv);
  EXPECT_FALSE(kv->available);
  EXPECT_EQ(admin("GET", "/v3/service_offerings?available=true").body["resources"].size(), 1u);

  // A bad catalog changes nothing.
  const auto before = h_.store().listServicePlans({});
  setCatalog({{"services", json::array({service("svc-other", "other", json::array())})}});
  job = runJob(admin("PATCH", "/v3/service_brokers/" + guid, {{"url", brokerUrl()}}));
  EXPECT_EQ(job["state"], "FAILED");
  EXPECT_EQ(h_.store().listServicePlans({}).size(), before.size());
  EXPECT_EQ(h_.store().getServiceBroker(guid)->state, "SYNCHRONIZATION_FAILED");
}

TEST_F(ServiceBrokersTest, UpdateValidation) {
  std::string guid = createBroker("b1");
  createBroker("b2");
  EXPECT_EQ(admin("PATCH", "/v3/service_brokers/" + guid, {{"name", "b2"}}).body["errors"][0]
                ["detail"],
            "Name must be unique");
  EXPECT_EQ(admin("PATCH", "/v3/service_brokers/" + guid, {{"url", "nope"}}).status, 422);
  EXPECT_EQ(admin("PATCH", "/v3/service_brokers/nope", {{"name", "x"}}).status, 404);
  // While a synchronization is under way, no second one.
  auto first = admin("PATCH", "/v3/service_brokers/" + guid, {{"url", brokerUrl()}});
  ASSERT_EQ(first.status, 202);
  EXPECT_EQ(admin("PATCH", "/v3/service_brokers/" + guid, {{"url", brokerUrl()}}).status, 422);
  EXPECT_EQ(runJob(first)["state"], "COMPLETE");
  auto events = admin("GET", "/v3/audit_events?types=audit.service_broker.update");
  EXPECT_EQ(events.body["pagination"]["total_results"], 1) << events.body;
}

TEST_F(ServiceBrokersTest, DeleteRefusedWhileInstancesExist) {
  std::string o = org("o"), s = space(o, "s");
  std::string guid = createBroker("b1");
  useInPlan(planById("plan-small")->guid, "db-one", s);
  useInPlan(planById("plan-big")->guid, "db-two", s);
  auto refused = admin("DELETE", "/v3/service_brokers/" + guid);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.body["errors"][0]["detail"],
            "Can not remove brokers that have associated service instances: db-one, db-two");

  std::string other = createBroker("b2");
  json job = runJob(admin("DELETE", "/v3/service_brokers/" + other));
  EXPECT_EQ(job["operation"], "service_broker.delete");
  EXPECT_EQ(job["state"], "COMPLETE");
  EXPECT_EQ(admin("GET", "/v3/service_brokers/" + other).status, 404);
  EXPECT_EQ(h_.store().listServiceOfferings({{}, {}, {other}}).size(), 0u);
  EXPECT_EQ(admin("GET", "/v3/audit_events?types=audit.service_broker.delete")
                .body["pagination"]["total_results"], 1);
}

TEST_F(ServiceBrokersTest, InterruptedJobRunsAgain) {
  auto r = admin("POST", "/v3/service_brokers", brokerBody("b1"));
  // A controller that died mid-call left the job PROCESSING: the next round simply starts it.
  EXPECT_EQ(h_.api().advanceServiceOperations(), 1);
  EXPECT_EQ(h_.api().advanceServiceOperations(), 0);
  EXPECT_EQ(admin("GET", test_support::ApiHarness::jobPath(r)).body["state"], "COMPLETE");
}

TEST_F(ServiceBrokersTest, CatalogCallRunsOffTheLoopOnce) {
  // The server's offload: work on a worker, `then` later on the loop (here: when we say).
  std::vector<std::function<void()>> loop;
  StagingServices services;
  services.offload = [&loop](std::function<void()> work, std::function<void()> then) {
    work();
    loop.push_back(std::move(then));
  };
  h_.api().useStaging(services);
  auto r = admin("POST", "/v3/service_brokers", brokerBody("b1"));
  const std::string job = test_support::ApiHarness::jobPath(r);
  EXPECT_EQ(h_.api().advanceServiceOperations(), 1);
  EXPECT_EQ(h_.api().advanceServiceOperations(), 0);  // on its way: not sent twice
  EXPECT_EQ(broker_.requestCount(), 1u);
  EXPECT_EQ(admin("GET", job).body["state"], "PROCESSING");
  ASSERT_EQ(loop.size(), 1u);
  loop[0]();
  EXPECT_EQ(admin("GET", job).body["state"], "COMPLETE");
  EXPECT_EQ(h_.store().listServicePlans({}).size(), 2u);
}

TEST_F(ServiceBrokersTest, SpaceScopedBrokersBelongToTheirSpace) {
  std::string o = org("o"), s = space(o, "s"), t = space(o, "t");
  std::string dev = member("dev", o, s, "space_developer");
  std::string auditor = member("aud", o, s, "space_auditor");
  std::string stranger = member("str", o, t, "space_developer");
  std::string guid = createBroker("mine", s, dev);
  EXPECT_EQ(as(auditor, "GET", "/v3/service_brokers/" + guid).status, 200);
  EXPECT_EQ(as(auditor, "PATCH", "/v3/service_brokers/" + guid, {{"name", "x"}}).status, 403);
  EXPECT_EQ(as(stranger, "PATCH", "/v3/service_brokers/" + guid, {{"name", "x"}}).status, 404);
  EXPECT_EQ(as(stranger, "DELETE", "/v3/service_brokers/" + guid).status, 404);
  EXPECT_EQ(as(dev, "PATCH", "/v3/service_brokers/" + guid, {{"name", "x"}}).status, 200);
  EXPECT_EQ(runJob(as(dev, "DELETE", "/v3/service_brokers/" + guid), dev)["state"], "COMPLETE");
  // Its audit events are the space's.
  auto events = as(dev, "GET", "/v3/audit_events?types=audit.service_broker.delete");
  ASSERT_EQ(events.body["resources"].size(), 1u) << events.body;
  EXPECT_EQ(events.body["resources"][0]["space"]["guid"], s);
}

}  // namespace
}  // namespace foundry::control
