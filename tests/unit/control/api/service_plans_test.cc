// /v3/service_plans, /v3/service_offerings and plan visibility: who sees which plan (scoped in
// the store query, so totals are right), the cf CLI's marketplace call with its `included`
// parents, include/fields and the filters.
#include <gtest/gtest.h>

#include "tests/unit/control/api/marketplace_fixture.h"

namespace foundry::control {
namespace {

using nlohmann::json;

// Org A and org B, each with a space and a developer; one global broker with a public, an
// org-A and an admin-only plan; a space-scoped broker in A's space.
class ServicePlansTest : public test_support::MarketplaceTest {
 protected:
  void SetUp() override {
    org_a_ = org("org-a");
    org_b_ = org("org-b");
    space_a_ = space(org_a_, "space-a");
    space_b_ = space(org_b_, "space-b");
    dev_a_ = member("dev-a", org_a_, space_a_, "space_developer");
    dev_b_ = member("dev-b", org_b_, space_b_, "space_developer");
    setCatalog({{"services",
                 json::array({service("svc-db", "db",
                                      json::array({plan("p-public", "public"),
                                                   plan("p-org", "org-a-only"),
                                                   plan("p-admin", "admin-only")}))})}});
    global_ = createBroker("global");
    EXPECT_EQ(admin("POST", "/v3/service_plans/" + guidOf("p-public") + "/visibility",
                    {{"type", "public"}}).status, 200);
    auto shared = admin("POST", "/v3/service_plans/" + guidOf("p-org") + "/visibility",
                        {{"type", "organization"}, {"organizations", {{{"guid", org_a_}}}}});
    EXPECT_EQ(shared.status, 200) << shared.body;
    setCatalog({{"services", json::array({service("svc-local", "local",
                                                  json::array({plan("p-space", "mine")}))})}});
    local_ = createBroker("local", space_a_);
  }
  std::string guidOf(const std::string& id) { return planById(id)->guid; }
  std::vector<std::string> planNames(const ApiResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    for (const auto& p : r.body["resources"]) names.push_back(p["name"]);
    std::sort(names.begin(), names.end());
    return names;
  }
  using Names = std::vector<std::string>;

