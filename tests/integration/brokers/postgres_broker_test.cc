// postgres-broker against a real PostgreSQL: provisioning, binding with working credentials,
// isolation between instances, the OSB status codes of A.4, async operations and restarts.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "tests/integration/brokers/osb_client.h"
#include "tests/test_common/postgres_server.h"

namespace foundry::test {
namespace {

constexpr const char* kService = "9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e00";
constexpr const char* kSmall = "9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e01";
constexpr const char* kLarge = "9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e02";
constexpr const char* kAsync = "9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e03";

using PgPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

PgPtr connect(const std::string& host, int port, const std::string& user,
              const std::string& password, const std::string& db) {
  std::string p = std::to_string(port);
  const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", nullptr};
  const char* values[] = {host.c_str(),     p.c_str(), user.c_str(), password.c_str(),
                          db.c_str(),       "5",       nullptr};
  return PgPtr(PQconnectdbParams(keys, values, 0), &PQfinish);
}

bool ok(PGconn* c) { return c && PQstatus(c) == CONNECTION_OK; }

// Runs `sql`; the first column of the first row, or "ERROR: ..." on failure.
std::string query(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string out;
  ExecStatusType s = PQresultStatus(r);
  if (s == PGRES_TUPLES_OK) {
    out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  } else if (s == PGRES_COMMAND_OK) {
    out = "OK";
  } else {
    out = std::string("ERROR: ") + PQerrorMessage(c);
  }
  PQclear(r);
  return out;
}

nlohmann::json provisionBody(const char* plan, nlohmann::json parameters = nlohmann::json::object()) {
  return {{"service_id", kService},   {"plan_id", plan},
          {"organization_guid", "org-1"}, {"space_guid", "space-1"},
          {"parameters", parameters}};
}

nlohmann::json bindBody(const char* plan, const std::string& app = "app-1") {
  return {{"service_id", kService}, {"plan_id", plan}, {"app_guid", app},
          {"bind_resource", {{"app_guid", app}}}};
}

// The broker's naming rule for GUID instance ids: "si_" + the 32 hex digits.
std::string dbName(std::string guid) {
  std::erase(guid, '-');
  return "si_" + guid;
}

std::string instancePath(const std::string& id) { return "/v2/service_instances/" + id; }
std::string bindingPath(const std::string& iid, const std::string& bid) {
  return instancePath(iid) + "/service_bindings/" + bid;
}
std::string deleteQuery(const char* plan) {
  return std::string("?service_id=") + kService + "&plan_id=" + plan;
}

class PostgresBrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new PostgresServer();
    ASSERT_TRUE(pg_->start()) << pg_->lastError();
    broker_ = new BrokerProcess(
        "postgres-broker", POSTGRES_BROKER_BINARY,
        {"--pg-host", pg_->host(), "--pg-port", std::to_string(pg_->port()), "--pg-admin-user",
         pg_->superuser(), "--pg-admin-password-file", pg_->passwordFile(), "--async-delay-ms",
         "2000"});
    ASSERT_TRUE(broker_->start()) << broker_->logs();
  }
  static void TearDownTestSuite() {
    delete broker_;
    delete pg_;
    broker_ = nullptr;
    pg_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    ASSERT_NE(broker_, nullptr);
  }

  OsbClient osb() const { return broker_->client(); }
  PgPtr superuser(const std::string& db = "postgres") {
    return connect(pg_->host(), pg_->port(), pg_->superuser(), pg_->password(), db);
  }
  bool databaseExists(const std::string& name) {
    PgPtr c = superuser();
    return query(c.get(), "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") ==
           "1";
  }
  bool roleExists(const std::string& name) {
    PgPtr c = superuser();
    return query(c.get(), "SELECT count(*) FROM pg_roles WHERE rolname = '" + name + "'") == "1";
  }
  PgPtr connectWith(const nlohmann::json& creds, const std::string& db = "") {
    return connect(creds["hostname"], creds["port"].get<int>(), creds["username"],
                   creds["password"], db.empty() ? creds["name"].get<std::string>() : db);
  }

  static PostgresServer* pg_;
  static BrokerProcess* broker_;
};

PostgresServer* PostgresBrokerTest::pg_ = nullptr;
BrokerProcess* PostgresBrokerTest::broker_ = nullptr;

