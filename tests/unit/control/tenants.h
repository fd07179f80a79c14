#pragma once
// Orgs, spaces and users with roles, made through the API as the admin of an ApiHarness:
// the tenancy every multi-tenant test starts from.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/control/api_harness.h"

namespace foundry::control::test_support {

class Tenants {
 public:
  explicit Tenants(ApiHarness& h) : h_(h) {}

  static nlohmann::json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

  std::string org(const std::string& name) {
    return created(h_.call(h_.tokens().admin, "POST", "/v3/organizations",
                           nlohmann::json{{"name", name}}));
  }
  std::string space(const std::string& org_guid, const std::string& name) {
    return created(h_.call(h_.tokens().admin, "POST", "/v3/spaces",
                           nlohmann::json{{"name", name},
                                          {"relationships", {{"organization", rel(org_guid)}}}}));
  }
  // `type` in `kind` ("organization" or "space") `where`.
  void grant(const std::string& user_guid, const std::string& type, const std::string& kind,
             const std::string& where) {
    auto r = h_.call(h_.tokens().admin, "POST", "/v3/roles",
                     nlohmann::json{{"type", type},
                                    {"relationships", {{"user", rel(user_guid)}, {kind, rel(where)}}}});
    EXPECT_EQ(r.status, 201) << r.body;
  }
  // A new user with organization_user in the org and, when given, `space_role` in the space;
  // their bearer header.
  std::string member(const std::string& name, const std::string& org_guid,
                     const std::string& space_guid, const std::string& space_role) {
    std::string guid;
    std::string bearer = h_.tokens().newUser(name, &guid);
    grant(guid, "organization_user", "organization", org_guid);
    if (!space_role.empty()) grant(guid, space_role, "space", space_guid);
    return bearer;
  }

 private:
  static std::string created(const ApiResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.is_object() ? r.body.value("guid", "") : "";
  }

  ApiHarness& h_;
};

}  // namespace foundry::control::test_support