  std::string org_a_, org_b_, space_a_, space_b_, dev_a_, dev_b_, global_, local_;
};

TEST_F(ServicePlansTest, EachUserSeesTheirPlans) {
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans")),
            (Names{"admin-only", "mine", "org-a-only", "public"}));
  EXPECT_EQ(planNames(as(dev_a_, "GET", "/v3/service_plans")),
            (Names{"mine", "org-a-only", "public"}));
  auto b = as(dev_b_, "GET", "/v3/service_plans?per_page=1");
  EXPECT_EQ(b.body["pagination"]["total_results"], 1);  // counted in the query, not after
  EXPECT_EQ(planNames(b), (Names{"public"}));
  EXPECT_EQ(as(dev_b_, "GET", "/v3/service_plans/" + guidOf("p-org")).status, 404);
  EXPECT_EQ(as(dev_b_, "GET", "/v3/service_plans/" + guidOf("p-space")).status, 404);
  EXPECT_EQ(as(dev_b_, "GET", "/v3/service_plans/" + guidOf("p-admin")).status, 404);
  EXPECT_EQ(as(dev_a_, "GET", "/v3/service_plans/" + guidOf("p-org")).status, 200);
  // A user with only an org role belongs to the org too.
  std::string user_guid;
  std::string org_user = h_.tokens().newUser("watcher", &user_guid);
  grant(user_guid, "organization_user", "organization", org_a_);
  EXPECT_EQ(planNames(as(org_user, "GET", "/v3/service_plans")), (Names{"org-a-only", "public"}));
}

TEST_F(ServicePlansTest, OfferingsVisibleThroughTheirPlans) {
  auto names = [&](const ApiResponse& r) { return planNames(r); };
  EXPECT_EQ(names(admin("GET", "/v3/service_offerings")), (Names{"db", "local"}));
  EXPECT_EQ(names(as(dev_a_, "GET", "/v3/service_offerings")), (Names{"db", "local"}));
  EXPECT_EQ(names(as(dev_b_, "GET", "/v3/service_offerings")), (Names{"db"}));
  const std::string local_offering = planById("p-space")->offering_guid;
  EXPECT_EQ(as(dev_b_, "GET", "/v3/service_offerings/" + local_offering).status, 404);
  EXPECT_EQ(as(dev_a_, "GET", "/v3/service_offerings/" + local_offering).status, 200);
  EXPECT_EQ(names(admin("GET", "/v3/service_offerings?service_broker_names=local")),
            (Names{"local"}));
  EXPECT_EQ(names(admin("GET", "/v3/service_offerings?service_broker_guids=" + global_)),
            (Names{"db"}));
  EXPECT_EQ(names(admin("GET", "/v3/service_offerings?space_guids=" + space_b_)), (Names{"db"}));
  EXPECT_EQ(names(admin("GET", "/v3/service_offerings?names=nope")), Names{});

  auto partial = admin("GET", "/v3/service_offerings?names=db&fields[service_broker]=name");
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(partial.body["included"]["service_brokers"], json::parse(R"([{"name":"global"}])"));
  EXPECT_EQ(admin("GET", "/v3/service_offerings?fields[service_broker]=url").status, 400);
}

TEST_F(ServicePlansTest, TheCliMarketplaceCall) {
  auto r = as(dev_a_, "GET",
              "/v3/service_plans?per_page=5000&include=service_offering&"
              "fields%5Bservice_offering.service_broker%5D=name,guid&space_guids=" + space_a_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(planNames(r), (Names{"mine", "org-a-only", "public"}));
  const json& inc = r.body["included"];
  ASSERT_EQ(inc["service_offerings"].size(), 2u) << inc;
  ASSERT_EQ(inc["service_brokers"].size(), 2u) << inc;
  for (const auto& b : inc["service_brokers"]) {
    EXPECT_EQ(b.size(), 2u) << b;  // name and guid only
    EXPECT_TRUE(b["guid"] == global_ || b["guid"] == local_) << b;
  }
  EXPECT_TRUE(inc["service_offerings"][0].contains("broker_catalog"));
  // The real cf CLI percent-encodes the comma between the fields.
  auto encoded = as(dev_a_, "GET",
                    "/v3/service_plans?per_page=5000&include=service_offering&"
                    "fields%5Bservice_offering.service_broker%5D=name%2Cguid");
  ASSERT_EQ(encoded.status, 200) << encoded.body;
  EXPECT_EQ(encoded.body["included"]["service_brokers"].size(), 2u);
  EXPECT_EQ(encoded.body["included"]["service_brokers"][0].size(), 2u);
  // Targeting org B's space: only what is usable there (public).
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?space_guids=" + space_b_)),
            (Names{"public"}));
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?organization_guids=" + org_a_)),
            (Names{"mine", "org-a-only", "public"}));
  // dev B asking for A's space learns nothing of it.
  EXPECT_EQ(planNames(as(dev_b_, "GET", "/v3/service_plans?space_guids=" + space_a_)), Names{});
}

TEST_F(ServicePlansTest, FiltersIncludeAndFields) {
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?service_offering_names=local")),
            (Names{"mine"}));
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?service_broker_names=global&names=public")),
            (Names{"public"}));
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?service_broker_guids=" + local_)),
            (Names{"mine"}));
  EXPECT_EQ(planNames(admin("GET", "/v3/service_plans?available=true")).size(), 4u);
  EXPECT_EQ(admin("GET", "/v3/service_plans?available=maybe").status, 400);
  EXPECT_EQ(admin("GET", "/v3/service_plans?include=app").status, 400);
  EXPECT_EQ(admin("GET", "/v3/service_plans?fields[service_offering.service_broker]=url").status,
            400);
  EXPECT_EQ(admin("GET", "/v3/service_plans?order_by=color").status, 400);

  auto spaces = admin("GET", "/v3/service_plans/" + guidOf("p-space") +
                                 "?include=space.organization");
  ASSERT_EQ(spaces.status, 200) << spaces.body;
  EXPECT_EQ(spaces.body["relationships"]["space"]["data"]["guid"], space_a_);
  EXPECT_EQ(spaces.body["included"]["spaces"][0]["guid"], space_a_);
  EXPECT_EQ(spaces.body["included"]["organizations"][0]["guid"], org_a_);
  auto plain = admin("GET", "/v3/service_plans/" + guidOf("p-public"));
  EXPECT_FALSE(plain.body.contains("included"));
  EXPECT_EQ(plain.body["links"]["visibility"]["href"],
            std::string(test_support::ApiHarness::kBase) + "/v3/service_plans/" +
                guidOf("p-public") + "/visibility");
}