TEST_F(PostgresBrokerTest, CatalogOffersPostgresqlWithThreePlans) {
  OsbReply r = osb().call("GET", "/v2/catalog");
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["services"].size(), 1u);
  const auto& s = r.body["services"][0];
  EXPECT_EQ(s["id"], kService);
  EXPECT_EQ(s["name"], "postgresql");
  EXPECT_EQ(s["bindable"], true);
  EXPECT_EQ(s["plan_updateable"], true);
  EXPECT_EQ(s["instances_retrievable"], true);
  EXPECT_EQ(s["bindings_retrievable"], true);
  EXPECT_EQ(s["tags"], nlohmann::json({"postgresql", "relational"}));
  EXPECT_EQ(s["metadata"]["displayName"], "PostgreSQL");
  ASSERT_EQ(s["plans"].size(), 3u);
  EXPECT_EQ(s["plans"][0]["name"], "small");
  EXPECT_EQ(s["plans"][1]["name"], "large");
  EXPECT_EQ(s["plans"][2]["name"], "async");
  EXPECT_EQ(s["plans"][2]["maximum_polling_duration"], 600);
}

TEST_F(PostgresBrokerTest, ProvisionBindUseUnbindDeprovision) {
  const std::string iid = "5b1c0d9e-1111-4aaa-8bbb-000000000001";
  const std::string db = dbName(iid);
  OsbReply r = osb().call("PUT", instancePath(iid), provisionBody(kSmall, {{"size", 1}}));
  ASSERT_EQ(r.status, 201) << r.raw << broker_->logs();
  ASSERT_TRUE(databaseExists(db));
  {
    PgPtr c = superuser();
    EXPECT_EQ(query(c.get(), "SELECT datconnlimit FROM pg_database WHERE datname = '" + db + "'"),
              "10");
  }
  // Identical again: 200; different attributes: 409.
  EXPECT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall, {{"size", 1}})).status, 200);
  EXPECT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kLarge, {{"size", 1}})).status, 409);
  EXPECT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall, {{"size", 2}})).status, 409);
  r = osb().call("GET", instancePath(iid));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["plan_id"], kSmall);
  EXPECT_EQ(r.body["parameters"]["size"], 1);

  const std::string bid = "7c2d1e0f-2222-4bbb-8ccc-000000000001";
  r = osb().call("PUT", bindingPath(iid, bid), bindBody(kSmall));
  ASSERT_EQ(r.status, 201) << r.raw << broker_->logs();
  nlohmann::json creds = r.body["credentials"];
  ASSERT_TRUE(creds["port"].is_number_integer()) << creds;
  EXPECT_EQ(creds["port"], pg_->port());
  EXPECT_EQ(creds["hostname"], "127.0.0.1");
  EXPECT_EQ(creds["name"], db);
  EXPECT_EQ(creds["uri"], "postgres://" + creds["username"].get<std::string>() + ":" +
                              creds["password"].get<std::string>() + "@127.0.0.1:" +
                              std::to_string(pg_->port()) + "/" + db);

  // The credentials work: a table can be created and used in the instance's database.
  PgPtr app = connectWith(creds);
  ASSERT_TRUE(ok(app.get())) << PQerrorMessage(app.get());
  EXPECT_EQ(query(app.get(), "CREATE TABLE orders (id int PRIMARY KEY, item text)"), "OK");
  EXPECT_EQ(query(app.get(), "INSERT INTO orders VALUES (1, 'tea')"), "OK");
  EXPECT_EQ(query(app.get(), "SELECT item FROM orders WHERE id = 1"), "tea");
  // ...and nothing else: not another database's admin powers.
  EXPECT_NE(query(app.get(), "CREATE ROLE intruder").rfind("ERROR", 0), std::string::npos);

  // Repeat bind: 200 with the same credentials; fetch gives them too; other attributes: 409.
  r = osb().call("PUT", bindingPath(iid, bid), bindBody(kSmall));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["credentials"], creds);
  r = osb().call("GET", bindingPath(iid, bid));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["credentials"], creds);
  EXPECT_EQ(osb().call("PUT", bindingPath(iid, bid), bindBody(kSmall, "other-app")).status, 409);
  EXPECT_EQ(osb().call("GET", bindingPath(iid, bid) + "/last_operation").body["state"],
            "succeeded");

  // Unbind: the role is gone and its open session ended.
  r = osb().call("DELETE", bindingPath(iid, bid) + deleteQuery(kSmall));
  ASSERT_EQ(r.status, 200) << r.raw << broker_->logs();
  EXPECT_EQ(r.body, nlohmann::json::object());
  EXPECT_FALSE(roleExists(creds["username"]));
  EXPECT_EQ(query(app.get(), "SELECT 1").rfind("ERROR", 0), 0u) << "session still alive";
  EXPECT_FALSE(ok(connectWith(creds).get()));
  EXPECT_EQ(osb().call("DELETE", bindingPath(iid, bid) + deleteQuery(kSmall)).status, 410);
  EXPECT_EQ(osb().call("GET", bindingPath(iid, bid)).status, 404);
  // The data belongs to the instance and outlives the binding.
  {
    PgPtr c = superuser(db);
    EXPECT_EQ(query(c.get(), "SELECT item FROM orders"), "tea");
  }

  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kSmall));
  ASSERT_EQ(r.status, 200) << r.raw << broker_->logs();
  EXPECT_FALSE(databaseExists(db));
  EXPECT_EQ(osb().call("DELETE", instancePath(iid) + deleteQuery(kSmall)).status, 410);
  EXPECT_EQ(osb().call("GET", instancePath(iid)).status, 404);
}

