// SqliteStore against a real SQLite file in a temp folder: migrations, persistence across
// reopen, constraint mapping, transactional multi-table writes and cascades.
#include "control/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace foundry::control {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/controller.db";
    store_ = std::make_unique<SqliteStore>(path_);
    ASSERT_EQ(store_->createOrganization({"o1", "org", false, "t0", "t0", std::nullopt}), WriteResult::Ok);
    ASSERT_EQ(store_->createSpace({"s1", "space", "o1", "t0", "t0", std::nullopt}), WriteResult::Ok);
    ASSERT_EQ(store_->createDomain({"d1", "apps.internal", false, std::nullopt, "t0", "t0"}),
              WriteResult::Ok);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    store_ = std::make_unique<SqliteStore>(path_);
  }
  static App app(const std::string& guid, const std::string& name) {
    App a;
    a.guid = guid;
    a.name = name;
    a.space_guid = "s1";
    a.created_at = a.updated_at = "t1";
    return a;
  }
  static Process web(const std::string& guid, const std::string& app_guid) {
    Process p;
    p.guid = guid;
    p.app_guid = app_guid;
    p.version = "v1";
    p.created_at = p.updated_at = "t1";
    return p;
  }
  static Route route(const std::string& guid, const std::string& host) {
    return {guid, host, "", "d1", "s1", "t1", "t1"};
  }
  static Destination dest(const std::string& guid, const std::string& route_guid,
                          const std::string& app_guid) {
    Destination d;
    d.guid = guid;
    d.route_guid = route_guid;
    d.app_guid = app_guid;
    d.created_at = d.updated_at = "t1";
    return d;
  }

  std::string dir_, path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, MigratesOnceAndUsesWal) {
  EXPECT_EQ(store_->schemaVersion(), 9);
  reopen();
  EXPECT_EQ(store_->schemaVersion(), 9);
  EXPECT_TRUE(fs::exists(path_ + "-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RefusesANewerSchema) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (99)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(SqliteStore{path_}, StoreError);
}

TEST_F(SqliteStoreTest, AppRoundTripSurvivesReopen) {
  App a = app("a1", "web");
  a.buildpacks = {"go_buildpack", "https://example.com/bp.git"};
  a.environment_variables = R"({"K":"V"})";
  Process p = web("p1", "a1");
  p.command = "./serve";
  p.health_check_type = "http";
  p.health_check_endpoint = "/health";
  p.health_check_timeout = 30;
  ASSERT_EQ(store_->createApp(a, {p}), WriteResult::Ok);
  reopen();
  auto got = store_->getApp("a1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "web");
  EXPECT_EQ(got->state, "STOPPED");
  EXPECT_EQ(got->buildpacks, a.buildpacks);
  EXPECT_EQ(got->environment_variables, a.environment_variables);
  EXPECT_FALSE(got->droplet_guid);
  auto procs = store_->listProcesses("a1");
  ASSERT_EQ(procs.size(), 1u);
  EXPECT_EQ(procs[0].command, "./serve");
  EXPECT_EQ(procs[0].health_check_endpoint, "/health");
  EXPECT_EQ(procs[0].health_check_timeout, 30);
  EXPECT_FALSE(procs[0].health_check_interval);
  EXPECT_EQ(procs[0].instances, 1);
  EXPECT_EQ(procs[0].memory_in_mb, 1024);
}

TEST_F(SqliteStoreTest, ConstraintsMapToWriteResults) {
  ASSERT_EQ(store_->createApp(app("a1", "web"), {}), WriteResult::Ok);
  EXPECT_EQ(store_->createApp(app("a2", "web"), {}), WriteResult::Duplicate);
  App orphan = app("a3", "x");
  orphan.space_guid = "no-such-space";
  EXPECT_EQ(store_->createApp(orphan, {}), WriteResult::MissingParent);
  App missing = app("nope", "y");
  EXPECT_EQ(store_->updateApp(missing), WriteResult::NotFound);
  EXPECT_EQ(store_->deleteApp("nope"), WriteResult::NotFound);
  ASSERT_EQ(store_->createApp(app("a4", "other"), {}), WriteResult::Ok);
  App renamed = *store_->getApp("a4");
  renamed.name = "web";
  EXPECT_EQ(store_->updateApp(renamed), WriteResult::Duplicate);
  EXPECT_EQ(store_->getApp("a4")->name, "other");
}

TEST_F(SqliteStoreTest, CreateAppIsAllOrNothing) {
  // Two "web" processes violate UNIQUE(app_guid, type): the app must not be stored either.
  EXPECT_EQ(store_->createApp(app("a1", "web"), {web("p1", "a1"), web("p2", "a1")}),
            WriteResult::Duplicate);
  EXPECT_FALSE(store_->getApp("a1"));
  EXPECT_FALSE(store_->getProcess("p1"));
  EXPECT_EQ(store_->createApp(app("a1", "web"), {web("p1", "a1")}), WriteResult::Ok);
}

TEST_F(SqliteStoreTest, ListAppsFilters) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(store_->createApp(app("a" + std::to_string(i), "n" + std::to_string(i)), {}),
              WriteResult::Ok);
  }
  EXPECT_EQ(store_->listApps({}).size(), 4u);
  auto some = store_->listApps({{}, {"n1", "n3", "zz"}, {}});
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].guid, "a1");  // creation order
  EXPECT_EQ(some[1].guid, "a3");
  EXPECT_EQ(store_->listApps({{"a2"}, {"n2"}, {"s1"}}).size(), 1u);
  EXPECT_TRUE(store_->listApps({{}, {}, {"other"}}).empty());
}

