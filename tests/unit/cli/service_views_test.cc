// The marketplace and services tables from canned V3 replies (the shapes of
// PLATFORM-APIS.md B.3), rendered as the CLI prints them.
#include "cli/commands/service_views.h"

#include <gtest/gtest.h>

#include "cli/output/ui.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

json plan(const std::string& guid, const std::string& name, const std::string& offering,
          bool free = true, bool available = true, json costs = json::array()) {
  return {{"guid", guid},
          {"name", name},
          {"description", name + " plan"},
          {"visibility_type", "public"},
          {"available", available},
          {"free", free},
          {"costs", std::move(costs)},
          {"relationships", {{"service_offering", {{"data", {{"guid", offering}}}}}}}};
}

// GET /v3/service_plans?include=service_offering&fields[service_offering.service_broker]=...
json cannedPlans() {
  return {
      {"pagination", {{"total_results", 5}, {"total_pages", 1}, {"next", nullptr}}},
      {"resources",
       {plan("p-sync", "sync", "o-db"), plan("p-async", "async", "o-db"),
        plan("p-big", "big", "o-db", false, true,
             {{{"amount", 10}, {"currency", "USD"}, {"unit", "Monthly"}},
              {{"amount", 0.5}, {"currency", "EUR"}, {"unit", "Daily"}}}),
        plan("p-hidden", "retired", "o-db", true, false), plan("p-kv", "small", "o-kv")}},
      {"included",
       {{"service_offerings",
         {{{"guid", "o-db"},
           {"name", "fake-db"},
           {"description", "A fake database"},
           {"tags", {"db", "sql"}},
           {"relationships", {{"service_broker", {{"data", {{"guid", "b-1"}}}}}}}},
          {{"guid", "o-kv"},
           {"name", "kv"},
           {"description", "Key-value store"},
           {"relationships", {{"service_broker", {{"data", {{"guid", "b-2"}}}}}}}}}},
        {"service_brokers",
         {{{"guid", "b-1"}, {"name", "test-broker"}}, {{"guid", "b-2"}, {"name", "kv-broker"}}}}}}};
}

TEST(CliServiceViews, CatalogGroupsPlansUnderOfferingsWithBrokers) {
  auto catalog = parseCatalog(cannedPlans());
  ASSERT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog[0].name, "fake-db");
  EXPECT_EQ(catalog[0].broker_name, "test-broker");
  EXPECT_EQ(catalog[0].tags, (std::vector<std::string>{"db", "sql"}));
  ASSERT_EQ(catalog[0].plans.size(), 4u);
  EXPECT_EQ(catalog[0].plans[2].costs, "USD 10.00/Monthly, EUR 0.50/Daily");
  EXPECT_FALSE(catalog[0].plans[2].free);
  EXPECT_EQ(catalog[1].name, "kv");
  EXPECT_EQ(catalog[1].broker_name, "kv-broker");
  PlanRef ref = findPlan(catalog, "p-kv");
  ASSERT_NE(ref.plan, nullptr);
  EXPECT_EQ(ref.plan->name, "small");
  EXPECT_EQ(ref.offering->name, "kv");
  EXPECT_EQ(findPlan(catalog, "nope").plan, nullptr);
}

TEST(CliServiceViews, MarketplaceTableListsAvailablePlans) {
  auto catalog = parseCatalog(cannedPlans());
  EXPECT_EQ(formatTable(marketplaceRows(catalog, false)),
            "offering   plans              description       broker\n"
            "fake-db    sync, async, big   A fake database   test-broker\n"
            "kv         small              Key-value store   kv-broker\n");
  EXPECT_EQ(formatTable(marketplaceRows(catalog, true)),
            "offering   description       broker\n"
            "fake-db    A fake database   test-broker\n"
            "kv         Key-value store   kv-broker\n");
}

TEST(CliServiceViews, MarketplacePlanTableShowsFreeOrPaidAndCosts) {
  auto catalog = parseCatalog(cannedPlans());
  EXPECT_EQ(formatTable(planRows(catalog[0]), "   "),
            "   plan    description   free or paid   costs\n"
            "   sync    sync plan     free\n"
            "   async   async plan    free\n"
            "   big     big plan      paid           USD 10.00/Monthly, EUR 0.50/Daily\n");
}

TEST(CliServiceViews, EmptyOrUnavailableCatalogHasOnlyTheHeader) {
  EXPECT_TRUE(parseCatalog(json::object()).empty());
  json only_hidden = {{"resources", {plan("p", "gone", "o", true, false)}}};
  EXPECT_EQ(marketplaceRows(parseCatalog(only_hidden), false).size(), 1u);
}

TEST(CliServiceViews, ServicesTableShowsManagedAndUserProvided) {
  auto catalog = parseCatalog(cannedPlans());
  std::vector<json> instances = {
      {{"guid", "si-1"},
       {"name", "mydb"},
       {"type", "managed"},
       {"upgrade_available", false},
       {"last_operation", {{"type", "create"}, {"state", "succeeded"}}},
       {"relationships", {{"service_plan", {{"data", {{"guid", "p-async"}}}}}}}},
      {{"guid", "si-2"},
       {"name", "slow"},
       {"type", "managed"},
       {"last_operation", {{"type", "create"}, {"state", "in progress"}}},
       {"relationships", {{"service_plan", {{"data", {{"guid", "p-sync"}}}}}}}},
      {{"guid", "si-3"},
       {"name", "creds"},
       {"type", "user-provided"},
       {"last_operation", {{"type", "create"}, {"state", "succeeded"}}}}};
  std::map<std::string, std::vector<std::string>> bound = {{"si-1", {"web", "worker"}},
                                                           {"si-3", {"web"}}};
  EXPECT_EQ(formatTable(servicesRows(instances, catalog, bound)),
            "name    offering        plan    bound apps    last operation       broker        "
            "upgrade available\n"
            "mydb    fake-db         async   web, worker   create succeeded     test-broker   no\n"
            "slow    fake-db         sync                  create in progress   test-broker\n"
            "creds   user-provided           web           create succeeded\n");
}

TEST(CliServiceViews, LastOperationTexts) {
  EXPECT_EQ(lastOperationText({{"last_operation", {{"type", "delete"}, {"state", "failed"}}}}),
            "delete failed");
  EXPECT_EQ(lastOperationText(json::object()), "");
  EXPECT_EQ(lastOperationText({{"last_operation", nullptr}}), "");
  EXPECT_EQ(lastOperationDescription(
                {{"last_operation", {{"type", "create"}, {"description", "broker said no"}}}}),
            "broker said no");
  EXPECT_EQ(joinStrings(json::array({"a", 1, "b"})), "a, b");
}

}  // namespace
}  // namespace foundry::cli
