// SqliteStore, migration 2: packages, builds, droplets and the app's current droplet.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "control/store/sqlite_store.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;

class StagingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-staging-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    ASSERT_EQ(store_->createOrganization({"o1", "org", false, "t0", "t0", std::nullopt}), WriteResult::Ok);
    ASSERT_EQ(store_->createSpace({"s1", "space", "o1", "t0", "t0", std::nullopt}), WriteResult::Ok);
    for (const char* guid : {"a1", "a2"}) {
      App a;
      a.guid = guid;
      a.name = std::string("app-") + guid;
      a.space_guid = "s1";
      a.created_at = a.updated_at = "t1";
      ASSERT_EQ(store_->createApp(a, {}), WriteResult::Ok);
    }
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  static Package package(const std::string& guid, const std::string& app, const char* at) {
    Package p;
    p.guid = guid;
    p.app_guid = app;
    p.created_at = p.updated_at = at;
    return p;
  }
  static Build build(const std::string& guid, const std::string& app, const std::string& pkg) {
    Build b;
    b.guid = guid;
    b.app_guid = app;
    b.package_guid = pkg;
    b.buildpacks = {"nodejs"};
    b.created_at = b.updated_at = "t2";
    return b;
  }
  static Droplet droplet(const std::string& guid, const std::string& app,
                         const std::string& build_guid) {
    Droplet d;
    d.guid = guid;
    d.app_guid = app;
    d.package_guid = "p1";
    d.build_guid = build_guid;
    d.process_types = R"({"web":"node server.js"})";
    d.sha256 = std::string(64, 'a');
    d.start_command = "node server.js";
    d.created_at = d.updated_at = "t3";
    return d;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StagingStoreTest, PackagesCreateUpdateFilter) {
  ASSERT_EQ(store_->createPackage(package("p1", "a1", "t1")), WriteResult::Ok);
  ASSERT_EQ(store_->createPackage(package("p2", "a1", "t2")), WriteResult::Ok);
  ASSERT_EQ(store_->createPackage(package("p3", "a2", "t3")), WriteResult::Ok);
  EXPECT_EQ(store_->createPackage(package("p1", "a1", "t1")), WriteResult::Duplicate);
  EXPECT_EQ(store_->createPackage(package("p9", "nope", "t1")), WriteResult::MissingParent);

  Package p = *store_->getPackage("p2");
  EXPECT_EQ(p.state, "AWAITING_UPLOAD");
  EXPECT_FALSE(p.sha256);
  p.state = "READY";
  p.sha256 = "abc";
  p.updated_at = "t9";
  ASSERT_EQ(store_->updatePackage(p), WriteResult::Ok);
  Package got = *store_->getPackage("p2");
  EXPECT_EQ(got.state, "READY");
  EXPECT_EQ(got.sha256, "abc");
  EXPECT_EQ(got.updated_at, "t9");
  EXPECT_FALSE(got.error);

  auto ready = store_->listPackages({{}, {"a1"}, {"READY"}, {}});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].guid, "p2");
  EXPECT_EQ(store_->listPackages({{}, {"a1"}, {}, {}}).size(), 2u);
  EXPECT_EQ(store_->listPackages({}).size(), 3u);
  EXPECT_FALSE(store_->getPackage("zzz"));
}

TEST_F(StagingStoreTest, FinishBuildStoresDropletAndBuildTogether) {
  ASSERT_EQ(store_->createPackage(package("p1", "a1", "t1")), WriteResult::Ok);
  ASSERT_EQ(store_->createBuild(build("b1", "a1", "p1")), WriteResult::Ok);
  EXPECT_EQ(store_->createBuild(build("b2", "a1", "nope")), WriteResult::MissingParent);
  Build b = *store_->getBuild("b1");
  EXPECT_EQ(b.state, "STAGING");
  EXPECT_EQ(b.buildpacks, std::vector<std::string>{"nodejs"});
  EXPECT_EQ(store_->listBuilds({{}, {"a1"}, {}, {"STAGING"}, {}}).size(), 1u);

  b.state = "STAGED";
  b.droplet_guid = "d1";
  b.updated_at = "t3";
  ASSERT_EQ(store_->finishBuild(b, droplet("d1", "a1", "b1")), WriteResult::Ok);
  EXPECT_EQ(store_->getBuild("b1")->droplet_guid, "d1");
  Droplet d = *store_->getDroplet("d1");
  EXPECT_EQ(d.process_types, R"({"web":"node server.js"})");
  EXPECT_EQ(d.start_command, "node server.js");
  EXPECT_EQ(d.state, "STAGED");

  // A build that is no longer STAGING cannot be finished twice; nothing is stored.
  ASSERT_EQ(store_->finishBuild(b, droplet("d2", "a1", "b1")), WriteResult::NotFound);
  EXPECT_FALSE(store_->getDroplet("d2"));
  EXPECT_EQ(store_->listDroplets({{}, {"a1"}, {}, {}}).size(), 1u);
}