TEST_F(SqliteStoreTest, DeleteAppCascadesToProcessesAndDestinations) {
  ASSERT_EQ(store_->createApp(app("a1", "web"), {web("p1", "a1")}), WriteResult::Ok);
  ASSERT_EQ(store_->createApp(app("a2", "api"), {web("p2", "a2")}), WriteResult::Ok);
  ASSERT_EQ(store_->createRoute(route("r1", "web")), WriteResult::Ok);
  ASSERT_EQ(store_->addDestinations({dest("x1", "r1", "a1"), dest("x2", "r1", "a2")}),
            WriteResult::Ok);
  EXPECT_EQ(store_->deleteApp("a1"), WriteResult::Ok);
  EXPECT_FALSE(store_->getProcess("p1"));
  auto left = store_->listDestinations("r1");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].guid, "x2");
  EXPECT_TRUE(store_->getProcess("p2"));
}

TEST_F(SqliteStoreTest, RoutesAndDestinations) {
  ASSERT_EQ(store_->createApp(app("a1", "web"), {}), WriteResult::Ok);
  ASSERT_EQ(store_->createRoute(route("r1", "web")), WriteResult::Ok);
  EXPECT_EQ(store_->createRoute(route("r2", "web")), WriteResult::Duplicate);
  Route with_path = route("r3", "web");
  with_path.path = "/api";
  EXPECT_EQ(store_->createRoute(with_path), WriteResult::Ok);
  Route bad_domain = route("r4", "x");
  bad_domain.domain_guid = "nope";
  EXPECT_EQ(store_->createRoute(bad_domain), WriteResult::MissingParent);

  RouteFilter by_path;
  by_path.paths = {""};
  by_path.hosts = {"web"};
  ASSERT_EQ(store_->listRoutes(by_path).size(), 1u);
  EXPECT_EQ(store_->listRoutes(by_path)[0].guid, "r1");

  // A destination for a missing app rolls the whole batch back.
  EXPECT_EQ(store_->addDestinations({dest("x1", "r1", "a1"), dest("x2", "r1", "ghost")}),
            WriteResult::MissingParent);
  EXPECT_TRUE(store_->listDestinations("r1").empty());
  ASSERT_EQ(store_->addDestinations({dest("x1", "r1", "a1")}), WriteResult::Ok);
  RouteFilter by_app;
  by_app.app_guids = {"a1"};
  ASSERT_EQ(store_->listRoutes(by_app).size(), 1u);
  by_app.app_guids = {"nobody"};
  EXPECT_TRUE(store_->listRoutes(by_app).empty());

  EXPECT_EQ(store_->replaceDestinations("r1", {dest("x3", "r1", "a1"), dest("x4", "r1", "a1")}),
            WriteResult::Ok);
  auto now = store_->listDestinations("r1");
  ASSERT_EQ(now.size(), 2u);
  EXPECT_EQ(now[0].guid, "x3");
  EXPECT_EQ(store_->replaceDestinations("nope", {}), WriteResult::NotFound);
  EXPECT_EQ(store_->deleteDestination("r1", "x1"), WriteResult::NotFound);
  EXPECT_EQ(store_->deleteDestination("r3", "x3"), WriteResult::NotFound);  // other route
  EXPECT_EQ(store_->deleteDestination("r1", "x3"), WriteResult::Ok);
  EXPECT_EQ(store_->deleteRoute("r1"), WriteResult::Ok);
  EXPECT_TRUE(store_->listDestinations("r1").empty());
}

TEST_F(SqliteStoreTest, RouteOptionsAndDestinationWeightsRoundTrip) {
  ASSERT_EQ(store_->createApp(app("a1", "web"), {}), WriteResult::Ok);
  Route r = route("r1", "web");
  EXPECT_EQ(r.options, "{}");
  r.options = R"({"path_regex":"/v[0-9]+/.*"})";
  ASSERT_EQ(store_->createRoute(r), WriteResult::Ok);
  EXPECT_EQ(store_->getRoute("r1")->options, r.options);
  r.options = R"({"loadbalancing":"least-connection"})";
  r.updated_at = "later";
  ASSERT_EQ(store_->updateRoute(r), WriteResult::Ok);
  EXPECT_EQ(store_->getRoute("r1")->options, r.options);
  EXPECT_EQ(store_->getRoute("r1")->updated_at, "later");
  Route gone = route("r9", "gone");
  EXPECT_EQ(store_->updateRoute(gone), WriteResult::NotFound);

  Destination weighted = dest("x1", "r1", "a1");
  weighted.weight = 30;
  ASSERT_EQ(store_->addDestinations({weighted, dest("x2", "r1", "a1")}), WriteResult::Ok);
  auto list = store_->listDestinations("r1");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].weight, 30);
  EXPECT_FALSE(list[1].weight.has_value());
}

TEST_F(SqliteStoreTest, JobsByState) {
  ASSERT_EQ(store_->createJob({"j1", "app.delete", "PROCESSING", "app", "a1", "[]", "[]", "t",
                               "t", ""}),
            WriteResult::Ok);
  ASSERT_EQ(store_->createJob({"j2", "route.delete", "COMPLETE", "route", "r1", "[]", "[]", "t",
                               "t", ""}),
            WriteResult::Ok);
  auto pending = store_->listJobsInState("PROCESSING");
  ASSERT_EQ(pending.size(), 1u);
  Job j = pending[0];
  j.state = "COMPLETE";
  EXPECT_EQ(store_->updateJob(j), WriteResult::Ok);
  reopen();
  EXPECT_TRUE(store_->listJobsInState("PROCESSING").empty());
  EXPECT_EQ(store_->getJob("j1")->state, "COMPLETE");
}

}  // namespace
}  // namespace foundry::control