// Two apps bound to one instance share its data: the tables belong to the instance (its
// owner role), so unbinding the app that made them leaves them to the other.
TEST_F(PostgresBrokerTest, BindingsOfOneInstanceShareItsTables) {
  const std::string iid = "5b1c0d9e-1111-4aaa-8bbb-0000000000aa";
  const std::string db = dbName(iid);
  ASSERT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall)).status, 201);
  OsbReply a = osb().call("PUT", bindingPath(iid, "share-a"), bindBody(kSmall, "app-a"));
  OsbReply b = osb().call("PUT", bindingPath(iid, "share-b"), bindBody(kSmall, "app-b"));
  ASSERT_EQ(a.status, 201) << a.raw << broker_->logs();
  ASSERT_EQ(b.status, 201) << b.raw;
  {
    PgPtr app_a = connectWith(a.body["credentials"]);
    ASSERT_TRUE(ok(app_a.get())) << PQerrorMessage(app_a.get());
    EXPECT_EQ(query(app_a.get(), "CREATE TABLE notes (body text)"), "OK");
    EXPECT_EQ(query(app_a.get(), "INSERT INTO notes VALUES ('from a')"), "OK");
  }
  PgPtr app_b = connectWith(b.body["credentials"]);
  ASSERT_TRUE(ok(app_b.get()));
  EXPECT_EQ(query(app_b.get(), "SELECT body FROM notes"), "from a");
  EXPECT_EQ(query(app_b.get(), "INSERT INTO notes VALUES ('from b')"), "OK");
  {
    PgPtr c = superuser(db);
    EXPECT_EQ(query(c.get(), "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'"),
              db + "_owner");
  }
  ASSERT_EQ(osb().call("DELETE", bindingPath(iid, "share-a") + deleteQuery(kSmall)).status, 200);
  EXPECT_EQ(query(app_b.get(), "SELECT count(*) FROM notes"), "2") << "b keeps the data";
  app_b.reset();
  ASSERT_EQ(osb().call("DELETE", bindingPath(iid, "share-b") + deleteQuery(kSmall)).status, 200);
  ASSERT_EQ(osb().call("DELETE", instancePath(iid) + deleteQuery(kSmall)).status, 200);
  EXPECT_FALSE(databaseExists(db));
  EXPECT_FALSE(roleExists(db + "_owner"));
}