TEST_F(StagingStoreTest, RestartFailsStagingBuilds) {
  ASSERT_EQ(store_->createPackage(package("p1", "a1", "t1")), WriteResult::Ok);
  ASSERT_EQ(store_->createBuild(build("b1", "a1", "p1")), WriteResult::Ok);
  ASSERT_EQ(store_->createBuild(build("b2", "a1", "p1")), WriteResult::Ok);
  Build done = *store_->getBuild("b2");
  done.state = "STAGED";
  ASSERT_EQ(store_->updateBuild(done), WriteResult::Ok);
  EXPECT_EQ(store_->failStagingBuilds("StagingError - controller restarted", "t5"), 1);
  Build b = *store_->getBuild("b1");
  EXPECT_EQ(b.state, "FAILED");
  EXPECT_EQ(b.error, "StagingError - controller restarted");
  EXPECT_EQ(store_->getBuild("b2")->state, "STAGED");
  EXPECT_EQ(store_->failStagingBuilds("x", "t6"), 0);
}

TEST_F(StagingStoreTest, CurrentDropletMustBelongToTheApp) {
  ASSERT_EQ(store_->createDroplet(droplet("d1", "a1", "b1")), WriteResult::Ok);
  ASSERT_EQ(store_->createDroplet(droplet("d2", "a2", "b2")), WriteResult::Ok);
  EXPECT_FALSE(store_->getCurrentDroplet("a1"));
  EXPECT_EQ(store_->setCurrentDroplet("a1", "d2", "t4"), WriteResult::MissingParent);
  EXPECT_EQ(store_->setCurrentDroplet("a1", "nope", "t4"), WriteResult::MissingParent);
  EXPECT_EQ(store_->setCurrentDroplet("nope", "d1", "t4"), WriteResult::NotFound);
  ASSERT_EQ(store_->setCurrentDroplet("a1", "d1", "t4"), WriteResult::Ok);
  EXPECT_EQ(store_->getCurrentDroplet("a1")->guid, "d1");
  EXPECT_EQ(store_->getApp("a1")->droplet_guid, "d1");
  EXPECT_EQ(store_->getApp("a1")->updated_at, "t4");
  ASSERT_EQ(store_->setCurrentDroplet("a1", std::nullopt, "t5"), WriteResult::Ok);
  EXPECT_FALSE(store_->getCurrentDroplet("a1"));
}

TEST_F(StagingStoreTest, DeletingTheAppTakesItsPackagesBuildsAndDroplets) {
  ASSERT_EQ(store_->createPackage(package("p1", "a1", "t1")), WriteResult::Ok);
  ASSERT_EQ(store_->createBuild(build("b1", "a1", "p1")), WriteResult::Ok);
  ASSERT_EQ(store_->createDroplet(droplet("d1", "a1", "b1")), WriteResult::Ok);
  ASSERT_EQ(store_->setCurrentDroplet("a1", "d1", "t4"), WriteResult::Ok);
  ASSERT_EQ(store_->deleteApp("a1"), WriteResult::Ok);
  EXPECT_FALSE(store_->getPackage("p1"));
  EXPECT_FALSE(store_->getBuild("b1"));
  EXPECT_FALSE(store_->getDroplet("d1"));
}

}  // namespace
}  // namespace foundry::control
