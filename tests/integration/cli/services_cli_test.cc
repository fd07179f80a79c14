// `foundry` service commands against the real controller: the user-provided flow (cups,
// services, service, bind-service to an app, uups, unbind-service, delete-service), which
// needs no broker, with the controller's state checked over HTTP as admin after each step.
// The managed flow (create-service-broker, marketplace, create-service sync/async with and
// without --wait, bind-service, service keys, delete) runs against the in-memory test-broker.
#include <regex>

#include "tests/integration/cli/foundry_cli_fixture.h"
#include "tests/test_common/child_process.h"

namespace foundry::test {
namespace {

class ServicesCliTest : public FoundryCliTest {
 protected:
  // True when the controller has the service endpoints (404 "Unknown request" otherwise).
  bool hasServiceEndpoints() { return adminCall("GET", "/v3/service_instances").status == 200; }
  // Brokers and the marketplace may land after instances and bindings.
  bool hasBrokerEndpoints() {
    return adminCall("GET", "/v3/service_brokers").status == 200 &&
           adminCall("GET", "/v3/service_plans").status == 200;
  }
  json instanceNamed(const std::string& name) {
    json list = get("/v3/service_instances?names=" + name);
    return list.value("resources", json::array()).empty() ? json() : list["resources"][0];
  }
  json bindingsOf(const std::string& app_guid) {
    return get("/v3/service_credential_bindings?app_guids=" + app_guid)["resources"];
  }
};

TEST_F(ServicesCliTest, UserProvidedServiceCreateBindUnbindDelete) {
  targetApi();
  ASSERT_TRUE(hasServiceEndpoints()) << "controller has no /v3/service_instances";
  const std::string secret = "hunter2-not-printed";

  CliRun cups = foundry({"cups", "creds", "-p",
                         R"({"username":"u","password":")" + secret + R"("})", "-t", "a, b"});
  ASSERT_EQ(cups.code, 0) << cups.all();
  EXPECT_NE(cups.out.find("Creating user provided service creds in org default / space default "
                          "as admin...\nOK"),
            std::string::npos)
      << cups.out;
  EXPECT_EQ(cups.all().find(secret), std::string::npos);
  json instance = instanceNamed("creds");
  ASSERT_TRUE(instance.is_object());
  EXPECT_EQ(instance["type"], "user-provided");
  EXPECT_EQ(instance["tags"], json({"a", "b"}));
  const std::string guid = instance["guid"];
  json credentials = get("/v3/service_instances/" + guid + "/credentials");
  EXPECT_EQ(credentials.value("password", ""), secret) << credentials.dump();

  CliRun services = foundry({"services"});
  ASSERT_EQ(services.code, 0) << services.all();
  EXPECT_NE(services.out.find("name    offering        plan   bound apps"), std::string::npos)
      << services.out;
  EXPECT_NE(services.out.find("creds   user-provided"), std::string::npos) << services.out;
  EXPECT_NE(services.out.find("create succeeded"), std::string::npos) << services.out;

  CliRun show = foundry({"service", "creds"});
  ASSERT_EQ(show.code, 0) << show.all();
  EXPECT_NE(show.out.find("type:                user-provided"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("tags:                a, b"), std::string::npos) << show.out;
  EXPECT_EQ(show.all().find(secret), std::string::npos);
  CliRun show_guid = foundry({"service", "creds", "--guid"});
  EXPECT_EQ(show_guid.code, 0);
  EXPECT_EQ(show_guid.out, guid + "\n");

  const std::string app_guid = createApp("web");
  CliRun bind = foundry({"bind-service", "web", "creds"});
  ASSERT_EQ(bind.code, 0) << bind.all();
  EXPECT_NE(bind.out.find("Binding service instance creds to app web in org default / space "
                          "default as admin...\nOK\nTIP: Use 'foundry restage web' to ensure "
                          "your env variable changes take effect"),
            std::string::npos)
      << bind.out;
  ASSERT_EQ(bindingsOf(app_guid).size(), 1u);
  CliRun again = foundry({"bind-service", "web", "creds"});
  EXPECT_EQ(again.code, 0) << again.all();
  EXPECT_NE(again.out.find("App web is already bound to service instance creds.\nOK"),
            std::string::npos)
      << again.all();
  EXPECT_EQ(bindingsOf(app_guid).size(), 1u);
  CliRun bound = foundry({"services"});
  EXPECT_NE(bound.out.find("web"), std::string::npos) << bound.out;

  CliRun uups = foundry({"uups", "creds", "-p", R"({"username":"v"})"});
  ASSERT_EQ(uups.code, 0) << uups.all();
  EXPECT_NE(uups.out.find("TIP: Use 'foundry restage' for any bound apps"), std::string::npos);
  EXPECT_EQ(get("/v3/service_instances/" + guid + "/credentials").value("username", ""), "v");

  CliRun unbind = foundry({"unbind-service", "web", "creds"});
  ASSERT_EQ(unbind.code, 0) << unbind.all();
  EXPECT_TRUE(bindingsOf(app_guid).empty());
  CliRun unbind_again = foundry({"unbind-service", "web", "creds"});
  EXPECT_EQ(unbind_again.code, 0) << unbind_again.all();
  EXPECT_NE(unbind_again.out.find("Binding between creds and web did not exist"),
            std::string::npos)
      << unbind_again.out;

  CliRun remove = foundry({"delete-service", "creds", "-f"});
  ASSERT_EQ(remove.code, 0) << remove.all();
  EXPECT_NE(remove.out.find("Service instance creds deleted.\nOK"), std::string::npos)
      << remove.out;
  EXPECT_TRUE(instanceNamed("creds").is_null());
  CliRun remove_again = foundry({"delete-service", "creds", "-f"});
  EXPECT_EQ(remove_again.code, 0);
  EXPECT_NE(remove_again.out.find("Service instance creds did not exist."), std::string::npos);
  CliRun empty = foundry({"services"});
  EXPECT_NE(empty.out.find("No service instances found."), std::string::npos) << empty.out;
}

TEST_F(ServicesCliTest, MissingInstancesAndBadFlagsFail) {
  targetApi();
  ASSERT_TRUE(hasServiceEndpoints()) << "controller has no /v3/service_instances";
  CliRun missing = foundry({"service", "nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("FAILED"), std::string::npos);
  EXPECT_NE(missing.err.find("Service instance 'nope' not found"), std::string::npos)
      << missing.all();
  CliRun bad_json = foundry({"cups", "x", "-p", "{broken"});
  EXPECT_EQ(bad_json.code, 1);
  EXPECT_NE(bad_json.err.find("Invalid configuration provided for -p flag"), std::string::npos)
      << bad_json.all();
  EXPECT_TRUE(instanceNamed("x").is_null());
  CliRun no_app = foundry({"cups", "lonely"});
  ASSERT_EQ(no_app.code, 0) << no_app.all();
  CliRun bind = foundry({"bind-service", "ghost-app", "lonely"});
  EXPECT_EQ(bind.code, 1);
  EXPECT_NE(bind.err.find("App 'ghost-app' not found"), std::string::npos) << bind.all();
  if (!hasBrokerEndpoints()) return;
  CliRun no_plans = foundry({"marketplace"});
  EXPECT_EQ(no_plans.code, 0) << no_plans.all();
  EXPECT_NE(no_plans.out.find("No service offerings found."), std::string::npos) << no_plans.out;
}

TEST_F(ServicesCliTest, ManagedServiceThroughTheTestBroker) {
  // Broker polls every second so the async plan finishes within the test.
  stopController();
  ASSERT_TRUE(startController({"--broker-poll-interval", "1"})) << readFile(dir_ / "controller.log");
  targetApi();
  ASSERT_TRUE(hasServiceEndpoints() && hasBrokerEndpoints())
      << "controller has no /v3/service_brokers or /v3/service_plans";
  const std::string broker_password = "broker-pw-not-printed";
  std::ofstream(dir_ / "broker-password") << broker_password;
  const uint16_t broker_port = freeTcpPort();
  const std::string broker_url = "http://127.0.0.1:" + std::to_string(broker_port);
  ChildProcess broker("test-broker", TEST_BROKER_BINARY,
                      {"--listen", "127.0.0.1:" + std::to_string(broker_port), "--username",
                       "broker-user", "--password-file", (dir_ / "broker-password").string()},
                      dir_.string());
  ASSERT_TRUE(broker.start());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (net::getJson(broker_url + "/v2/catalog", 500).status == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }

  CliRun create_broker =
      foundry({"create-service-broker", "tb", "broker-user", broker_password, broker_url});
  ASSERT_EQ(create_broker.code, 0) << create_broker.all() << broker.logs();
  EXPECT_NE(create_broker.out.find("Creating service broker tb as admin...\nOK"),
            std::string::npos)
      << create_broker.out;
  EXPECT_EQ(create_broker.all().find(broker_password), std::string::npos);
  CliRun brokers = foundry({"service-brokers"});
  EXPECT_NE(brokers.out.find("tb     " + broker_url), std::string::npos) << brokers.all();
  CliRun enable = foundry({"enable-service-access", "fake-db"});
  ASSERT_EQ(enable.code, 0) << enable.all();
  CliRun market = foundry({"marketplace"});
  ASSERT_EQ(market.code, 0) << market.all();
  EXPECT_NE(market.out.find("fake-db"), std::string::npos) << market.out;
  EXPECT_NE(market.out.find("tb"), std::string::npos) << market.out;
  CliRun plans = foundry({"marketplace", "-e", "fake-db"});
  EXPECT_NE(plans.out.find("broker: tb"), std::string::npos) << plans.out;
  EXPECT_NE(plans.out.find("   sync "), std::string::npos) << plans.out;

  CliRun sync = foundry({"create-service", "fake-db", "sync", "db1", "-c", R"({"size":1})",
                         "-t", "x, y", "--wait"});
  ASSERT_EQ(sync.code, 0) << sync.all();
  EXPECT_NE(sync.out.find("Service instance db1 created.\nOK"), std::string::npos) << sync.out;
  json db1 = instanceNamed("db1");
  ASSERT_TRUE(db1.is_object());
  EXPECT_EQ(db1["last_operation"]["state"], "succeeded") << db1.dump();
  EXPECT_EQ(db1["tags"], json({"x", "y"}));

  CliRun async = foundry({"create-service", "fake-db", "async", "db2"});
  ASSERT_EQ(async.code, 0) << async.all();
  EXPECT_NE(async.out.find("Create in progress. Use 'foundry services' or 'foundry service db2' "
                           "to check operation status.\nOK"),
            std::string::npos)
      << async.out;
  CliRun async_wait = foundry({"create-service", "fake-db", "async", "db3", "--wait"});
  ASSERT_EQ(async_wait.code, 0) << async_wait.all();
  EXPECT_NE(async_wait.out.find("Waiting for the operation to complete"), std::string::npos);
  EXPECT_NE(async_wait.out.find("Service instance db3 created."), std::string::npos)
      << async_wait.out;
  EXPECT_EQ(instanceNamed("db3")["last_operation"]["state"], "succeeded");

  CliRun services = foundry({"services"});
  EXPECT_TRUE(std::regex_search(services.out,
                                std::regex("db1 +fake-db +sync +create succeeded +tb")))
      << services.out;
  CliRun show = foundry({"service", "db1"});
  ASSERT_EQ(show.code, 0) << show.all();
  EXPECT_NE(show.out.find("offering:        fake-db"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("status:    create succeeded"), std::string::npos) << show.out;

  const std::string app_guid = createApp("web");
  CliRun bind = foundry({"bind-service", "web", "db1", "--wait"});
  ASSERT_EQ(bind.code, 0) << bind.all();
  EXPECT_NE(bind.out.find("TIP: Use 'foundry restage web'"), std::string::npos) << bind.out;
  EXPECT_EQ(bindingsOf(app_guid).size(), 1u);

  CliRun key = foundry({"create-service-key", "db1", "k1", "--wait"});
  ASSERT_EQ(key.code, 0) << key.all();
  CliRun keys = foundry({"service-keys", "db1"});
  EXPECT_NE(keys.out.find("k1 "), std::string::npos) << keys.all();
  CliRun key_show = foundry({"service-key", "db1", "k1"});
  ASSERT_EQ(key_show.code, 0) << key_show.all();
  EXPECT_NE(key_show.out.find("\"credentials\""), std::string::npos) << key_show.out;
  CliRun key_delete = foundry({"delete-service-key", "db1", "k1", "-f", "--wait"});
  EXPECT_EQ(key_delete.code, 0) << key_delete.all();

  CliRun unbind = foundry({"unbind-service", "web", "db1", "--wait"});
  EXPECT_EQ(unbind.code, 0) << unbind.all();
  EXPECT_TRUE(bindingsOf(app_guid).empty());
  CliRun remove = foundry({"delete-service", "db1", "-f", "--wait"});
  ASSERT_EQ(remove.code, 0) << remove.all();
  EXPECT_NE(remove.out.find("Service instance db1 deleted."), std::string::npos) << remove.out;
  EXPECT_TRUE(instanceNamed("db1").is_null());
  broker.stop();
}

}  // namespace
}  // namespace foundry::test
