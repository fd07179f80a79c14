// Api driven directly (no HTTP) over a real SqliteStore in a temp folder: JSON shapes of every
// resource, the V3 error format, validation (422 naming the field), pagination and filters,
// async delete jobs.
#include "control/api/api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "control/store/sqlite_store.h"
#include "tests/unit/control/test_tokens.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kBase = "http://api.test";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    api_ = std::make_unique<Api>(*store_, ApiConfig{});
    api_->bootstrap();
    tokens_ = std::make_unique<test_support::TestTokens>(*store_);
    api_->useTokenService(tokens_->service.get());
    auth_ = tokens_->admin;
    space_ = api_->defaultSpaceGuid();
    domain_ = api_->defaultDomainGuid();
  }
  void TearDown() override {
    api_.reset();
    tokens_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  ApiResponse call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    ApiRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    r.base_url = kBase;
    r.authorization = auth_;
    return api_->handle(r);
  }
  ApiResponse call(const std::string& method, const std::string& target, const json& body) {
    return call(method, target, body.dump());
  }
  json appBody(const std::string& name) {
    return {{"name", name}, {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}};
  }
  std::string createApp(const std::string& name) {
    auto r = call("POST", "/v3/apps", appBody(name));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  json routeBody(const std::string& host, const std::string& path = "") {
    json b = {{"host", host},
              {"relationships",
               {{"space", {{"data", {{"guid", space_}}}}},
                {"domain", {{"data", {{"guid", domain_}}}}}}}};
    if (!path.empty()) b["path"] = path;
    return b;
  }
  std::string createRoute(const std::string& host, const std::string& path = "") {
    auto r = call("POST", "/v3/routes", routeBody(host, path));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  static void expectError(const ApiResponse& r, int status, int code, const std::string& title,
                          const std::string& detail_part) {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.body.contains("errors")) << r.body;
    ASSERT_EQ(r.body["errors"].size(), 1u);
    const json& e = r.body["errors"][0];
    EXPECT_EQ(e["code"], code);
    EXPECT_EQ(e["title"], title);
    EXPECT_NE(e["detail"].get<std::string>().find(detail_part), std::string::npos) << e;
  }

  std::string dir_, space_, domain_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<test_support::TestTokens> tokens_;
  std::string auth_;  // the Authorization header call() sends (the admin by default)
};

const std::regex kGuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kTimestamp("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$");

TEST(ControlUtil, GuidsAreV4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string g = newGuid();
    ASSERT_TRUE(std::regex_match(g, kGuidV4)) << g;
    seen.insert(g);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(std::regex_match(nowIso8601(), kTimestamp));
}

