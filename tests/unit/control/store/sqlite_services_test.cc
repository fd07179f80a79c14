// The service tables of SqliteStore: secrets sealed in the file and opened on reading, key
// rotation by re-sealing, the plan visibility scope in SQL, and the rows that refuse deletion.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "control/api/api.h"
#include "control/store/sqlite_store.h"

namespace foundry::control {
namespace {

std::shared_ptr<const crypto::FieldCipher> cipher(std::initializer_list<const char*> labels,
                                                  const std::string& current) {
  std::map<std::string, auth::Secret> keys;
  char fill = 'a';
  for (const char* l : labels) keys.emplace(l, auth::Secret(std::string(32, fill++)));
  return std::make_shared<const crypto::FieldCipher>(std::move(keys), current);
}

// The raw text of one column, read past the store.
std::string raw(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

class SqliteServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sqlite-svc-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    path_ = dir_ + "/controller.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ServiceBroker broker(const std::string& password) {
    ServiceBroker b;
    b.guid = newGuid();
    b.name = "b-" + b.guid.substr(0, 8);
    b.url = "http://127.0.0.1:1";
    b.username = "u";
    b.password = auth::Secret(password);
    b.created_at = b.updated_at = nowIso8601();
    return b;
  }

  std::string dir_, path_;
};

TEST_F(SqliteServicesTest, SecretsAreSealedAndRotatedByResealing) {
  std::string guid;
  {
    SqliteStore store(path_, cipher({"k1"}, "k1"));
    ServiceBroker b = broker("p@ssw0rd");
    guid = b.guid;
    ASSERT_EQ(store.createServiceBroker(b), WriteResult::Ok);
    EXPECT_EQ(store.getServiceBroker(guid)->password.reveal(), "p@ssw0rd");
  }
  const std::string sealed = raw(path_, "SELECT password FROM service_brokers");
  EXPECT_EQ(sealed.rfind("enc:v1:k1:", 0), 0u) << sealed;
  EXPECT_EQ(sealed.find("p@ssw0rd"), std::string::npos);
  {
    SqliteStore store(path_, cipher({"k1", "k2"}, "k2"));
    EXPECT_EQ(store.getServiceBroker(guid)->password.reveal(), "p@ssw0rd") << "old key opens";
    EXPECT_EQ(store.resealSecrets(), 1);
    EXPECT_EQ(store.resealSecrets(), 0) << "nothing left to rotate";
  }
  EXPECT_EQ(raw(path_, "SELECT password FROM service_brokers").rfind("enc:v1:k2:", 0), 0u);
  {
    // With k1 retired, the value still opens: it was re-sealed with k2.
    std::map<std::string, auth::Secret> only_k2;
    only_k2.emplace("k2", auth::Secret(std::string(32, 'b')));
    SqliteStore store(path_, std::make_shared<const crypto::FieldCipher>(only_k2, "k2"));
    EXPECT_EQ(store.getServiceBroker(guid)->password.reveal(), "p@ssw0rd");
  }
  {
    // A wrong key does not open it: a clear failure, not garbage.
    SqliteStore store(path_, cipher({"k2"}, "k2"));  // 'a'-filled, not the real k2
    EXPECT_THROW(store.getServiceBroker(guid), crypto::CipherError);
  }
}

TEST_F(SqliteServicesTest, PlanVisibilityIsScopedInTheQuery) {
  SqliteStore store(path_, cipher({"k"}, "k"));
  const std::string now = nowIso8601();
  ASSERT_EQ(store.createOrganization({"o1", "org1", false, now, now, std::nullopt}), WriteResult::Ok);
  ASSERT_EQ(store.createOrganization({"o2", "org2", false, now, now, std::nullopt}), WriteResult::Ok);
  ASSERT_EQ(store.createSpace({"s1", "dev", "o1", now, now, std::nullopt}), WriteResult::Ok);
  ServiceBroker global = broker("x");
  ServiceBroker scoped = broker("y");
  scoped.space_guid = "s1";
  ASSERT_EQ(store.createServiceBroker(global), WriteResult::Ok);
  ASSERT_EQ(store.createServiceBroker(scoped), WriteResult::Ok);
  auto offering = [&](const ServiceBroker& b) {
    ServiceOffering o;
    o.guid = newGuid();
    o.broker_guid = b.guid;
    o.broker_catalog_id = o.guid;
    o.name = "svc";
    o.created_at = o.updated_at = now;
    EXPECT_EQ(store.createServiceOffering(o), WriteResult::Ok);
    return o.guid;
  };
  const std::string og = offering(global), os = offering(scoped);
  auto plan = [&](const std::string& offering_guid, const std::string& name,
                  const std::string& visibility) {
    ServicePlan p;
    p.guid = name;
    p.offering_guid = offering_guid;
    p.broker_catalog_id = name;
    p.name = name;
    p.visibility_type = visibility;
    p.created_at = p.updated_at = now;
    EXPECT_EQ(store.createServicePlan(p), WriteResult::Ok);
  };
  plan(og, "public", "public");
  plan(og, "admin", "admin");
  plan(og, "org1-only", "organization");
  plan(os, "space", "space");
  ASSERT_EQ(store.createPlanVisibility({newGuid(), "org1-only", "o1", now, now}), WriteResult::Ok);
  EXPECT_EQ(store.createPlanVisibility({newGuid(), "org1-only", "o1", now, now}),
            WriteResult::Duplicate);
  auto names = [&](PlanVisibilityScope scope) {
    ServicePlanFilter f;
    f.visible_to = scope;
    std::vector<std::string> out;
    for (const auto& p : store.listServicePlans(f)) out.push_back(p.name);
    return out;
  };
  EXPECT_EQ(names({{"o1"}, {"s1"}}), (std::vector<std::string>{"public", "org1-only", "space"}));
  EXPECT_EQ(names({{"o2"}, {}}), (std::vector<std::string>{"public"}));
  EXPECT_EQ(names({{}, {}}), (std::vector<std::string>{"public"}));
  EXPECT_EQ(store.listServicePlans({}).size(), 4u) << "unscoped: every plan (admins)";
  // An instance keeps its plan: the plan cannot go while it is used.
  ServiceInstance i;
  i.guid = newGuid();
  i.name = "db";
  i.space_guid = "s1";
  i.plan_guid = "public";
  i.credentials = auth::Secret("{}");
  i.created_at = i.updated_at = now;
  ASSERT_EQ(store.createServiceInstance(i), WriteResult::Ok);
  EXPECT_NE(store.deleteServicePlan("public"), WriteResult::Ok);
  EXPECT_EQ(store.createServiceInstance(i), WriteResult::Duplicate);
}

}  // namespace
}  // namespace foundry::control