TEST_F(PostgresBrokerTest, BindingRoleCannotReachAnotherInstancesDatabase) {
  const std::string a = "a0000000-0000-4000-8000-00000000000a";
  const std::string b = "b0000000-0000-4000-8000-00000000000b";
  ASSERT_EQ(osb().call("PUT", instancePath(a), provisionBody(kSmall)).status, 201);
  ASSERT_EQ(osb().call("PUT", instancePath(b), provisionBody(kLarge)).status, 201);
  OsbReply r = osb().call("PUT", bindingPath(a, "bind-a"), bindBody(kSmall));
  ASSERT_EQ(r.status, 201) << r.raw;
  nlohmann::json creds = r.body["credentials"];
  EXPECT_TRUE(ok(connectWith(creds).get()));
  PgPtr other = connectWith(creds, dbName(b));
  EXPECT_FALSE(ok(other.get()));
  EXPECT_NE(std::string(PQerrorMessage(other.get())).find("permission denied"), std::string::npos)
      << PQerrorMessage(other.get());
  // Nor the broker's own state (it holds the secret binding passwords derive from).
  EXPECT_FALSE(ok(connectWith(creds, "foundry_broker").get()));
  // Clean up so other tests see an empty server.
  EXPECT_EQ(osb().call("DELETE", bindingPath(a, "bind-a") + deleteQuery(kSmall)).status, 200);
  EXPECT_EQ(osb().call("DELETE", instancePath(a) + deleteQuery(kSmall)).status, 200);
  EXPECT_EQ(osb().call("DELETE", instancePath(b) + deleteQuery(kLarge)).status, 200);
}

TEST_F(PostgresBrokerTest, UpdateChangesTheConnectionLimit) {
  const std::string iid = "c0000000-0000-4000-8000-00000000000c";
  const std::string db = dbName(iid);
  ASSERT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall)).status, 201);
  OsbReply r = osb().call("PATCH", instancePath(iid),
                          nlohmann::json{{"service_id", kService}, {"plan_id", kLarge}});
  ASSERT_EQ(r.status, 200) << r.raw;
  PgPtr c = superuser();
  EXPECT_EQ(query(c.get(), "SELECT datconnlimit FROM pg_database WHERE datname = '" + db + "'"),
            "100");
  EXPECT_EQ(osb().call("GET", instancePath(iid)).body["plan_id"], kLarge);
  // To the async plan needs accepts_incomplete; a plan that does not exist is a 400.
  r = osb().call("PATCH", instancePath(iid),
                 nlohmann::json{{"service_id", kService}, {"plan_id", kAsync}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "AsyncRequired");
  EXPECT_EQ(osb().call("PATCH", instancePath(iid),
                       nlohmann::json{{"service_id", kService}, {"plan_id", "nope"}})
                .status,
            400);
  EXPECT_EQ(osb().call("DELETE", instancePath(iid) + deleteQuery(kLarge)).status, 200);
}

TEST_F(PostgresBrokerTest, AsyncPlanNeedsAcceptsIncomplete) {
  OsbReply r = osb().call("PUT", instancePath("d0000000-0000-4000-8000-00000000000d"),
                          provisionBody(kAsync));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "AsyncRequired");
  EXPECT_FALSE(databaseExists(dbName("d0000000-0000-4000-8000-00000000000d")));
}

TEST_F(PostgresBrokerTest, AsyncProvisionAndDeprovisionWithConcurrencyErrors) {
  const std::string iid = "e0000000-0000-4000-8000-00000000000e";
  const std::string db = dbName(iid);
  const std::string put = instancePath(iid) + "?accepts_incomplete=true";
  OsbReply r = osb().call("PUT", put, provisionBody(kAsync));
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string op = r.body["operation"];
  ASSERT_FALSE(op.empty());
  // Repeated PUT while in progress: 202 with the same operation.
  r = osb().call("PUT", put, provisionBody(kAsync));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body["operation"], op);
  r = osb().call("GET", instancePath(iid) + "/last_operation?operation=" + op);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["state"], "in progress");
  EXPECT_EQ(r.http.header("retry-after"), "1");
  // While it runs: no bind, no delete, no fetch.
  r = osb().call("PUT", bindingPath(iid, "early"), bindBody(kAsync));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "ConcurrencyError");
  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kAsync) + "&accepts_incomplete=true");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "ConcurrencyError");
  EXPECT_EQ(osb().call("GET", instancePath(iid)).status, 404);

  r = osb().pollLastOperation(instancePath(iid) + "/last_operation?operation=" + op);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw << broker_->logs();
  EXPECT_TRUE(databaseExists(db));
  EXPECT_EQ(osb().call("GET", instancePath(iid)).status, 200);

  // Deprovision: 422 without accepts_incomplete, then 202 and polling to 410.
  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kAsync));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "AsyncRequired");
  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kAsync) + "&accepts_incomplete=true");
  ASSERT_EQ(r.status, 202) << r.raw;
  EXPECT_EQ(osb().call("GET", instancePath(iid) + "/last_operation").body["state"], "in progress");
  r = osb().pollLastOperation(instancePath(iid) + "/last_operation");
  EXPECT_EQ(r.status, 410) << r.raw;
  EXPECT_FALSE(databaseExists(db));
}

