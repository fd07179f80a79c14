// The real `foundry` binary (FOUNDRY_CLI_BINARY) against the real controller
// (CONTROLLER_BINARY) on a free loopback port: api, login/auth/logout/target, orgs, spaces,
// users, roles, quotas, routes, domains, apps, delete and push --no-start, with the
// controller's state checked over HTTP (as admin) after each command.
#include <sys/stat.h>

#include "tests/integration/cli/foundry_cli_fixture.h"

namespace foundry::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST_F(FoundryCliTest, HelpListsCommandsAndBadUsageFails) {
  CliRun help = foundry({"help"});
  EXPECT_EQ(help.code, 0);
  for (const char* command :
       {"api", "push", "apps", "app", "scale", "start", "stop", "restart", "restage", "delete",
        "logs", "routes", "create-route", "delete-route", "map-route", "unmap-route", "domains"}) {
    EXPECT_NE(help.out.find(std::string("   ") + command + " "), std::string::npos) << command;
  }
  CliRun push_help = foundry({"push", "--help"});
  EXPECT_EQ(push_help.code, 0);
  EXPECT_NE(push_help.out.find("--no-start"), std::string::npos) << push_help.all();
  CliRun bogus = foundry({"bogus"});
  EXPECT_EQ(bogus.code, 1);
  EXPECT_NE(bogus.err.find("'bogus' is not a registered command"), std::string::npos);
  CliRun missing_arg = foundry({"map-route", "only-app"});
  EXPECT_EQ(missing_arg.code, 1);
  EXPECT_NE(missing_arg.err.find("Incorrect Usage"), std::string::npos) << missing_arg.all();
}