TEST(ControlUtil, QueryParsing) {
  Query q = parseQuery("names=a,b%2Cc&space_guids=&per_page=2&x+y=%41+B");
  ASSERT_NE(q.find("names"), nullptr);
  EXPECT_EQ(*q.find("names"), (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(*q.find("space_guids"), (std::vector<std::string>{""}));
  EXPECT_EQ(*q.find("x y"), (std::vector<std::string>{"A B"}));
  EXPECT_EQ(q.find("nope"), nullptr);
  EXPECT_EQ(percentDecode("%zz%4"), "%zz%4");
}

TEST_F(ApiTest, RootAndV3Links) {
  auto r = call("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["links"]["cloud_controller_v3"]["href"], std::string(kBase) + "/v3");
  EXPECT_EQ(r.body["links"]["cloud_controller_v3"]["meta"]["version"], "3.100.0");
  EXPECT_TRUE(r.body["links"].contains("login"));
  auto v3 = call("GET", "/v3");
  ASSERT_EQ(v3.status, 200);
  EXPECT_EQ(v3.body["links"]["apps"]["href"], std::string(kBase) + "/v3/apps");
  EXPECT_EQ(v3.body["links"]["routes"]["href"], std::string(kBase) + "/v3/routes");
}

TEST_F(ApiTest, DefaultOrgSpaceAndDomain) {
  auto orgs = call("GET", "/v3/organizations");
  ASSERT_EQ(orgs.status, 200);
  ASSERT_EQ(orgs.body["resources"].size(), 1u);
  const json& o = orgs.body["resources"][0];
  EXPECT_EQ(o["name"], "default");
  EXPECT_EQ(o["suspended"], false);
  // Every org gets the `default` organization quota, as in CF.
  EXPECT_FALSE(o["relationships"]["quota"]["data"].is_null());
  EXPECT_EQ(o["metadata"], json({{"labels", json::object()}, {"annotations", json::object()}}));
  const std::string org = o["guid"];

  auto spaces = call("GET", "/v3/spaces?organization_guids=" + org);
  ASSERT_EQ(spaces.body["resources"].size(), 1u);
  EXPECT_EQ(spaces.body["resources"][0]["guid"], space_);
  EXPECT_EQ(spaces.body["resources"][0]["relationships"]["organization"]["data"]["guid"], org);
  EXPECT_EQ(call("GET", "/v3/spaces?organization_guids=nope").body["resources"].size(), 0u);

  auto domains = call("GET", "/v3/domains?names=apps.internal");
  ASSERT_EQ(domains.body["resources"].size(), 1u);
  const json& d = domains.body["resources"][0];
  EXPECT_EQ(d["guid"], domain_);
  EXPECT_EQ(d["internal"], false);
  EXPECT_TRUE(d["relationships"]["organization"]["data"].is_null());
  EXPECT_EQ(d["supported_protocols"], json::array({"http"}));
  EXPECT_EQ(call("GET", "/v3/organizations/" + org + "/domains/default").body["guid"], domain_);

  // bootstrap is idempotent: nothing new on a second run.
  api_->bootstrap();
  EXPECT_EQ(call("GET", "/v3/organizations").body["pagination"]["total_results"], 1);
  EXPECT_EQ(call("GET", "/v3/domains").body["pagination"]["total_results"], 1);
  EXPECT_EQ(api_->defaultSpaceGuid(), space_);
}

TEST_F(ApiTest, AppShape) {
  auto r = call("POST", "/v3/apps", appBody("web"));
  ASSERT_EQ(r.status, 201) << r.body;
  const json& a = r.body;
  const std::string guid = a["guid"];
  EXPECT_TRUE(std::regex_match(guid, kGuidV4));
  EXPECT_TRUE(std::regex_match(a["created_at"].get<std::string>(), kTimestamp));
  EXPECT_EQ(a["created_at"], a["updated_at"]);
  EXPECT_EQ(a["name"], "web");
  EXPECT_EQ(a["state"], "STOPPED");
  EXPECT_EQ(a["lifecycle"], json::parse(R"({"type":"buildpack","data":{"buildpacks":[],
                                            "stack":"cflinuxfs4"}})"));
  EXPECT_EQ(a["relationships"]["space"]["data"]["guid"], space_);
  EXPECT_TRUE(a["relationships"]["current_droplet"]["data"].is_null());
  const std::string self = std::string(kBase) + "/v3/apps/" + guid;
  EXPECT_EQ(a["links"]["self"]["href"], self);
  EXPECT_EQ(a["links"]["processes"]["href"], self + "/processes");
  EXPECT_EQ(a["links"]["start"], json({{"href", self + "/actions/start"}, {"method", "POST"}}));
  EXPECT_EQ(a["links"]["stop"]["method"], "POST");
  EXPECT_EQ(a["links"]["space"]["href"], std::string(kBase) + "/v3/spaces/" + space_);
  for (const char* k : {"packages", "environment_variables", "current_droplet", "droplets",
                        "tasks", "revisions", "deployed_revisions", "features"}) {
    EXPECT_TRUE(a["links"].contains(k)) << k;
  }
  EXPECT_EQ(call("GET", "/v3/apps/" + guid).body, a);
}

TEST_F(ApiTest, AppCreateWithLifecycleAndEnv) {
  json b = appBody("go");
  b["lifecycle"] = {{"type", "buildpack"},
                    {"data", {{"buildpacks", {"go_buildpack"}}, {"stack", "cflinuxfs3"}}}};
  b["environment_variables"] = {{"A", "1"}};
  auto r = call("POST", "/v3/apps", b);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body["lifecycle"]["data"]["buildpacks"], json::array({"go_buildpack"}));
  EXPECT_EQ(r.body["lifecycle"]["data"]["stack"], "cflinuxfs3");
  json d = appBody("img");
  d["lifecycle"] = {{"type", "docker"}, {"data", json::object()}};
  auto r2 = call("POST", "/v3/apps", d);
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_EQ(r2.body["lifecycle"], json({{"type", "docker"}, {"data", json::object()}}));
}

TEST_F(ApiTest, AppCreateErrors) {
  expectError(call("POST", "/v3/apps", json{{"relationships", appBody("x")["relationships"]}}),
              422, 10008, "CF-UnprocessableEntity", "Name can't be blank");
  expectError(call("POST", "/v3/apps", json{{"name", "x"}}), 422, 10008,
              "CF-UnprocessableEntity", "space");
  json bad_space = appBody("x");
  bad_space["relationships"]["space"]["data"]["guid"] = "nope";
  expectError(call("POST", "/v3/apps", bad_space), 422, 10008, "CF-UnprocessableEntity",
              "Invalid space");
  json unknown = appBody("x");
  unknown["colour"] = "blue";
  expectError(call("POST", "/v3/apps", unknown), 422, 10008, "CF-UnprocessableEntity",
              "Unknown field(s): 'colour'");
  json name_type = appBody("x");
  name_type["name"] = 5;
  expectError(call("POST", "/v3/apps", name_type), 422, 10008, "CF-UnprocessableEntity",
              "Name must be a string");
  json env = appBody("x");
  env["environment_variables"] = {{"VCAP_X", "1"}};
  expectError(call("POST", "/v3/apps", env), 422, 10008, "CF-UnprocessableEntity", "VCAP_");
  json lc = appBody("x");
  lc["lifecycle"] = {{"type", "rocket"}};
  expectError(call("POST", "/v3/apps", lc), 422, 10008, "CF-UnprocessableEntity", "Lifecycle type");
  expectError(call("POST", "/v3/apps", std::string("{not json")), 400, 1001,
              "CF-MessageParseError", "parse error");
  expectError(call("POST", "/v3/apps", std::string("[1]")), 400, 1001, "CF-MessageParseError",
              "parse error");
  createApp("dup");
  expectError(call("POST", "/v3/apps", appBody("dup")), 422, 10008, "CF-UnprocessableEntity",
              "App with the name 'dup' already exists.");
  EXPECT_EQ(call("GET", "/v3/apps").body["pagination"]["total_results"], 1);
}

TEST_F(ApiTest, NotFoundAndUnknownRequests) {
  expectError(call("GET", "/v3/apps/no-such-guid"), 404, 10010, "CF-ResourceNotFound",
              "App not found");
  expectError(call("PATCH", "/v3/apps/no-such-guid", json{{"name", "x"}}), 404, 10010,
              "CF-ResourceNotFound", "App not found");
  expectError(call("DELETE", "/v3/apps/no-such-guid"), 404, 10010, "CF-ResourceNotFound",
              "App not found");
  expectError(call("POST", "/v3/apps/no-such-guid/actions/start"), 404, 10010,
              "CF-ResourceNotFound", "App not found");
  expectError(call("GET", "/v3/processes/nope"), 404, 10010, "CF-ResourceNotFound",
              "Process not found");
  expectError(call("GET", "/v3/routes/nope"), 404, 10010, "CF-ResourceNotFound",
              "Route not found");
  expectError(call("GET", "/v3/routes/nope/destinations"), 404, 10010, "CF-ResourceNotFound",
              "Route not found");
  expectError(call("GET", "/v3/jobs/nope"), 404, 10010, "CF-ResourceNotFound", "Job not found");
  expectError(call("GET", "/v3/spaces/nope"), 404, 10010, "CF-ResourceNotFound", "Space");
  expectError(call("GET", "/v3/domains/nope"), 404, 10010, "CF-ResourceNotFound", "Domain");
  expectError(call("GET", "/v3/organizations/nope"), 404, 10010, "CF-ResourceNotFound",
              "Organization");
  expectError(call("GET", "/v3/widgets"), 404, 10000, "CF-NotFound", "Unknown request");
  expectError(call("PUT", "/v3/apps"), 404, 10000, "CF-NotFound", "Unknown request");
  expectError(call("POST", "/v3/apps/x/actions/explode"), 404, 10000, "CF-NotFound",
              "Unknown request");
}

TEST_F(ApiTest, PaginationAndOrdering) {
  for (const char* n : {"e", "c", "a", "d", "b"}) createApp(n);
  auto r = call("GET", "/v3/apps?per_page=2&page=2&order_by=name");
  ASSERT_EQ(r.status, 200) << r.body;
  const json& p = r.body["pagination"];
  EXPECT_EQ(p["total_results"], 5);
  EXPECT_EQ(p["total_pages"], 3);
  const std::string list = std::string(kBase) + "/v3/apps";
  EXPECT_EQ(p["first"]["href"], list + "?page=1&per_page=2&order_by=name");
  EXPECT_EQ(p["last"]["href"], list + "?page=3&per_page=2&order_by=name");
  EXPECT_EQ(p["next"]["href"], list + "?page=3&per_page=2&order_by=name");
  EXPECT_EQ(p["previous"]["href"], list + "?page=1&per_page=2&order_by=name");
  ASSERT_EQ(r.body["resources"].size(), 2u);
  EXPECT_EQ(r.body["resources"][0]["name"], "c");
  EXPECT_EQ(r.body["resources"][1]["name"], "d");

  auto last = call("GET", "/v3/apps?per_page=2&page=3&order_by=-name");
  EXPECT_TRUE(last.body["pagination"]["next"].is_null());
  ASSERT_EQ(last.body["resources"].size(), 1u);
  EXPECT_EQ(last.body["resources"][0]["name"], "a");

  auto first = call("GET", "/v3/apps");
  EXPECT_EQ(first.body["pagination"]["total_pages"], 1);
  EXPECT_TRUE(first.body["pagination"]["previous"].is_null());
  EXPECT_EQ(first.body["resources"][0]["name"], "e");  // created_at, then creation order

  auto beyond = call("GET", "/v3/apps?page=9");
  EXPECT_EQ(beyond.status, 200);
  EXPECT_TRUE(beyond.body["resources"].empty());

  auto none = call("GET", "/v3/apps?names=zzz");
  EXPECT_EQ(none.body["pagination"]["total_results"], 0);
  EXPECT_EQ(none.body["pagination"]["total_pages"], 1);

  expectError(call("GET", "/v3/apps?per_page=0"), 400, 10005, "CF-BadQueryParameter", "per_page");
  expectError(call("GET", "/v3/apps?per_page=5001"), 400, 10005, "CF-BadQueryParameter",
              "per_page");
  expectError(call("GET", "/v3/apps?page=x"), 400, 10005, "CF-BadQueryParameter", "page");
  expectError(call("GET", "/v3/apps?order_by=colour"), 400, 10005, "CF-BadQueryParameter",
              "Order by");
  expectError(call("GET", "/v3/apps?colour=red"), 400, 10005, "CF-BadQueryParameter",
              "Unknown query parameter(s): 'colour'");
}

TEST_F(ApiTest, AppFilters) {
  const std::string a = createApp("alpha");
  createApp("beta");
  createApp("gamma");
  auto r = call("GET", "/v3/apps?names=alpha,gamma");
  ASSERT_EQ(r.body["resources"].size(), 2u);
  EXPECT_EQ(r.body["resources"][0]["name"], "alpha");
  EXPECT_EQ(r.body["resources"][1]["name"], "gamma");
  EXPECT_EQ(call("GET", "/v3/apps?names=alpha&space_guids=" + space_).body["resources"].size(),
            1u);
  EXPECT_EQ(call("GET", "/v3/apps?names=alpha&space_guids=other").body["resources"].size(), 0u);
  EXPECT_EQ(call("GET", "/v3/apps?guids=" + a).body["resources"][0]["name"], "alpha");
}

TEST_F(ApiTest, RenameAndStates) {
  const std::string g = createApp("one");
  createApp("two");
  auto r = call("PATCH", "/v3/apps/" + g, json{{"name", "uno"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["name"], "uno");
  expectError(call("PATCH", "/v3/apps/" + g, json{{"name", "two"}}), 422, 10008,
              "CF-UnprocessableEntity", "App with the name 'two' already exists.");
  expectError(call("PATCH", "/v3/apps/" + g, json{{"name", ""}}), 422, 10008,
              "CF-UnprocessableEntity", "Name can't be blank");
  expectError(call("PATCH", "/v3/apps/" + g, json{{"state", "STARTED"}}), 422, 10008,
              "CF-UnprocessableEntity", "Unknown field(s): 'state'");

  expectError(call("POST", "/v3/apps/" + g + "/actions/start"), 422, 10008,
              "CF-UnprocessableEntity", "Assign a droplet before starting this app.");
  // A staged droplet (staging's records) made current lets it start.
  Droplet d;
  d.guid = newGuid();
  d.app_guid = g;
  d.package_guid = newGuid();
  d.build_guid = newGuid();
  d.sha256 = std::string(64, '0');
  d.created_at = d.updated_at = nowIso8601();
  ASSERT_EQ(store_->createDroplet(d), WriteResult::Ok);
  ASSERT_EQ(store_->setCurrentDroplet(g, d.guid, d.created_at), WriteResult::Ok);
  EXPECT_EQ(call("POST", "/v3/apps/" + g + "/actions/start").body["state"], "STARTED");
  EXPECT_EQ(call("GET", "/v3/apps/" + g).body["state"], "STARTED");
  EXPECT_EQ(call("POST", "/v3/apps/" + g + "/actions/stop").body["state"], "STOPPED");
  auto restart = call("POST", "/v3/apps/" + g + "/actions/restart");
  EXPECT_EQ(restart.status, 200);
  EXPECT_EQ(restart.body["state"], "STARTED");
  EXPECT_EQ(call("GET", "/v3/apps?order_by=state&names=uno").body["resources"][0]["state"],
            "STARTED");
}

TEST_F(ApiTest, DeleteAppIsAnAsyncJob) {
  const std::string g = createApp("doomed");
  const std::string route = createRoute("doomed");
  ASSERT_EQ(call("POST", "/v3/routes/" + route + "/destinations",
                 json{{"destinations", {{{"app", {{"guid", g}}}}}}})
                .status,
            200);
  auto r = call("DELETE", "/v3/apps/" + g);
  ASSERT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.is_null());
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Location");
  const std::string location = r.headers[0].second;
  const std::string prefix = std::string(kBase) + "/v3/jobs/";
  ASSERT_EQ(location.rfind(prefix, 0), 0u) << location;
  const std::string job = location.substr(prefix.size());

  auto pending = call("GET", "/v3/jobs/" + job);
  ASSERT_EQ(pending.status, 200);
  EXPECT_EQ(pending.body["state"], "PROCESSING");
  EXPECT_EQ(pending.body["operation"], "app.delete");
  EXPECT_EQ(pending.body["links"]["self"]["href"], location);
  EXPECT_EQ(pending.body["links"]["app"]["href"], std::string(kBase) + "/v3/apps/" + g);
  EXPECT_EQ(pending.body["errors"], json::array());
  EXPECT_EQ(pending.body["warnings"], json::array());

  EXPECT_EQ(api_->runPendingJobs(), 1);
  EXPECT_EQ(api_->runPendingJobs(), 0);
  auto done = call("GET", "/v3/jobs/" + job);
  EXPECT_EQ(done.body["state"], "COMPLETE");
  EXPECT_FALSE(done.body["links"].contains("app"));
  EXPECT_EQ(call("GET", "/v3/apps/" + g).status, 404);
  EXPECT_TRUE(call("GET", "/v3/routes/" + route + "/destinations").body["destinations"].empty());
  // Deleting the same app again: 404; a job for an already-deleted app completes.
  EXPECT_EQ(call("DELETE", "/v3/apps/" + g).status, 404);
}

TEST_F(ApiTest, ProcessShapeAndScale) {
  const std::string app = createApp("web");
  auto list = call("GET", "/v3/apps/" + app + "/processes");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["resources"].size(), 1u);
  const json p = list.body["resources"][0];
  const std::string guid = p["guid"];
  EXPECT_EQ(p["type"], "web");
  EXPECT_TRUE(p["command"].is_null());
  EXPECT_EQ(p["user"], "vcap");
  EXPECT_EQ(p["instances"], 1);
  EXPECT_EQ(p["memory_in_mb"], 1024);
  EXPECT_EQ(p["disk_in_mb"], 1024);
  EXPECT_EQ(p["log_rate_limit_in_bytes_per_second"], -1);
  EXPECT_EQ(p["health_check"], json::parse(R"({"type":"port","data":{"timeout":null,
                                               "invocation_timeout":null,"interval":null}})"));
  EXPECT_EQ(p["readiness_health_check"], json::parse(R"({"type":"process","data":{}})"));
  EXPECT_EQ(p["relationships"]["app"]["data"]["guid"], app);
  EXPECT_TRUE(p["relationships"]["revision"]["data"].is_null());
  EXPECT_TRUE(std::regex_match(p["version"].get<std::string>(), kGuidV4));
  const std::string self = std::string(kBase) + "/v3/processes/" + guid;
  EXPECT_EQ(p["links"]["self"]["href"], self);
  EXPECT_EQ(p["links"]["scale"], json({{"href", self + "/actions/scale"}, {"method", "POST"}}));
  EXPECT_EQ(p["links"]["app"]["href"], std::string(kBase) + "/v3/apps/" + app);
  EXPECT_EQ(p["links"]["space"]["href"], std::string(kBase) + "/v3/spaces/" + space_);
  EXPECT_EQ(p["links"]["stats"]["href"], self + "/stats");
  EXPECT_EQ(call("GET", "/v3/processes/" + guid).body, p);
  EXPECT_EQ(call("GET", "/v3/apps/" + app + "/processes/web").body, p);
  EXPECT_EQ(call("GET", "/v3/apps/" + app + "/processes/worker").status, 404);

  auto s = call("POST", "/v3/processes/" + guid + "/actions/scale",
                json{{"instances", 3}, {"memory_in_mb", 256}, {"disk_in_mb", 512}});
  ASSERT_EQ(s.status, 202) << s.body;
  EXPECT_EQ(s.body["instances"], 3);
  EXPECT_EQ(s.body["memory_in_mb"], 256);
  EXPECT_EQ(s.body["disk_in_mb"], 512);
  auto s2 = call("POST", "/v3/apps/" + app + "/processes/web/actions/scale",
                 json{{"instances", 0}});
  ASSERT_EQ(s2.status, 202);
  EXPECT_EQ(s2.body["instances"], 0);
  EXPECT_EQ(s2.body["memory_in_mb"], 256);  // untouched

  const std::string scale = "/v3/processes/" + guid + "/actions/scale";
  expectError(call("POST", scale, json{{"instances", -1}}), 422, 10008, "CF-UnprocessableEntity",
              "Instances must be greater than or equal to 0");
  expectError(call("POST", scale, json{{"memory_in_mb", 0}}), 422, 10008,
              "CF-UnprocessableEntity", "Memory in mb must be greater than 0");
  expectError(call("POST", scale, json{{"memory_in_mb", "1G"}}), 422, 10008,
              "CF-UnprocessableEntity", "Memory in mb must be an integer");
  expectError(call("POST", scale, json{{"disk_in_mb", 4096}}), 422, 10008,
              "CF-UnprocessableEntity", "Disk in mb must be less than or equal to 2048");
  expectError(call("POST", scale, json{{"instances", 1.5}}), 422, 10008, "CF-UnprocessableEntity",
              "Instances must be an integer");
  expectError(call("POST", scale, json{{"cpu", 1}}), 422, 10008, "CF-UnprocessableEntity",
              "Unknown field(s): 'cpu'");
  expectError(call("POST", "/v3/processes/nope/actions/scale", json{{"instances", 1}}), 404,
              10010, "CF-ResourceNotFound", "Process not found");
  EXPECT_EQ(call("GET", "/v3/processes/" + guid).body["instances"], 0);
}