TEST_F(ServicePlansTest, Visibility) {
  const std::string p = "/v3/service_plans/" + guidOf("p-admin") + "/visibility";
  EXPECT_EQ(admin("GET", p).body, json::parse(R"({"type":"admin"})"));
  // Only admins change it.
  EXPECT_EQ(as(dev_a_, "POST", "/v3/service_plans/" + guidOf("p-public") + "/visibility",
               {{"type", "admin"}}).status, 403);
  EXPECT_EQ(admin("POST", p, {{"type", "everyone"}}).status, 422);
  EXPECT_EQ(admin("POST", p, {{"type", "organization"}}).status, 422);
  EXPECT_EQ(admin("POST", p, {{"type", "organization"}, {"organizations", {{{"guid", "x"}}}}})
                .status, 422);
  EXPECT_EQ(admin("POST", p, {{"type", "public"}, {"organizations", {{{"guid", org_a_}}}}})
                .status, 422);

  auto shared =
      admin("POST", p, {{"type", "organization"}, {"organizations", {{{"guid", org_a_}}}}});
  ASSERT_EQ(shared.status, 200) << shared.body;
  shared = admin("POST", p, {{"type", "organization"}, {"organizations", {{{"guid", org_b_}}}}});
  EXPECT_EQ(shared.body["organizations"].size(), 2u) << shared.body;  // POST appends
  EXPECT_EQ(planNames(as(dev_b_, "GET", "/v3/service_plans")), (Names{"admin-only", "public"}));
  // Each org sees only itself in the list.
  auto seen = as(dev_b_, "GET", p);
  ASSERT_EQ(seen.body["organizations"].size(), 1u);
  EXPECT_EQ(seen.body["organizations"][0]["guid"], org_b_);
  EXPECT_EQ(seen.body["organizations"][0]["name"], "org-b");

  auto replaced = admin("PATCH", p, {{"type", "organization"},
                                     {"organizations", {{{"guid", org_a_}}}}});
  EXPECT_EQ(replaced.body["organizations"].size(), 1u) << replaced.body;  // PATCH replaces
  EXPECT_EQ(planNames(as(dev_b_, "GET", "/v3/service_plans")), (Names{"public"}));

  EXPECT_EQ(admin("DELETE", p + "/" + org_a_).status, 204);
  EXPECT_EQ(planNames(as(dev_a_, "GET", "/v3/service_plans")),
            (Names{"mine", "org-a-only", "public"}));
  EXPECT_EQ(admin("DELETE", p + "/nope").status, 404);

  // A space-scoped broker's plans stay with their space.
  const std::string sp = "/v3/service_plans/" + guidOf("p-space") + "/visibility";
  EXPECT_EQ(admin("POST", sp, {{"type", "public"}}).status, 422);
  auto space_vis = as(dev_a_, "GET", sp);
  EXPECT_EQ(space_vis.body["type"], "space");
  EXPECT_EQ(space_vis.body["space"]["guid"], space_a_);

  // Back to public: every org.
  EXPECT_EQ(admin("PATCH", p, {{"type", "public"}}).status, 200);
  EXPECT_EQ(planNames(as(dev_b_, "GET", "/v3/service_plans")), (Names{"admin-only", "public"}));
}

TEST_F(ServicePlansTest, DeleteOffering) {
  const std::string db = planById("p-public")->offering_guid;
  useInPlan(guidOf("p-public"), "in-use", space_a_);
  EXPECT_EQ(as(dev_a_, "DELETE", "/v3/service_offerings/" + db).status, 403);
  auto refused = admin("DELETE", "/v3/service_offerings/" + db);
  EXPECT_EQ(refused.status, 422);
  const std::string local = planById("p-space")->offering_guid;
  EXPECT_EQ(as(dev_b_, "DELETE", "/v3/service_offerings/" + local).status, 404);
  EXPECT_EQ(as(dev_a_, "DELETE", "/v3/service_offerings/" + local).status, 204);
  EXPECT_FALSE(planById("p-space"));
}

}  // namespace
}  // namespace foundry::control