TEST_F(FoundryCliTest, ApiThenLoginSavesTokensAndTheTarget) {
  CliRun no_target = foundry({"apps"});
  EXPECT_EQ(no_target.code, 1);
  EXPECT_NE(no_target.out.find("FAILED"), std::string::npos);
  EXPECT_NE(no_target.err.find("No API endpoint set"), std::string::npos);

  CliRun api = foundry({"api", "127.0.0.1:" + std::to_string(port_)});  // no scheme: http
  ASSERT_EQ(api.code, 0) << api.all();
  EXPECT_NE(api.out.find("API version:    3.100.0"), std::string::npos) << api.out;
  EXPECT_NE(api.out.find("Not logged in. Use 'foundry login' or 'foundry auth' to log in."),
            std::string::npos)
      << api.out;
  EXPECT_EQ(config()["uaa_url"], base() + "/uaa");
  CliRun not_logged_in = foundry({"apps"});
  EXPECT_EQ(not_logged_in.code, 1);
  EXPECT_NE(not_logged_in.err.find("Not logged in."), std::string::npos) << not_logged_in.all();

  // Wrong password: refused, and the password is printed nowhere.
  CliRun bad = foundry({"login", "-u", "admin", "-p", "wrong-secret-pw"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("Bad credentials"), std::string::npos) << bad.all();
  EXPECT_EQ(bad.all().find("wrong-secret-pw"), std::string::npos) << bad.all();

  CliRun login = foundry({"login", "-u", "admin", "-p", kTestAdminPassword});
  ASSERT_EQ(login.code, 0) << login.all();
  EXPECT_NE(login.out.find("Authenticating...\nOK"), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("Targeted org default."), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("Targeted space default."), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("user:           admin"), std::string::npos) << login.out;
  json saved = config();
  ASSERT_TRUE(saved.is_object());
  EXPECT_EQ(saved["api"], base());
  EXPECT_EQ(saved["space_guid"], spaceGuid());
  EXPECT_EQ(saved["organization_guid"], get("/v3/organizations")["resources"][0]["guid"]);
  const std::string access = saved["access_token"];
  EXPECT_FALSE(access.empty());
  EXPECT_FALSE(saved["refresh_token"].get<std::string>().empty());
  EXPECT_EQ(login.all().find(access), std::string::npos);  // tokens are never printed
  EXPECT_EQ(login.all().find(kTestAdminPassword), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "home" / "config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  CliRun target = foundry({"target"});
  EXPECT_EQ(target.code, 0) << target.all();
  EXPECT_NE(target.out.find("API endpoint:   " + base()), std::string::npos) << target.out;
  EXPECT_NE(target.out.find("org:            default"), std::string::npos) << target.out;

  CliRun show = foundry({"api"});
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("API endpoint:   " + base()), std::string::npos) << show.out;

  // A URL that does not answer keeps the old endpoint and login.
  CliRun dead = foundry({"api", "http://127.0.0.1:" + std::to_string(freeTcpPort())});
  EXPECT_EQ(dead.code, 1);
  EXPECT_NE(dead.out.find("FAILED"), std::string::npos);
  EXPECT_NE(readFile(dir_ / "home" / "config.json").find(base()), std::string::npos);
  EXPECT_EQ(foundry({"apps"}).code, 0);

  // logout: commands then say how to log in.
  CliRun logout = foundry({"logout"});
  EXPECT_EQ(logout.code, 0) << logout.all();
  EXPECT_NE(logout.out.find("Logging out admin..."), std::string::npos) << logout.out;
  EXPECT_EQ(config()["access_token"], "");
  CliRun after = foundry({"apps"});
  EXPECT_EQ(after.code, 1);
  EXPECT_NE(after.err.find("Not logged in. Use 'foundry login' or 'foundry auth' to log in."),
            std::string::npos)
      << after.all();
  CliRun orgs = foundry({"orgs"});
  EXPECT_EQ(orgs.code, 1);
  EXPECT_NE(orgs.err.find("Not logged in."), std::string::npos) << orgs.all();

  // A corrupt config is reported, not a crash.
  std::ofstream(dir_ / "home" / "config.json") << "{not json";
  CliRun corrupt = foundry({"apps"});
  EXPECT_EQ(corrupt.code, 1);
  EXPECT_NE(corrupt.err.find("not valid JSON"), std::string::npos) << corrupt.all();
}

TEST_F(FoundryCliTest, AuthWithPasswordAndClientCredentialsThenTarget) {
  ASSERT_EQ(foundry({"api", base()}).code, 0);
  CliRun auth = foundry({"auth", "admin", kTestAdminPassword});
  ASSERT_EQ(auth.code, 0) << auth.all();
  EXPECT_NE(auth.out.find("Use 'foundry target' to view or set your target org and space."),
            std::string::npos)
      << auth.out;
  // auth targets nothing.
  CliRun apps = foundry({"apps"});
  EXPECT_EQ(apps.code, 1);
  EXPECT_NE(apps.err.find("No org and space targeted, use 'foundry target -o ORG -s SPACE' to "
                          "target an org and space"),
            std::string::npos)
      << apps.all();
  CliRun target = foundry({"target", "-o", "default"});  // its only space comes along
  ASSERT_EQ(target.code, 0) << target.all();
  EXPECT_NE(target.out.find("space:          default"), std::string::npos) << target.out;
  EXPECT_EQ(foundry({"apps"}).code, 0);
  CliRun no_org = foundry({"target", "-o", "nope"});
  EXPECT_EQ(no_org.code, 1);
  EXPECT_NE(no_org.err.find("Organization 'nope' not found."), std::string::npos) << no_org.all();

  // The admin client (client_credentials), its secret from the controller's data dir.
  std::string secret = readFile(dir_ / "data" / "admin-client-secret");
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  ASSERT_FALSE(secret.empty());
  CliRun client = foundry({"auth", "admin", secret, "--client-credentials"});
  ASSERT_EQ(client.code, 0) << client.all();
  EXPECT_EQ(client.all().find(secret), std::string::npos);
  CliRun orgs = foundry({"orgs"});
  EXPECT_EQ(orgs.code, 0) << orgs.all();
  EXPECT_NE(orgs.out.find("Getting orgs as admin..."), std::string::npos) << orgs.out;
  EXPECT_NE(orgs.out.find("default"), std::string::npos) << orgs.out;
}

// The tenancy flow of a platform operator and two users: quotas, org, space, users, roles;
// the developer pushes into the targeted space, the auditor is refused.
TEST_F(FoundryCliTest, OrgsSpacesUsersRolesAndQuotas) {
  targetApi();
  CliRun quota = foundry({"create-org-quota", "small", "-m", "2G", "-i", "1G", "-a", "10", "-r",
                          "20", "-s", "-1"});
  ASSERT_EQ(quota.code, 0) << quota.all();
  json small = get("/v3/organization_quotas?names=small")["resources"];
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0]["apps"]["total_memory_in_mb"], 2048);
  EXPECT_EQ(small[0]["apps"]["per_process_memory_in_mb"], 1024);
  EXPECT_EQ(small[0]["apps"]["total_instances"], 10);
  EXPECT_EQ(small[0]["routes"]["total_routes"], 20);
  EXPECT_TRUE(small[0]["services"]["total_service_instances"].is_null());
  CliRun quotas = foundry({"org-quotas"});
  EXPECT_EQ(quotas.code, 0);
  EXPECT_NE(quotas.out.find("small"), std::string::npos) << quotas.out;
  EXPECT_NE(quotas.out.find("2G"), std::string::npos) << quotas.out;

  CliRun org = foundry({"create-org", "acme", "-q", "small"});
  ASSERT_EQ(org.code, 0) << org.all();
  json acme = get("/v3/organizations?names=acme")["resources"];
  ASSERT_EQ(acme.size(), 1u);
  const std::string acme_guid = acme[0]["guid"];
  EXPECT_EQ(acme[0]["relationships"]["quota"]["data"]["guid"], small[0]["guid"]);
  // The creator manages it, as cf does.
  EXPECT_EQ(get("/v3/roles?types=organization_manager&organization_guids=" + acme_guid)
                ["resources"].size(),
            1u);
  CliRun again = foundry({"create-org", "acme"});
  EXPECT_EQ(again.code, 0) << again.all();
  EXPECT_NE(again.err.find("Organization 'acme' already exists."), std::string::npos)
      << again.all();

  ASSERT_EQ(foundry({"target", "-o", "acme"}).code, 0);
  CliRun space = foundry({"create-space", "dev"});
  ASSERT_EQ(space.code, 0) << space.all();
  EXPECT_NE(space.out.find("Assigning role SpaceManager to user admin"), std::string::npos)
      << space.out;
  json dev = get("/v3/spaces?names=dev&organization_guids=" + acme_guid)["resources"];
  ASSERT_EQ(dev.size(), 1u);
  const std::string dev_guid = dev[0]["guid"];
  json admin_roles = get("/v3/roles?space_guids=" + dev_guid)["resources"];
  EXPECT_EQ(admin_roles.size(), 2u) << admin_roles;  // space_manager + space_developer
  ASSERT_EQ(foundry({"create-space", "empty", "-o", "acme"}).code, 0);
  CliRun spaces = foundry({"spaces"});
  EXPECT_NE(spaces.out.find("dev"), std::string::npos) << spaces.out;
  EXPECT_NE(spaces.out.find("empty"), std::string::npos) << spaces.out;

  ASSERT_EQ(foundry({"create-space-quota", "tiny", "-m", "1G", "-a", "4"}).code, 0);
  CliRun set_space_quota = foundry({"set-space-quota", "dev", "tiny"});
  ASSERT_EQ(set_space_quota.code, 0) << set_space_quota.all();
  json tiny = get("/v3/space_quotas?names=tiny")["resources"];
  ASSERT_EQ(tiny.size(), 1u);
  EXPECT_EQ(get("/v3/spaces/" + dev_guid)["relationships"]["quota"]["data"]["guid"],
            tiny[0]["guid"]);
  CliRun space_quotas = foundry({"space-quotas"});
  EXPECT_NE(space_quotas.out.find("tiny"), std::string::npos) << space_quotas.out;
  CliRun space_info = foundry({"space", "dev"});
  EXPECT_EQ(space_info.code, 0) << space_info.all();
  EXPECT_NE(space_info.out.find("space quota:"), std::string::npos) << space_info.out;
  EXPECT_NE(space_info.out.find("tiny"), std::string::npos) << space_info.out;
  CliRun org_info = foundry({"org", "acme"});
  EXPECT_EQ(org_info.code, 0) << org_info.all();
  EXPECT_NE(org_info.out.find("quota:"), std::string::npos) << org_info.out;
  EXPECT_NE(org_info.out.find("small"), std::string::npos) << org_info.out;
  EXPECT_NE(org_info.out.find("dev, empty"), std::string::npos) << org_info.out;

  // Users: created in the UAA and CC; a second create is fine.
  ASSERT_EQ(foundry({"create-user", "dev-user", "dev-pass-1"}).code, 0);
  CliRun dup = foundry({"create-user", "dev-user", "dev-pass-1"});
  EXPECT_EQ(dup.code, 0) << dup.all();
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.all();
  ASSERT_EQ(foundry({"create-user", "aud-user", "aud-pass-1"}).code, 0);
  EXPECT_EQ(get("/v3/users?usernames=dev-user")["resources"].size(), 1u);

  CliRun set_dev = foundry({"set-space-role", "dev-user", "acme", "dev", "SpaceDeveloper"});
  ASSERT_EQ(set_dev.code, 0) << set_dev.all();
  ASSERT_EQ(foundry({"set-space-role", "aud-user", "acme", "dev", "SpaceAuditor"}).code, 0);
  CliRun set_twice = foundry({"set-space-role", "aud-user", "acme", "dev", "spaceauditor"});
  EXPECT_EQ(set_twice.code, 0) << set_twice.all();
  ASSERT_EQ(foundry({"set-org-role", "aud-user", "acme", "OrgAuditor"}).code, 0);
  CliRun bad_role = foundry({"set-org-role", "aud-user", "acme", "OrgBoss"});
  EXPECT_EQ(bad_role.code, 1);
  EXPECT_NE(bad_role.err.find("ROLE must be"), std::string::npos) << bad_role.all();
  CliRun space_users = foundry({"space-users", "acme", "dev"});
  ASSERT_EQ(space_users.code, 0) << space_users.all();
  EXPECT_NE(space_users.out.find("SPACE DEVELOPER\n  admin\n  dev-user\n"), std::string::npos)
      << space_users.out;
  EXPECT_NE(space_users.out.find("SPACE AUDITOR\n  aud-user\n"), std::string::npos)
      << space_users.out;
  EXPECT_NE(space_users.out.find("No SPACE SUPPORTER found"), std::string::npos)
      << space_users.out;
  CliRun org_users = foundry({"org-users", "acme"});
  ASSERT_EQ(org_users.code, 0) << org_users.all();
  EXPECT_NE(org_users.out.find("ORG MANAGER\n  admin\n"), std::string::npos) << org_users.out;
  EXPECT_NE(org_users.out.find("ORG AUDITOR\n  aud-user\n"), std::string::npos) << org_users.out;

  // The developer logs in: their only org and space are targeted; push goes there.
  CliRun dev_login = foundry({"login", "-u", "dev-user", "-p", "dev-pass-1"});
  ASSERT_EQ(dev_login.code, 0) << dev_login.all();
  EXPECT_NE(dev_login.out.find("user:           dev-user"), std::string::npos) << dev_login.out;
  EXPECT_NE(dev_login.out.find("org:            acme"), std::string::npos) << dev_login.out;
  EXPECT_NE(dev_login.out.find("space:          dev"), std::string::npos) << dev_login.out;
  fs::path source = nodeHello();
  fs::path app_dir = dir_ / "node-hello";
  fs::copy(source, app_dir, fs::copy_options::recursive);
  CliRun push = foundry({"push", "hello", "--no-start", "-p", app_dir.string(), "-m", "256M"},
                        dir_, 120s);
  EXPECT_NE(push.out.find("Pushing app hello to org acme / space dev as dev-user"),
            std::string::npos)
      << push.all();
  json apps = get("/v3/apps?names=hello")["resources"];
  ASSERT_EQ(apps.size(), 1u) << push.all();
  EXPECT_EQ(apps[0]["relationships"]["space"]["data"]["guid"], dev_guid);
  json routes = get("/v3/apps/" + apps[0]["guid"].get<std::string>() + "/routes")["resources"];
  ASSERT_EQ(routes.size(), 1u) << push.all();
  EXPECT_EQ(routes[0]["url"], "hello.apps.internal");  // the org's default domain
  EXPECT_EQ(push.code, 0) << push.all();
  CliRun dev_apps = foundry({"apps"});
  EXPECT_EQ(dev_apps.code, 0) << dev_apps.all();
  EXPECT_NE(dev_apps.out.find("hello"), std::string::npos) << dev_apps.out;
  CliRun env = foundry({"env", "hello"});
  EXPECT_EQ(env.code, 0) << env.all();
  EXPECT_NE(env.out.find("User-Provided:"), std::string::npos) << env.all();
  // Not an admin: creating orgs is refused with the server's words.
  CliRun dev_org = foundry({"create-org", "mine"});
  EXPECT_EQ(dev_org.code, 1);
  EXPECT_NE(dev_org.err.find("You are not authorized to perform the requested action"),
            std::string::npos)
      << dev_org.all();

  // The auditor may look but not push.
  ASSERT_EQ(foundry({"login", "-u", "aud-user", "-p", "aud-pass-1"}).code, 0);
  CliRun aud_apps = foundry({"apps"});
  EXPECT_EQ(aud_apps.code, 0) << aud_apps.all();
  EXPECT_NE(aud_apps.out.find("hello"), std::string::npos) << aud_apps.out;
  CliRun aud_push = foundry(
      {"push", "sneaky", "--no-start", "-p", app_dir.string(), "-m", "256M"}, dir_, 120s);
  EXPECT_EQ(aud_push.code, 1) << aud_push.all();
  EXPECT_NE(aud_push.err.find("You are not authorized to perform the requested action"),
            std::string::npos)
      << aud_push.all();
  EXPECT_TRUE(get("/v3/apps?names=sneaky")["resources"].empty());

  // Back to admin: take roles away, delete what was made.
  ASSERT_EQ(foundry({"login", "-u", "admin", "-p", kTestAdminPassword, "-o", "acme", "-s", "dev"})
                .code,
            0);
  CliRun unset = foundry({"unset-space-role", "aud-user", "acme", "dev", "SpaceAuditor"});
  ASSERT_EQ(unset.code, 0) << unset.all();
  ASSERT_EQ(foundry({"unset-org-role", "aud-user", "acme", "OrgAuditor"}).code, 0);
  json aud = get("/v3/users?usernames=aud-user")["resources"];
  ASSERT_EQ(aud.size(), 1u);
  EXPECT_TRUE(get("/v3/roles?types=space_auditor,organization_auditor&user_guids=" +
                  aud[0]["guid"].get<std::string>())["resources"]
                  .empty());
  CliRun del_user = foundry({"delete-user", "aud-user", "-f"});
  ASSERT_EQ(del_user.code, 0) << del_user.all();
  EXPECT_TRUE(get("/v3/users?usernames=aud-user")["resources"].empty());
  EXPECT_EQ(foundry({"login", "-u", "aud-user", "-p", "aud-pass-1"}).code, 1);
  ASSERT_EQ(foundry({"login", "-u", "admin", "-p", kTestAdminPassword, "-o", "acme", "-s", "dev"})
                .code,
            0);
  CliRun del_space = foundry({"delete-space", "empty", "-f"});
  ASSERT_EQ(del_space.code, 0) << del_space.all();
  EXPECT_TRUE(get("/v3/spaces?names=empty")["resources"].empty());
  CliRun del_org = foundry({"delete-org", "acme", "-f"});
  ASSERT_EQ(del_org.code, 0) << del_org.all();
  EXPECT_TRUE(get("/v3/organizations?names=acme")["resources"].empty());
  // It was the target: now nothing is.
  CliRun untargeted = foundry({"apps"});
  EXPECT_EQ(untargeted.code, 1);
  EXPECT_NE(untargeted.err.find("No org and space targeted"), std::string::npos)
      << untargeted.all();
  CliRun gone = foundry({"delete-org", "acme", "-f"});
  EXPECT_EQ(gone.code, 0);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.all();
}