TEST_F(ApiTest, ProcessHealthCheckAndCommand) {
  const std::string app = createApp("web");
  const std::string guid =
      call("GET", "/v3/apps/" + app + "/processes").body["resources"][0]["guid"];
  const std::string version = call("GET", "/v3/processes/" + guid).body["version"];
  auto r = call("PATCH", "/v3/processes/" + guid,
                json::parse(R"({"command":"./run","health_check":{"type":"http",
                  "data":{"endpoint":"/health","timeout":90,"invocation_timeout":2,"interval":5}}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["command"], "./run");
  EXPECT_EQ(r.body["health_check"], json::parse(R"({"type":"http","data":{"timeout":90,
      "invocation_timeout":2,"interval":5,"endpoint":"/health"}})"));
  EXPECT_NE(r.body["version"], version);
  auto back = call("PATCH", "/v3/processes/" + guid,
                   json::parse(R"({"command":null,"health_check":{"type":"process"}})"));
  ASSERT_EQ(back.status, 200);
  EXPECT_TRUE(back.body["command"].is_null());
  EXPECT_EQ(back.body["health_check"]["type"], "process");
  EXPECT_FALSE(back.body["health_check"]["data"].contains("endpoint"));
  EXPECT_EQ(back.body["health_check"]["data"]["timeout"], 90);

  const std::string path = "/v3/processes/" + guid;
  expectError(call("PATCH", path, json::parse(R"({"health_check":{"type":"ping"}})")), 422, 10008,
              "CF-UnprocessableEntity", "Health check type must be");
  expectError(call("PATCH", path,
                   json::parse(R"({"health_check":{"type":"port","data":{"endpoint":"/x"}}})")),
              422, 10008, "CF-UnprocessableEntity", "must be \"http\" to set");
  expectError(call("PATCH", path, json::parse(R"({"health_check":{"data":{"timeout":0}}})")),
              422, 10008, "CF-UnprocessableEntity", "Health check timeout");
  expectError(call("PATCH", path, json::parse(R"({"command":""})")), 422, 10008,
              "CF-UnprocessableEntity", "Command");
  expectError(call("PATCH", "/v3/processes/nope", json::object()), 404, 10010,
              "CF-ResourceNotFound", "Process not found");
}

