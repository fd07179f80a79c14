// parseCatalog: the A.6 rules a catalog must keep, and how its fields become records.
#include "control/services/catalog.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace foundry::control::services {
namespace {

using nlohmann::json;

json minimal() {
  return json::parse(R"({"services":[{"id":"svc-1","name":"kv","description":"Key-value",
    "bindable":true,"plan_updateable":true,"tags":["kv"],"requires":["syslog_drain"],
    "metadata":{"shareable":true,"documentationUrl":"https://docs.example/kv"},
    "plans":[{"id":"plan-1","name":"small","description":"1 GB",
              "maintenance_info":{"version":"1.0.0","description":"first"},
              "maximum_polling_duration":600,
              "metadata":{"costs":[{"amount":{"usd":9.5,"eur":8},"unit":"MONTHLY"}]},
              "schemas":{"service_instance":{"create":{"parameters":{"type":"object"}}}}},
             {"id":"plan-2","name":"big","description":"10 GB","free":false,
              "bindable":false}]}]})");
}

std::string joined(const ParsedCatalog& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

TEST(CatalogTest, ValidCatalogBecomesRecords) {
  ParsedCatalog c = parseCatalog(minimal().dump());
  ASSERT_TRUE(c.problems.empty()) << joined(c);
  ASSERT_EQ(c.entries.size(), 1u);
  const auto& o = c.entries[0].offering;
  EXPECT_EQ(o.broker_catalog_id, "svc-1");
  EXPECT_EQ(o.name, "kv");
  EXPECT_TRUE(o.bindable);
  EXPECT_TRUE(o.plan_updateable);
  EXPECT_TRUE(o.shareable);
  EXPECT_EQ(o.documentation_url.value_or(""), "https://docs.example/kv");
  EXPECT_EQ(o.tags, std::vector<std::string>{"kv"});
  EXPECT_EQ(o.requires_features, std::vector<std::string>{"syslog_drain"});
  ASSERT_EQ(c.entries[0].plans.size(), 2u);
  const auto& small = c.entries[0].plans[0];
  EXPECT_TRUE(small.free);
  EXPECT_TRUE(small.bindable);         // the offering's
  EXPECT_TRUE(small.plan_updateable);  // the offering's
  EXPECT_EQ(small.maximum_polling_duration.value_or(0), 600);
  EXPECT_EQ(json::parse(*small.maintenance_info),
            json::parse(R"({"version":"1.0.0","description":"first"})"));
  EXPECT_EQ(json::parse(small.costs),
            json::parse(R"([{"amount":8.0,"currency":"EUR","unit":"MONTHLY"},
                            {"amount":9.5,"currency":"USD","unit":"MONTHLY"}])"));
  EXPECT_EQ(json::parse(small.schemas)["service_instance"]["create"]["parameters"]["type"],
            "object");
  const auto& big = c.entries[0].plans[1];
  EXPECT_FALSE(big.free);
  EXPECT_FALSE(big.bindable);  // its own
  EXPECT_EQ(big.costs, "[]");
  EXPECT_FALSE(big.maintenance_info.has_value());
}

TEST(CatalogTest, EmptyServicesIsValid) {
  EXPECT_TRUE(parseCatalog(R"({"services":[]})").problems.empty());
}

TEST(CatalogTest, NotAnObjectOrNoServices) {
  EXPECT_EQ(parseCatalog("nope").problems,
            std::vector<std::string>{"The catalog is not a JSON object"});
  EXPECT_EQ(parseCatalog("[]").problems,
            std::vector<std::string>{"The catalog is not a JSON object"});
  EXPECT_EQ(parseCatalog(R"({"services":{}})").problems,
            std::vector<std::string>{"services must be an array"});
}

TEST(CatalogTest, RequiredFieldsAreNamed) {
  json c = minimal();
  c["services"][0].erase("description");
  c["services"][0]["bindable"] = "yes";
  c["services"][0]["plans"][0].erase("id");
  c["services"][0]["plans"][1]["name"] = "";
  ParsedCatalog p = parseCatalog(c.dump());
  const std::string all = joined(p);
  EXPECT_NE(all.find("Service kv: description must be a non-empty string"), std::string::npos)
      << all;
  EXPECT_NE(all.find("Service kv: bindable must be a boolean"), std::string::npos) << all;
  EXPECT_NE(all.find("Service kv: Plan small: id must be a non-empty string"), std::string::npos)
      << all;
  EXPECT_NE(all.find("name must be a non-empty string"), std::string::npos) << all;
  EXPECT_TRUE(p.entries.empty());
}

TEST(CatalogTest, AtLeastOnePlan) {
  json c = minimal();
  c["services"][0]["plans"] = json::array();
  EXPECT_EQ(parseCatalog(c.dump()).problems,
            std::vector<std::string>{"Service kv: At least one plan is required"});
}

TEST(CatalogTest, NamesAndIdsUnique) {
  json c = minimal();
  c["services"].push_back(c["services"][0]);  // same name, same id, same plan ids
  c["services"][0]["plans"][1]["name"] = "small";
  const std::string all = joined(parseCatalog(c.dump()));
  EXPECT_NE(all.find("Plan names must be unique within a service"), std::string::npos) << all;
  EXPECT_NE(all.find("Service names must be unique within a broker"), std::string::npos) << all;
  EXPECT_NE(all.find("Service ids must be unique"), std::string::npos) << all;
  EXPECT_NE(all.find("Plan ids must be unique"), std::string::npos) << all;
}

TEST(CatalogTest, BadOptionalFields) {
  json c = minimal();
  c["services"][0]["tags"] = "kv";
  c["services"][0]["plans"][0]["maintenance_info"] = {{"description", "no version"}};
  c["services"][0]["plans"][0]["maximum_polling_duration"] = "soon";
  c["services"][0]["plans"][0]["schemas"] = "none";
  const std::string all = joined(parseCatalog(c.dump()));
  EXPECT_NE(all.find("tags must be an array of strings"), std::string::npos) << all;
  EXPECT_NE(all.find("maintenance_info.version must be a string"), std::string::npos) << all;
  EXPECT_NE(all.find("maximum_polling_duration must be an integer"), std::string::npos) << all;
  EXPECT_NE(all.find("schemas must be an object"), std::string::npos) << all;
}

}  // namespace
}  // namespace foundry::control::services
