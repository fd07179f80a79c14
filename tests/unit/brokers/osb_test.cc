// brokers/osb: basic auth, routing of the 10 endpoints, the version check and body validation.

#include <gtest/gtest.h>

#include "brokers/osb/basic_auth.h"
#include "brokers/osb/routing.h"
#include "brokers/osb/validate.h"

namespace foundry::osb {
namespace {

TEST(OsbBasicAuth, AcceptsOnlyTheExactCredentials) {
  BasicAuth auth("broker", auth::Secret("s3:cret"));
  EXPECT_TRUE(auth.check("Basic YnJva2VyOnMzOmNyZXQ="));   // broker:s3:cret
  EXPECT_TRUE(auth.check("basic YnJva2VyOnMzOmNyZXQ="));   // the scheme is case-insensitive
  EXPECT_FALSE(auth.check("Basic YnJva2VyOnMzOmNyZXR4"));  // broker:s3:cretx
  EXPECT_FALSE(auth.check("Basic YnJva2VyOnMzOmNyZQ=="));  // broker:s3:cre
  EXPECT_FALSE(auth.check("Basic YnJva2Vy"));              // no colon
  EXPECT_FALSE(auth.check("Bearer YnJva2VyOnMzOmNyZXQ="));
  EXPECT_FALSE(auth.check("Basic !!!!"));
  EXPECT_FALSE(auth.check("Basic "));
  EXPECT_FALSE(auth.check(""));
}

TEST(OsbRouting, MapsEveryEndpoint) {
  RouteMiss miss;
  struct Case {
    const char* method;
    const char* path;
    Endpoint endpoint;
  } cases[] = {
      {"GET", "/v2/catalog", Endpoint::Catalog},
      {"PUT", "/v2/service_instances/i", Endpoint::Provision},
      {"GET", "/v2/service_instances/i", Endpoint::FetchInstance},
      {"PATCH", "/v2/service_instances/i", Endpoint::Update},
      {"DELETE", "/v2/service_instances/i", Endpoint::Deprovision},
      {"GET", "/v2/service_instances/i/last_operation", Endpoint::InstanceLastOperation},
      {"PUT", "/v2/service_instances/i/service_bindings/b", Endpoint::Bind},
      {"GET", "/v2/service_instances/i/service_bindings/b", Endpoint::FetchBinding},
      {"DELETE", "/v2/service_instances/i/service_bindings/b", Endpoint::Unbind},
      {"GET", "/v2/service_instances/i/service_bindings/b/last_operation",
       Endpoint::BindingLastOperation},
  };
  for (const Case& c : cases) {
    auto route = matchRoute(c.method, c.path, &miss);
    ASSERT_TRUE(route) << c.method << " " << c.path;
    EXPECT_EQ(route->endpoint, c.endpoint) << c.path;
  }
  auto route = matchRoute("PUT", "/v2/service_instances/a%20b/service_bindings/c%2Fd", &miss);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->instance_id, "a b");
  EXPECT_EQ(route->binding_id, "c/d");
}

TEST(OsbRouting, MissesAreNotFoundOrMethodNotAllowed) {
  RouteMiss miss;
  EXPECT_FALSE(matchRoute("POST", "/v2/catalog", &miss));
  EXPECT_EQ(miss, RouteMiss::MethodNotAllowed);
  for (const char* path : {"/v2", "/v2/", "/v3/catalog", "/v2/service_instances/",
                           "/v2/service_instances//last_operation", "/v2/service_instances/%zz",
                           "/v2/service_instances/i/service_bindings", "/v2/catalog/x",
                           "/v2/service_instances/i/service_bindings/b/x"}) {
    EXPECT_FALSE(matchRoute("GET", path, &miss)) << path;
    EXPECT_EQ(miss, RouteMiss::NotFound) << path;
  }
}

TEST(OsbValidate, ApiVersionMajorMustBeTwo) {
  EXPECT_FALSE(checkApiVersion("2.17", true));
  EXPECT_FALSE(checkApiVersion("2.13", true));
  auto missing = checkApiVersion("", false);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 412);
  EXPECT_TRUE(missing->body.contains("description"));
  for (const char* bad : {"3.0", "1.0", "2", "two.one", "", ".17", "22.1"}) {
    auto r = checkApiVersion(bad, true);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 412) << bad;
  }
}

TEST(OsbValidate, ProvisionNeedsItsRequiredFields) {
  auto run = [](const std::string& body) {
    OsbRequest req;
    req.endpoint = Endpoint::Provision;
    req.raw_body = body;
    return validateRequest(&req);
  };
  EXPECT_FALSE(run(R"({"service_id":"s","plan_id":"p","organization_guid":"o","space_guid":"x"})"));
  for (const char* bad :
       {"", "{", "[]", "null", R"({"plan_id":"p","organization_guid":"o","space_guid":"x"})",
        R"({"service_id":"s","plan_id":"p","organization_guid":"o"})",
        R"({"service_id":1,"plan_id":"p","organization_guid":"o","space_guid":"x"})",
        R"({"service_id":"","plan_id":"p","organization_guid":"o","space_guid":"x"})",
        R"({"service_id":"s","plan_id":"p","organization_guid":"o","space_guid":"x","parameters":[]})"}) {
    auto r = run(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(r->body["error"], "BadRequest");
  }
}

TEST(OsbValidate, DeletesNeedServiceAndPlanIds) {
  OsbRequest req;
  req.endpoint = Endpoint::Unbind;
  req.params = {{"service_id", "s"}};
  ASSERT_TRUE(validateRequest(&req));
  req.params["plan_id"] = "p";
  EXPECT_FALSE(validateRequest(&req));
}

}  // namespace
}  // namespace foundry::osb