TEST_F(ApiTest, RouteShapeAndValidation) {
  auto r = call("POST", "/v3/routes", routeBody("Web", "/api"));
  ASSERT_EQ(r.status, 201) << r.body;
  const json& route = r.body;
  const std::string guid = route["guid"];
  EXPECT_EQ(route["protocol"], "http");
  EXPECT_EQ(route["host"], "web");
  EXPECT_EQ(route["path"], "/api");
  EXPECT_TRUE(route["port"].is_null());
  EXPECT_EQ(route["url"], "web.apps.internal/api");
  EXPECT_EQ(route["destinations"], json::array());
  EXPECT_EQ(route["options"], json::object());
  EXPECT_EQ(route["relationships"]["space"]["data"]["guid"], space_);
  EXPECT_EQ(route["relationships"]["domain"]["data"]["guid"], domain_);
  const std::string self = std::string(kBase) + "/v3/routes/" + guid;
  EXPECT_EQ(route["links"]["self"]["href"], self);
  EXPECT_EQ(route["links"]["destinations"]["href"], self + "/destinations");
  EXPECT_EQ(route["links"]["domain"]["href"], std::string(kBase) + "/v3/domains/" + domain_);
  EXPECT_EQ(call("GET", "/v3/routes/" + guid).body, route);

  expectError(call("POST", "/v3/routes", routeBody("web", "/api")), 422, 10008,
              "CF-UnprocessableEntity", "Route already exists");
  expectError(call("POST", "/v3/routes", routeBody("")), 422, 10008, "CF-UnprocessableEntity",
              "Missing host");
  expectError(call("POST", "/v3/routes", routeBody("bad.host")), 422, 10008,
              "CF-UnprocessableEntity", "Host must be");
  expectError(call("POST", "/v3/routes", routeBody(std::string(64, 'a'))), 422, 10008,
              "CF-UnprocessableEntity", "Host is too long");
  expectError(call("POST", "/v3/routes", routeBody("x", "nopath")), 422, 10008,
              "CF-UnprocessableEntity", "Path must begin");
  expectError(call("POST", "/v3/routes", routeBody("x", "/")), 422, 10008,
              "CF-UnprocessableEntity", "Path cannot be exactly");
  expectError(call("POST", "/v3/routes", routeBody("x", "/a?b")), 422, 10008,
              "CF-UnprocessableEntity", "Path cannot contain");
  json no_domain = routeBody("x");
  no_domain["relationships"].erase("domain");
  expectError(call("POST", "/v3/routes", no_domain), 422, 10008, "CF-UnprocessableEntity",
              "domain");
  json bad_domain = routeBody("x");
  bad_domain["relationships"]["domain"]["data"]["guid"] = "nope";
  expectError(call("POST", "/v3/routes", bad_domain), 422, 10008, "CF-UnprocessableEntity",
              "Invalid domain");
  json bad_rel = routeBody("x");
  bad_rel["relationships"]["space"] = "s";
  expectError(call("POST", "/v3/routes", bad_rel), 422, 10008, "CF-UnprocessableEntity",
              "Relationships space");
  EXPECT_EQ(call("POST", "/v3/routes", routeBody("*")).status, 201);
}

