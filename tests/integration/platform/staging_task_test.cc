// Staging as a task on a cell, end to end: the controller no longer runs the stager. A push
// desires a cf-app-staging task whose guid is the build's; a cell downloads the package from
// the controller, runs the stager from its lifecycle folder in a container, streams the output
// to the app's logs (source STG), uploads the droplet and the build cache, and the scheduler's
// callback stages the build. A cell killed in the middle of a staging fails the build with
// Diego's "cell disappeared before task completion", and the CLI says so.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "tests/integration/platform/platform.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

class StagingTaskTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(platform_.start()) << platform_.logs(); }

  // The index of the cell whose log shows `needle`, -1 when none does.
  int cellLogging(const std::string& needle) {
    for (int i = 0; i < 2; ++i) {
      if (platform_.cell(i).logs().find(needle) != std::string::npos) return i;
    }
    return -1;
  }

  // The app's only build (null until there is one).
  json onlyBuild(const std::string& app_name) {
    json apps = platform_.api("/v3/apps?names=" + app_name);
    if (!apps.is_object() || apps["resources"].empty()) return json();
    const std::string app = apps["resources"][0]["guid"];
    json builds = platform_.api("/v3/apps/" + app + "/builds");
    if (!builds.is_object() || builds["resources"].size() != 1) return json();
    return builds["resources"][0];
  }

  Platform platform_;
};

TEST_F(StagingTaskTest, PushStagesOnACellAndUploadsTheDropletAndTheCache) {
  CliResult push = platform_.cli({"push", "stagee", "-p", platform_.example("node-hello")});
  ASSERT_EQ(push.exit_code, 0) << push.output << platform_.logs();
  // The buildpack's own output, streamed from the cell over NATS into the app's logs.
  EXPECT_NE(push.output.find("Running "), std::string::npos) << push.output;

  json build = onlyBuild("stagee");
  ASSERT_FALSE(build.is_null());
  EXPECT_EQ(build["state"], "STAGED");
  const std::string build_guid = build["guid"];
  // The task ran on a cell under the build's guid; the controller took its droplet.
  EXPECT_GE(cellLogging("\"task_guid\":\"" + build_guid + "\""), 0) << platform_.logs();
  EXPECT_NE(platform_.controllerLogs().find("staging-upload-received"), std::string::npos);
  EXPECT_EQ(platform_.controllerLogs().find("staging-started"), std::string::npos)
      << "the controller ran the stager itself";
  const std::string app = platform_.appGuid("stagee");
  EXPECT_TRUE(fs::exists(platform_.dir() + "/controller/blobs/caches/" + app + ".tgz"));
  // Nothing of the upload is left behind by build guid once the build is staged.
  EXPECT_FALSE(fs::exists(platform_.dir() + "/controller/blobs/staged/" + build_guid + ".tgz"));

  ASSERT_TRUE(platform_.waitRunning("stagee", 1)) << platform_.logs();
  auto r = platform_.get("stagee.apps.internal");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(StagingTaskTest, CellKilledMidStagingFailsTheBuild) {
  // An app carrying its own buildpack whose compile takes a while (a marker we can find).
  const std::string app_dir = platform_.dir() + "/slow-app";
  fs::create_directories(app_dir + "/slowpack/bin");
  std::ofstream(app_dir + "/index.txt") << "hello\n";
  std::ofstream(app_dir + "/slowpack/bin/compile")
      << "#!/bin/bash\necho slowpack-compiling\nexec sleep 47.25\n";
  std::ofstream(app_dir + "/slowpack/bin/release")
      << "#!/bin/bash\nprintf -- '---\\ndefault_process_types:\\n  web: sleep 1000\\n'\n";
  for (const char* script : {"compile", "release"}) {
    fs::permissions(app_dir + "/slowpack/bin/" + script, fs::perms::owner_all | fs::perms::group_read |
                                                             fs::perms::group_exec |
                                                             fs::perms::others_read |
                                                             fs::perms::others_exec);
  }
  auto push = std::async(std::launch::async, [&] {
    return platform_.cli({"push", "slow", "-p", app_dir, "-b", "/tmp/app/slowpack"}, 150s);
  });

  // Wait for the staging task to run on a cell, then kill that cell.
  std::string build_guid;
  int cell = -1;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       cell < 0 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(200ms)) {
    json build = onlyBuild("slow");
    if (build.is_null()) continue;
    build_guid = build["guid"];
    cell = cellLogging("\"task-spawned\"");
    if (cell >= 0 && platform_.cell(cell).logs().find(build_guid) == std::string::npos) cell = -1;
  }
  ASSERT_GE(cell, 0) << "the staging task never started" << platform_.logs();
  platform_.cell(cell).signal(SIGKILL);

  // The scheduler misses the cell (its TTL), fails the task, and calls the controller back.
  json failed;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
    failed = onlyBuild("slow");
    if (!failed.is_null() && failed["state"] != "STAGING") break;
  }
  // The orphaned container's compile ends at once, so nothing outlives the test.
  std::system("pkill -f 'sleep 47.25' >/dev/null 2>&1");
  ASSERT_FALSE(failed.is_null());
  EXPECT_EQ(failed["state"], "FAILED") << failed.dump() << platform_.logs();
  EXPECT_EQ(failed["error"],
            "StagingError - Staging error: cell disappeared before task completion");
  CliResult result = push.get();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("cell disappeared before task completion"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace foundry::test