// Access tokens that live 2 s: after 3 s a command still works because the CLI refreshed
// (and saved the new token); a broken refresh token means logging in again.
TEST_F(FoundryCliTest, AnExpiredTokenIsRefreshed) {
  stopController();
  ASSERT_TRUE(startController({"--access-token-ttl", "2"})) << readFile(dir_ / "controller.log");
  targetApi();
  const std::string first = config()["access_token"];
  std::this_thread::sleep_for(3s);
  CliRun apps = foundry({"apps"});
  ASSERT_EQ(apps.code, 0) << apps.all();
  const std::string second = config()["access_token"];
  EXPECT_NE(first, second);
  EXPECT_EQ(apps.all().find(second), std::string::npos);
  EXPECT_EQ(foundry({"orgs"}).code, 0);

  json broken = config();
  broken["refresh_token"] = "not-a-token";
  std::ofstream(dir_ / "home" / "config.json") << broken.dump();
  std::this_thread::sleep_for(3s);
  CliRun expired = foundry({"apps"});
  EXPECT_EQ(expired.code, 1);
  EXPECT_NE(expired.err.find("Not logged in. Use 'foundry login' or 'foundry auth' to log in."),
            std::string::npos)
      << expired.all();
}

TEST_F(FoundryCliTest, RouteCommandsChangeTheControllersRoutes) {
  targetApi();
  std::string app = createApp("green");

  CliRun domains = foundry({"domains"});
  EXPECT_EQ(domains.code, 0);
  EXPECT_NE(domains.out.find("apps.internal   shared"), std::string::npos) << domains.out;

  CliRun create = foundry({"create-route", "apps.internal", "-n", "demo", "--path", "api"});
  ASSERT_EQ(create.code, 0) << create.all();
  json routes = routesFor("demo");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["path"], "/api");
  CliRun again = foundry({"create-route", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.all();
  EXPECT_EQ(routesFor("demo").size(), 1u);

  CliRun map = foundry({"map-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  ASSERT_EQ(map.code, 0) << map.all();
  json destinations = get("/v3/routes/" + routes[0]["guid"].get<std::string>() + "/destinations");
  ASSERT_EQ(destinations["destinations"].size(), 1u) << destinations;
  EXPECT_EQ(destinations["destinations"][0]["app"]["guid"], app);
  CliRun remap = foundry({"map-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(remap.code, 0);
  EXPECT_NE(remap.out.find("already mapped"), std::string::npos) << remap.all();

  // map-route creates a missing route.
  CliRun map_new = foundry({"map-route", "green", "apps.internal", "-n", "fresh"});
  ASSERT_EQ(map_new.code, 0) << map_new.all();
  ASSERT_EQ(routesFor("fresh").size(), 1u);
  EXPECT_EQ(routesFor("fresh")[0]["destinations"].size(), 1u);

  CliRun list = foundry({"routes"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("demo"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("/api"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("green"), std::string::npos) << list.out;

  CliRun apps = foundry({"apps"});
  EXPECT_EQ(apps.code, 0);
  EXPECT_NE(apps.out.find("green"), std::string::npos);
  EXPECT_NE(apps.out.find("demo.apps.internal/api"), std::string::npos) << apps.out;
  EXPECT_NE(apps.out.find("fresh.apps.internal"), std::string::npos) << apps.out;

  CliRun unmap = foundry({"unmap-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  ASSERT_EQ(unmap.code, 0) << unmap.all();
  destinations = get("/v3/routes/" + routes[0]["guid"].get<std::string>() + "/destinations");
  EXPECT_TRUE(destinations["destinations"].empty()) << destinations;

  CliRun cancelled = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(cancelled.code, 0);  // no -f and stdin at EOF: not deleted
  EXPECT_EQ(routesFor("demo").size(), 1u);
  CliRun removed = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api", "-f"});
  ASSERT_EQ(removed.code, 0) << removed.all();
  EXPECT_TRUE(routesFor("demo").empty());
  CliRun gone = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api", "-f"});
  EXPECT_EQ(gone.code, 0);
  EXPECT_NE(gone.err.find("not found"), std::string::npos) << gone.all();
}

TEST_F(FoundryCliTest, ShiftTrafficStepsTheWeightsThenUnmapsTheOldApp) {
  targetApi();
  std::string blue = createApp("blue");
  std::string green = createApp("green");
  createApp("other");
  ASSERT_EQ(foundry({"map-route", "blue", "apps.internal", "-n", "demo"}).code, 0);
  const std::string route = routesFor("demo")[0]["guid"];
  EXPECT_EQ(get("/v3/routes/" + route + "/destinations")["destinations"][0]["app"]["guid"], blue);

  CliRun missing = foundry({"shift-traffic", "demo.apps.internal", "--from", "green", "--to",
                            "blue", "--interval", "0"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.all().find("App 'green' is not mapped to route 'demo.apps.internal'"),
            std::string::npos)
      << missing.all();
  CliRun bad_steps = foundry({"shift-traffic", "demo.apps.internal", "--from", "blue", "--to",
                              "green", "--steps", "0"});
  EXPECT_EQ(bad_steps.code, 1);
  EXPECT_NE(bad_steps.all().find("--steps must be between 1 and 100"), std::string::npos);

  CliRun shift = foundry({"shift-traffic", "demo.apps.internal", "--from", "blue", "--to",
                          "green", "--steps", "4", "--interval", "10ms"});
  ASSERT_EQ(shift.code, 0) << shift.all();
  for (const char* step : {"Step 1/4: blue 75%, green 25%", "Step 2/4: blue 50%, green 50%",
                           "Step 3/4: blue 25%, green 75%", "Step 4/4: green 100%, blue unmapped"}) {
    EXPECT_NE(shift.out.find(step), std::string::npos) << step << "\n" << shift.out;
  }
  json destinations = get("/v3/routes/" + route + "/destinations")["destinations"];
  ASSERT_EQ(destinations.size(), 1u) << destinations;
  EXPECT_EQ(destinations[0]["app"]["guid"], green);
  EXPECT_EQ(destinations[0]["weight"], 100);

  // A route with a third app is refused (two apps only), and nothing changes.
  ASSERT_EQ(foundry({"map-route", "blue", "apps.internal", "-n", "three"}).code, 0);
  const std::string three = routesFor("three")[0]["guid"];
  ASSERT_EQ(foundry({"map-route", "other", "apps.internal", "-n", "three"}).code, 0);
  CliRun crowded = foundry({"shift-traffic", "three.apps.internal", "--from", "blue", "--to",
                            "green", "--interval", "0"});
  EXPECT_EQ(crowded.code, 1);
  EXPECT_NE(crowded.all().find("two apps only"), std::string::npos) << crowded.all();
  EXPECT_EQ(get("/v3/routes/" + three + "/destinations")["destinations"].size(), 2u);
}

TEST_F(FoundryCliTest, ErrorsPrintFailedAndTheV3Detail) {
  targetApi();
  CliRun no_app = foundry({"map-route", "nope", "apps.internal", "-n", "x"});
  EXPECT_EQ(no_app.code, 1);
  EXPECT_NE(no_app.out.find("FAILED"), std::string::npos);
  EXPECT_NE(no_app.err.find("App 'nope' not found."), std::string::npos) << no_app.all();

  CliRun no_domain = foundry({"create-route", "nope.example", "-n", "x"});
  EXPECT_EQ(no_domain.code, 1);
  EXPECT_NE(no_domain.err.find("Domain 'nope.example' not found."), std::string::npos);

  // The controller's own validation text comes through.
  CliRun bad_host = foundry({"create-route", "apps.internal", "-n", "bad host!"});
  EXPECT_EQ(bad_host.code, 1);
  EXPECT_NE(bad_host.out.find("FAILED"), std::string::npos);
  EXPECT_FALSE(bad_host.err.empty());

  CliRun bad_memory = foundry({"push", "x", "-m", "256", "--no-start"});
  EXPECT_EQ(bad_memory.code, 1);
  EXPECT_NE(bad_memory.err.find("unit of measurement"), std::string::npos) << bad_memory.all();
  EXPECT_TRUE(get("/v3/apps?names=x")["resources"].empty());  // nothing was created

  createApp("scaled");
  CliRun bad_scale = foundry({"scale", "scaled", "-k", "4G"});
  EXPECT_EQ(bad_scale.code, 1);
  EXPECT_NE(bad_scale.out.find("FAILED"), std::string::npos);
}

TEST_F(FoundryCliTest, ScaleStopAndDeleteWithRoutes) {
  targetApi();
  std::string app = createApp("blue");
  CliRun scale = foundry({"scale", "blue", "-i", "3", "-m", "256M", "-k", "512M"});
  ASSERT_EQ(scale.code, 0) << scale.all();
  json web = get("/v3/apps/" + app + "/processes/web");
  EXPECT_EQ(web["instances"], 3);
  EXPECT_EQ(web["memory_in_mb"], 256);
  EXPECT_EQ(web["disk_in_mb"], 512);

  CliRun show = foundry({"app", "blue"});
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("requested state:   stopped"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("memory usage:    256M"), std::string::npos) << show.out;

  CliRun stop = foundry({"stop", "blue"});
  EXPECT_EQ(stop.code, 0);
  EXPECT_NE(stop.out.find("already stopped"), std::string::npos) << stop.all();

  ASSERT_EQ(foundry({"map-route", "blue", "apps.internal", "-n", "blue"}).code, 0);
  CliRun keep = foundry({"delete", "blue"});  // no -f, stdin at EOF
  EXPECT_EQ(keep.code, 0);
  EXPECT_EQ(get("/v3/apps?names=blue")["resources"].size(), 1u);
  CliRun del = foundry({"delete", "blue", "-f", "-r"});
  ASSERT_EQ(del.code, 0) << del.all();
  EXPECT_TRUE(get("/v3/apps?names=blue")["resources"].empty());
  EXPECT_TRUE(routesFor("blue").empty());
  CliRun again = foundry({"delete", "blue", "-f"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("does not exist"), std::string::npos) << again.all();
}

TEST_F(FoundryCliTest, PushNoStartOfNodeHello) {
  targetApi();
  fs::path source = nodeHello();
  fs::path app_dir = dir_ / "node-hello";
  fs::copy(source, app_dir, fs::copy_options::recursive);
  std::ofstream(app_dir / ".cfignore") << "*.log\n";
  std::ofstream(app_dir / "debug.log") << "not uploaded\n";

  CliRun push =
      foundry({"push", "node-hello", "--no-start", "-p", app_dir.string(), "-i", "2", "-m", "256M",
               "-k", "512M", "-u", "http", "--endpoint", "/", "-t", "30", "-c", "node server.js"},
              dir_, 120s);
  // Whatever the controller supports, the app, its process settings and its default route
  // come first.
  json apps = get("/v3/apps?names=node-hello")["resources"];
  ASSERT_EQ(apps.size(), 1u) << push.all();
  std::string app = apps[0]["guid"];
  EXPECT_EQ(apps[0]["state"], "STOPPED");
  json web = get("/v3/apps/" + app + "/processes/web");
  EXPECT_EQ(web["instances"], 2);
  EXPECT_EQ(web["memory_in_mb"], 256);
  EXPECT_EQ(web["disk_in_mb"], 512);
  EXPECT_EQ(web["command"], "node server.js");
  EXPECT_EQ(web["health_check"]["type"], "http");
  EXPECT_EQ(web["health_check"]["data"]["endpoint"], "/");
  EXPECT_EQ(web["health_check"]["data"]["timeout"], 30);
  json routes = get("/v3/apps/" + app + "/routes")["resources"];
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["host"], "node-hello");

  bool has_packages = adminCall("GET", "/v3/packages").status != 404;
  if (!has_packages) {
    // This controller has no packages yet: push stops there and says so.
    EXPECT_EQ(push.code, 1) << push.all();
    EXPECT_NE(push.err.find("/v3/packages"), std::string::npos) << push.all();
    GTEST_SKIP() << "controller has no /v3/packages yet; checked up to routes";
  }
  json packages = get("/v3/packages?app_guids=" + app + "&states=READY")["resources"];
  ASSERT_EQ(packages.size(), 1u) << push.all();
  bool has_builds = push.err.find("/v3/builds is not served") == std::string::npos;
  if (!has_builds) {
    EXPECT_EQ(push.code, 1);
    GTEST_SKIP() << "controller has packages but no builds yet; checked up to package READY";
  }
  ASSERT_EQ(push.code, 0) << push.all();
  auto droplet = adminCall("GET", "/v3/apps/" + app + "/droplets/current");
  EXPECT_EQ(droplet.status, 200) << droplet.body;
  EXPECT_EQ(get("/v3/apps/" + app)["state"], "STOPPED");
}

}  // namespace
}  // namespace foundry::test