TEST_F(ApiTest, RouteListFiltersLikeMapRoute) {
  const std::string plain = createRoute("web");
  const std::string pathed = createRoute("web", "/v2");
  createRoute("other");
  // cf map-route: GET /v3/routes?domain_guids=..&hosts=..&paths= (empty path = no path)
  auto r = call("GET", "/v3/routes?domain_guids=" + domain_ + "&hosts=web&paths=");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body["resources"].size(), 1u);
  EXPECT_EQ(r.body["resources"][0]["guid"], plain);
  EXPECT_EQ(call("GET", "/v3/routes?hosts=web&paths=%2Fv2").body["resources"][0]["guid"], pathed);
  EXPECT_EQ(call("GET", "/v3/routes?hosts=WEB").body["pagination"]["total_results"], 2);
  EXPECT_EQ(call("GET", "/v3/routes").body["pagination"]["total_results"], 3);
  const std::string app = createApp("a");
  ASSERT_EQ(call("POST", "/v3/routes/" + pathed + "/destinations",
                 json{{"destinations", {{{"app", {{"guid", app}}}}}}})
                .status,
            200);
  auto by_app = call("GET", "/v3/routes?app_guids=" + app);
  ASSERT_EQ(by_app.body["resources"].size(), 1u);
  EXPECT_EQ(by_app.body["resources"][0]["guid"], pathed);
  EXPECT_EQ(by_app.body["resources"][0]["destinations"].size(), 1u);
  auto app_routes = call("GET", "/v3/apps/" + app + "/routes");
  ASSERT_EQ(app_routes.status, 200) << app_routes.body;
  ASSERT_EQ(app_routes.body["resources"].size(), 1u);
  EXPECT_EQ(app_routes.body["resources"][0]["guid"], pathed);
  EXPECT_EQ(app_routes.body["pagination"]["first"]["href"],
            std::string(kBase) + "/v3/apps/" + app + "/routes?page=1&per_page=50");
  EXPECT_EQ(call("GET", "/v3/apps/" + createApp("b") + "/routes").body["resources"].size(), 0u);
  EXPECT_EQ(call("GET", "/v3/apps/nope/routes").status, 404);
}