TEST_F(PostgresBrokerTest, PlanChangeToTheAsyncPlanRunsInTheBackground) {
  const std::string iid = "40000000-0000-4000-8000-000000000040";
  const std::string db = dbName(iid);
  ASSERT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kLarge)).status, 201);
  OsbReply r = osb().call("PATCH", instancePath(iid) + "?accepts_incomplete=true",
                          nlohmann::json{{"service_id", kService}, {"plan_id", kAsync}});
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string op = r.body["operation"];
  // While it runs the instance answers 422 to fetches and to another update.
  r = osb().call("GET", instancePath(iid));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"], "ConcurrencyError");
  EXPECT_EQ(osb().call("PATCH", instancePath(iid) + "?accepts_incomplete=true",
                       nlohmann::json{{"service_id", kService}, {"plan_id", kSmall}})
                .status,
            422);
  r = osb().pollLastOperation(instancePath(iid) + "/last_operation?operation=" + op);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  EXPECT_EQ(osb().call("GET", instancePath(iid)).body["plan_id"], kAsync);
  PgPtr c = superuser();
  EXPECT_EQ(query(c.get(), "SELECT datconnlimit FROM pg_database WHERE datname = '" + db + "'"),
            "10");
  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kAsync) + "&accepts_incomplete=true");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(osb().pollLastOperation(instancePath(iid) + "/last_operation").status, 410);
  EXPECT_FALSE(databaseExists(db));
}

TEST_F(PostgresBrokerTest, StateSurvivesABrokerRestart) {
  const std::string iid = "f0000000-0000-4000-8000-00000000000f";
  ASSERT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall)).status, 201);
  OsbReply r = osb().call("PUT", bindingPath(iid, "before"), bindBody(kSmall));
  ASSERT_EQ(r.status, 201);
  nlohmann::json creds = r.body["credentials"];

  broker_->stop();
  ASSERT_TRUE(broker_->start()) << broker_->logs();

  // The same binding gives the same password (derived, not stored) and it still works.
  r = osb().call("PUT", bindingPath(iid, "before"), bindBody(kSmall));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["credentials"], creds);
  EXPECT_TRUE(ok(connectWith(creds).get()));
  r = osb().call("PUT", bindingPath(iid, "after"), bindBody(kSmall, "app-2"));
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_TRUE(ok(connectWith(r.body["credentials"]).get()));
  EXPECT_EQ(osb().call("PUT", instancePath(iid), provisionBody(kSmall)).status, 200);
  EXPECT_EQ(osb().call("DELETE", bindingPath(iid, "before") + deleteQuery(kSmall)).status, 200);
  EXPECT_EQ(osb().call("DELETE", bindingPath(iid, "after") + deleteQuery(kSmall)).status, 200);
  EXPECT_EQ(osb().call("DELETE", instancePath(iid) + deleteQuery(kSmall)).status, 200);
  EXPECT_FALSE(databaseExists(dbName(iid)));
}

TEST_F(PostgresBrokerTest, AsyncOperationInterruptedByRestartIsFinished) {
  const std::string iid = "10000000-0000-4000-8000-000000000010";
  OsbReply r = osb().call("PUT", instancePath(iid) + "?accepts_incomplete=true",
                          provisionBody(kAsync));
  ASSERT_EQ(r.status, 202) << r.raw;
  broker_->stop();  // well within the 2 s the operation takes
  EXPECT_FALSE(databaseExists(dbName(iid)));
  ASSERT_TRUE(broker_->start()) << broker_->logs();
  r = osb().pollLastOperation(instancePath(iid) + "/last_operation");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << broker_->logs();
  EXPECT_TRUE(databaseExists(dbName(iid)));
  r = osb().call("DELETE", instancePath(iid) + deleteQuery(kAsync) + "&accepts_incomplete=true");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(osb().pollLastOperation(instancePath(iid) + "/last_operation").status, 410);
}