TEST_F(ApiTest, Destinations) {
  const std::string blue = createApp("blue");
  const std::string green = createApp("green");
  const std::string route = createRoute("demo");
  const std::string dests = "/v3/routes/" + route + "/destinations";

  auto add = call("POST", dests, json{{"destinations", {{{"app", {{"guid", blue}}}}}}});
  ASSERT_EQ(add.status, 200) << add.body;
  ASSERT_EQ(add.body["destinations"].size(), 1u);
  const json& d = add.body["destinations"][0];
  EXPECT_TRUE(std::regex_match(d["guid"].get<std::string>(), kGuidV4));
  EXPECT_EQ(d["app"], json({{"guid", blue}, {"process", {{"type", "web"}}}}));
  EXPECT_TRUE(d["weight"].is_null());
  EXPECT_EQ(d["port"], 8080);
  EXPECT_EQ(d["protocol"], "http1");
  EXPECT_EQ(add.body["links"]["self"]["href"], std::string(kBase) + dests);
  EXPECT_EQ(add.body["links"]["route"]["href"], std::string(kBase) + "/v3/routes/" + route);
  const std::string blue_dest = d["guid"];

  // Appending returns the full list; an identical destination is not added twice.
  auto add2 = call("POST", dests,
                   json::parse(R"({"destinations":[{"app":{"guid":")" + green +
                               R"(","process":{"type":"web"}},"protocol":"http2"},
                               {"app":{"guid":")" + blue + R"("}}]})"));
  ASSERT_EQ(add2.status, 200) << add2.body;
  ASSERT_EQ(add2.body["destinations"].size(), 2u);
  EXPECT_EQ(add2.body["destinations"][1]["protocol"], "http2");

  auto only_green = call("GET", dests + "?app_guids=" + green);
  ASSERT_EQ(only_green.body["destinations"].size(), 1u);
  EXPECT_EQ(only_green.body["destinations"][0]["app"]["guid"], green);
  EXPECT_EQ(call("GET", "/v3/routes/" + route).body["destinations"].size(), 2u);

  expectError(call("POST", dests, json{{"destinations", {{{"app", {{"guid", "ghost"}}}}}}}), 422,
              10008, "CF-UnprocessableEntity", "App(s) with guid(s) \"ghost\" do not exist");
  expectError(call("POST", dests,
                   json{{"destinations", {{{"app", {{"guid", blue}}}, {"protocol", "tcp"}}}}}),
              422, 10008, "CF-UnprocessableEntity", "Destinations[0]: protocol");
  expectError(call("POST", dests, json{{"destinations", {{{"app", "x"}}}}}), 422, 10008,
              "CF-UnprocessableEntity", "Destinations[0]: app");
  expectError(call("POST", dests, json{{"destinations", json::array()}}), 422, 10008,
              "CF-UnprocessableEntity", "at least 1");
  expectError(call("POST", dests, json::object()), 422, 10008, "CF-UnprocessableEntity",
              "Destinations must be an array");
  expectError(call("POST", "/v3/routes/nope/destinations",
                   json{{"destinations", {{{"app", {{"guid", blue}}}}}}}),
              404, 10010, "CF-ResourceNotFound", "Route not found");

  // Unmap blue (cf unmap-route): 204, then only green is left.
  auto del = call("DELETE", dests + "/" + blue_dest);
  EXPECT_EQ(del.status, 204);
  EXPECT_TRUE(del.body.is_null());
  auto left = call("GET", dests);
  ASSERT_EQ(left.body["destinations"].size(), 1u);
  EXPECT_EQ(left.body["destinations"][0]["app"]["guid"], green);
  expectError(call("DELETE", dests + "/" + blue_dest), 422, 10008, "CF-UnprocessableEntity",
              "Unable to unmap route from destination");

  // PATCH replaces the whole set.
  auto replaced = call("PATCH", dests, json{{"destinations", {{{"app", {{"guid", blue}}}}}}});
  ASSERT_EQ(replaced.status, 200);
  ASSERT_EQ(replaced.body["destinations"].size(), 1u);
  EXPECT_EQ(replaced.body["destinations"][0]["app"]["guid"], blue);
}

TEST_F(ApiTest, JobLeftProcessingIsResumedByTheNextRun) {
  const std::string g = createApp("interrupted");
  auto r = call("DELETE", "/v3/apps/" + g);
  ASSERT_EQ(r.status, 202);
  const std::string job = r.headers.at(0).second.substr(std::string(kBase).size());
  // The controller "stops" before running the job; a new one over the same file finishes it.
  api_.reset();
  store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
  api_ = std::make_unique<Api>(*store_, ApiConfig{});
  api_->bootstrap();
  tokens_ = std::make_unique<test_support::TestTokens>(*store_);
  api_->useTokenService(tokens_->service.get());
  EXPECT_EQ(api_->defaultSpaceGuid(), space_);
  EXPECT_EQ(call("GET", job).body["state"], "PROCESSING");
  EXPECT_EQ(api_->runPendingJobs(), 1);
  EXPECT_EQ(call("GET", job).body["state"], "COMPLETE");
  EXPECT_EQ(call("GET", "/v3/apps/" + g).status, 404);
}

TEST_F(ApiTest, DeleteRouteIsAnAsyncJob) {
  const std::string route = createRoute("gone");
  auto r = call("DELETE", "/v3/routes/" + route);
  ASSERT_EQ(r.status, 202);
  const std::string job = r.headers.at(0).second.substr(std::string(kBase).size());
  EXPECT_EQ(call("GET", job).body["operation"], "route.delete");
  api_->runPendingJobs();
  EXPECT_EQ(call("GET", job).body["state"], "COMPLETE");
  EXPECT_EQ(call("GET", "/v3/routes/" + route).status, 404);
  EXPECT_EQ(call("DELETE", "/v3/routes/" + route).status, 404);
}

}  // namespace
}  // namespace foundry::control