TEST_F(PostgresBrokerTest, RejectsBadAuthVersionAndBodies) {
  EXPECT_EQ(osb().callAs("", "", "GET", "/v2/catalog").status, 401);
  OsbReply r = osb().callAs(broker_->user(), "wrong", "GET", "/v2/catalog");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"], "Unauthorized");
  EXPECT_EQ(osb().callAs("someone", broker_->password(), "GET", "/v2/catalog").status, 401);

  r = osb().call("GET", "/v2/catalog", "", {}, /*version=*/"");
  EXPECT_EQ(r.status, 412);
  EXPECT_TRUE(r.body.contains("description")) << r.raw;
  EXPECT_EQ(osb().call("GET", "/v2/catalog", "", {}, "3.0").status, 412);
  EXPECT_EQ(osb().call("GET", "/v2/catalog", "", {}, "two").status, 412);
  EXPECT_EQ(osb().call("GET", "/v2/catalog", "", {}, "2.13").status, 200);

  const std::string path = instancePath("20000000-0000-4000-8000-000000000020");
  r = osb().call("PUT", path, std::string("{not json"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "BadRequest");
  nlohmann::json body = provisionBody(kSmall);
  body.erase("organization_guid");
  EXPECT_EQ(osb().call("PUT", path, body).status, 400);
  EXPECT_EQ(osb().call("PUT", path, nlohmann::json{{"service_id", kService}}).status, 400);
  EXPECT_EQ(osb().call("PUT", path, std::string("[1,2]")).status, 400);
  body = provisionBody(kSmall);
  body["parameters"] = "not an object";
  EXPECT_EQ(osb().call("PUT", path, body).status, 400);
  body = provisionBody("unknown-plan");
  EXPECT_EQ(osb().call("PUT", path, body).status, 400);
  EXPECT_EQ(osb().call("DELETE", path + "?service_id=x").status, 400);
  // Ids with control bytes or non-ASCII: 400, never a database error.
  EXPECT_EQ(osb().call("PUT", instancePath("nul%00id"), provisionBody(kSmall)).status, 400);
  EXPECT_EQ(osb().call("PUT", instancePath("bad%FFutf8"), provisionBody(kSmall)).status, 400);
  EXPECT_EQ(osb().call("GET", "/v2/nothing").status, 404);
  EXPECT_EQ(osb().call("POST", path).status, 405);

  // Request identity is echoed, even on errors.
  r = osb().call("GET", "/v2/catalog", "", {{"X-Broker-API-Request-Identity", "req-42"}});
  EXPECT_EQ(r.http.header("x-broker-api-request-identity"), "req-42");
}

TEST_F(PostgresBrokerTest, UnknownIdsGive404And410) {
  const std::string iid = "30000000-0000-4000-8000-000000000030";
  EXPECT_EQ(osb().call("DELETE", instancePath(iid) + deleteQuery(kSmall)).status, 410);
  EXPECT_EQ(osb().call("GET", instancePath(iid)).status, 404);
  EXPECT_EQ(osb().call("GET", instancePath(iid) + "/last_operation").status, 404);
  EXPECT_EQ(osb().call("DELETE", bindingPath(iid, "b") + deleteQuery(kSmall)).status, 410);
  EXPECT_EQ(osb().call("GET", bindingPath(iid, "b")).status, 404);
  // An id that is no GUID still maps to a safe database name.
  const std::string odd = "odd%20id%27%3B%20DROP%20DATABASE%20postgres";
  OsbReply r = osb().call("PUT", instancePath(odd), provisionBody(kSmall));
  ASSERT_EQ(r.status, 201) << r.raw << broker_->logs();
  EXPECT_TRUE(databaseExists("postgres"));
  EXPECT_EQ(osb().call("DELETE", instancePath(odd) + deleteQuery(kSmall)).status, 200);
}

}  // namespace
}  // namespace foundry::test
