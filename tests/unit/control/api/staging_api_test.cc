// Packages, builds and droplets through Api::handle with a fake StagingBackend: the build
// lifecycle without running the stager, the CC errors around it, and the current droplet.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "control/api/api.h"
#include "control/blobstore/hashing.h"
#include "control/blobstore/local_blobstore.h"
#include "control/logs/log_buffer.h"
#include "control/staging/staging_backend.h"
#include "control/store/sqlite_store.h"
#include "tests/unit/control/test_tokens.h"
#include "tests/unit/control/staging/zip_builder.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct FakeStager : StagingBackend {
  std::vector<StagingTask> tasks;
  void stage(const StagingTask& task) override { tasks.push_back(task); }
};

class StagingApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-staging-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    blobs_ = std::make_unique<LocalBlobstore>(dir_ + "/blobs");
    api_ = std::make_unique<Api>(*store_, ApiConfig{});
    api_->bootstrap();
    tokens_ = std::make_unique<test_support::TestTokens>(*store_);
    api_->useTokenService(tokens_->service.get());
    StagingServices services;  // no offload: uploads are assembled inline
    services.blobs = blobs_.get();
    services.stager = &stager_;
    services.logs = &logs_;
    api_->useStaging(services);
    app_ = call("POST", "/v3/apps",
                {{"name", "a"},
                 {"relationships", {{"space", {{"data", {{"guid", api_->defaultSpaceGuid()}}}}}}}})
               .body["guid"];
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  ApiResponse call(const std::string& method, const std::string& path, const json& body = nullptr,
                   const std::string& content_type = "application/json") {
    ApiRequest r;
    r.method = method;
    auto q = path.find('?');
    r.path = path.substr(0, q);
    r.query = q == std::string::npos ? "" : path.substr(q + 1);
    r.body = body.is_null() ? "" : body.is_string() ? body.get<std::string>() : body.dump();
    r.base_url = "http://ctl";
    r.content_type = content_type;
    r.authorization = tokens_->admin;
    return api_->handle(r);
  }
  std::string readyPackage() {
    std::string pkg =
        call("POST", "/v3/packages",
             {{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", app_}}}}}}}})
            .body["guid"];
    std::string zip = test::makeZip({{"index.html", "hi"}});
    std::string body = "--B\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"a.zip\"\r\n\r\n" +
                       zip + "\r\n--B--\r\n";
    ApiResponse r = call("POST", "/v3/packages/" + pkg + "/upload", json(body),
                         "multipart/form-data; boundary=B");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["state"], "READY");
    return pkg;
  }

  std::string dir_, app_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<LocalBlobstore> blobs_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<test_support::TestTokens> tokens_;
  FakeStager stager_;
  LogBuffer logs_;
};

TEST_F(StagingApiTest, BuildLifecycleToCurrentDroplet) {
  const std::string pkg = readyPackage();
  ApiResponse b = call("POST", "/v3/builds",
                       {{"package", {{"guid", pkg}}},
                        {"lifecycle", {{"type", "buildpack"}, {"data", {{"buildpacks", {"staticfile"}}}}}}});
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.body["state"], "STAGING");
  EXPECT_EQ(b.body["lifecycle"]["data"]["buildpacks"], json({"staticfile"}));
  ASSERT_EQ(stager_.tasks.size(), 1u);
  EXPECT_EQ(stager_.tasks[0].app_guid, app_);
  EXPECT_EQ(stager_.tasks[0].buildpacks, std::vector<std::string>{"staticfile"});
  EXPECT_TRUE(blobs_->blobPath(stager_.tasks[0].package_sha256));

  // A second build while one is STAGING.
  ApiResponse busy = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}});
  EXPECT_EQ(busy.status, 422);
  EXPECT_EQ(busy.body["errors"][0]["code"], 170017);
  EXPECT_EQ(busy.body["errors"][0]["title"], "CF-StagingInProgress");

  StagingResult r;
  r.build_guid = b.body["guid"];
  r.app_guid = app_;
  r.ok = true;
  r.exit_code = 0;
  r.droplet_sha256 = std::string(64, 'e');
  r.process_types = {{"web", "bash nginx/boot.sh"}};
  r.start_command = "bash nginx/boot.sh";
  api_->finishStaging(r);
  api_->finishStaging(r);  // a duplicate report changes nothing
  json build = call("GET", "/v3/builds/" + r.build_guid).body;
  EXPECT_EQ(build["state"], "STAGED");
  const std::string droplet = build["droplet"]["guid"];
  EXPECT_EQ(call("GET", "/v3/apps/" + app_ + "/droplets").body["pagination"]["total_results"], 1);
  json d = call("GET", "/v3/droplets/" + droplet).body;
  EXPECT_EQ(d["process_types"], json({{"web", "bash nginx/boot.sh"}}));
  EXPECT_EQ(d["checksum"]["value"], std::string(64, 'e'));
  EXPECT_EQ(d["links"]["download"]["href"], "http://ctl/internal/v1/droplets/" + droplet + "/download");

  EXPECT_EQ(call("GET", "/v3/apps/" + app_ + "/droplets/current").status, 404);
  EXPECT_EQ(call("GET", "/v3/apps/" + app_ + "/relationships/current_droplet").body["data"], nullptr);
  const std::string version_before = store_->listProcesses(app_)[0].version;
  ApiResponse set = call("PATCH", "/v3/apps/" + app_ + "/relationships/current_droplet",
                         {{"data", {{"guid", droplet}}}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body["data"]["guid"], droplet);
  EXPECT_EQ(set.body["links"]["related"]["href"], "http://ctl/v3/apps/" + app_ + "/droplets/current");
  EXPECT_EQ(call("GET", "/v3/apps/" + app_ + "/droplets/current").body["guid"], droplet);
  EXPECT_EQ(call("GET", "/v3/apps/" + app_).body["relationships"]["current_droplet"]["data"]["guid"],
            droplet);
  const std::string version_after = store_->listProcesses(app_)[0].version;
  EXPECT_NE(version_after, version_before);  // a new droplet is a new LRP
  call("PATCH", "/v3/apps/" + app_ + "/relationships/current_droplet", {{"data", {{"guid", droplet}}}});
  EXPECT_EQ(store_->listProcesses(app_)[0].version, version_after);  // the same one: no change

  // Another app's droplet, or none at all.
  ApiResponse wrong = call("PATCH", "/v3/apps/" + app_ + "/relationships/current_droplet",
                           {{"data", {{"guid", "nope"}}}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_EQ(wrong.body["errors"][0]["detail"],
            "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.");
  // The blob was never stored (fake stager): the download is a 404, not a crash.
  EXPECT_EQ(call("GET", "/internal/v1/droplets/" + droplet + "/download").status, 404);
}

TEST_F(StagingApiTest, FailedStagingAndRestart) {
  const std::string pkg = readyPackage();
  std::string b1 = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}}).body["guid"];
  StagingResult r;
  r.build_guid = b1;
  r.app_guid = app_;
  r.exit_code = 222;
  r.error = "NoAppDetectedError - An app was not successfully detected by any available buildpack";
  api_->finishStaging(r);
  json build = call("GET", "/v3/builds/" + b1).body;
  EXPECT_EQ(build["state"], "FAILED");
  EXPECT_EQ(build["error"], r.error);
  EXPECT_TRUE(build["droplet"].is_null());
  // The failure is in the app's logs too.
  ASSERT_EQ(logs_.size(app_), 1u);

  std::string b2 = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}}).body["guid"];
  EXPECT_EQ(api_->failInterruptedBuilds(), 1);
  EXPECT_EQ(call("GET", "/v3/builds/" + b2).body["error"], "StagingError - controller restarted");
  EXPECT_EQ(call("GET", "/v3/apps/" + app_ + "/builds").body["pagination"]["total_results"], 2);
}

TEST_F(StagingApiTest, PackageRulesAndResourceMatches) {
  ApiResponse p = call("POST", "/v3/packages", {{"type", "bits"}});
  EXPECT_EQ(p.status, 422);
  p = call("POST", "/v3/packages",
           {{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", "nope"}}}}}}}});
  EXPECT_EQ(p.status, 422);
  p = call("POST", "/v3/packages",
           {{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", app_}}}}}}}});
  ASSERT_EQ(p.status, 201);
  const std::string pkg = p.body["guid"];
  EXPECT_EQ(p.body["data"]["checksum"], json({{"type", "sha256"}, {"value", nullptr}}));
  EXPECT_EQ(p.body["links"]["upload"]["method"], "POST");
  ApiResponse build = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}});
  EXPECT_EQ(build.status, 400);
  EXPECT_EQ(build.body["errors"][0]["detail"],
            "Bad request: Cannot stage package whose state is not ready.");
  EXPECT_EQ(call("POST", "/v3/builds", {{"package", {{"guid", "nope"}}}}).status, 422);
  EXPECT_EQ(call("GET", "/v3/packages/nope").status, 404);

  readyPackage();  // puts index.html ("hi") in the resource cache
  json res = {{"resources",
               {{{"checksum", {{"value", sha1Hex("hi")}}}, {"size_in_bytes", 2}, {"path", "x"}},
                {{"checksum", {{"value", sha1Hex("other")}}}, {"size_in_bytes", 5}}}}};
  ApiResponse m = call("POST", "/v3/resource_matches", res);
  ASSERT_EQ(m.status, 201);
  ASSERT_EQ(m.body["resources"].size(), 1u);
  EXPECT_EQ(m.body["resources"][0]["checksum"]["value"], sha1Hex("hi"));
  EXPECT_EQ(call("POST", "/v3/resource_matches", {{"resources", 3}}).status, 422);

  json list = call("GET", "/v3/apps/" + app_ + "/packages?states=READY").body;
  EXPECT_EQ(list["pagination"]["total_results"], 1);
  EXPECT_EQ(call("GET", "/v3/packages?bogus=1").status, 400);
}

// Staging as a task on a cell (TaskStaging): the build's task fetches and sends through the
// internal endpoints and reports through the scheduler's callback; the scheduler is faked at
// the SchedulingHooks (what a lookup of a task answers).
class StagingTaskApiTest : public StagingApiTest {
 protected:
  void SetUp() override {
    StagingApiTest::SetUp();
    StagingServices services;
    services.blobs = blobs_.get();
    services.stager = &stager_;
    services.logs = &logs_;
    services.staging_tasks = true;
    api_->useStaging(services);
    SchedulingHooks hooks;
    hooks.task_state = [this](const std::string& guid) {
      lookups_.push_back(guid);
      return scheduler_answer_;
    };
    hooks.cancel_task = [this](const std::string& guid) {
      cancelled_.push_back(guid);
      return std::string();
    };
    api_->setSchedulingHooks(hooks);
  }
  std::string stagingBuild() {
    ApiResponse b = call("POST", "/v3/builds", {{"package", {{"guid", readyPackage()}}}});
    EXPECT_EQ(b.status, 201) << b.body;
    return b.body["guid"];
  }
  ApiResponse upload(const std::string& path, const std::string& bytes,
                     const std::string& checksum) {
    ApiRequest r;
    r.method = "POST";
    r.path = path;
    r.body = bytes;
    r.base_url = "http://ctl";
    r.checksum_sha256 = checksum;
    return api_->handle(r);
  }
  ApiResponse report(const std::string& build, const json& task) {
    return call("POST", "/internal/v3/staging/" + build + "/build_completed", task);
  }
  json build(const std::string& guid) { return call("GET", "/v3/builds/" + guid).body; }

  TaskLookup scheduler_answer_;
  std::vector<std::string> lookups_, cancelled_;
};

TEST_F(StagingTaskApiTest, TheTasksTransfersAndReportStageTheBuild) {
  const std::string b = stagingBuild();
  ASSERT_EQ(stager_.tasks.size(), 1u);
  const StagingTask& task = stager_.tasks[0];
  EXPECT_EQ(task.memory_mb, 1024);
  // The package, as the cell downloads it: the bytes the blobstore holds, with their sha256.
  ApiResponse pkg = call("GET", "/internal/v1/packages/" + task.package_guid + "/download");
  ASSERT_EQ(pkg.status, 200) << pkg.body;
  EXPECT_EQ(pkg.file_path, *blobs_->blobPath(task.package_sha256));
  EXPECT_EQ(call("GET", "/internal/v1/packages/nope/download").status, 404);
  // No build cache yet: the optional download is a 404.
  EXPECT_EQ(call("GET", "/internal/v1/apps/" + app_ + "/buildpack_cache").status, 404);

  // Uploads are taken only with the body's sha256.
  const std::string droplet = "droplet bytes";
  const std::string droplet_path = "/internal/v1/builds/" + b + "/droplet";
  EXPECT_EQ(upload(droplet_path, droplet, "").status, 400);
  EXPECT_EQ(upload(droplet_path, droplet, sha256Hex("other")).status, 400);
  EXPECT_EQ(upload(droplet_path, "", sha256Hex("")).status, 400);
  EXPECT_EQ(upload("/internal/v1/builds/nope/droplet", droplet, sha256Hex(droplet)).status, 404);
  EXPECT_EQ(upload(droplet_path, droplet, sha256Hex(droplet)).status, 201);
  const std::string cache = "cache bytes";
  EXPECT_EQ(upload("/internal/v1/builds/" + b + "/buildpack_cache", cache, sha256Hex(cache)).status,
            201);
  EXPECT_EQ(call("GET", "/internal/v1/apps/" + app_ + "/buildpack_cache").status, 200);

  // Another task's report is refused; this one's stages the build.
  EXPECT_EQ(report(b, {{"task_guid", "other"}, {"failed", false}}).status, 422);
  EXPECT_EQ(build(b)["state"], "STAGING");
  json result = {{"process_types", {{"web", "node server.js"}}},
                 {"lifecycle_metadata",
                  {{"detected_buildpack", "nodejs"},
                   {"buildpacks", {{{"key", "nodejs_buildpack"}, {"name", "nodejs"}}}}}}};
  ApiResponse done = report(b, {{"task_guid", b}, {"failed", false}, {"result", result.dump()}});
  EXPECT_EQ(done.status, 200) << done.body;
  json staged = build(b);
  ASSERT_EQ(staged["state"], "STAGED") << staged;
  json d = call("GET", "/v3/droplets/" + staged["droplet"]["guid"].get<std::string>()).body;
  EXPECT_EQ(d["checksum"]["value"], sha256Hex(droplet));
  EXPECT_EQ(d["process_types"], json({{"web", "node server.js"}}));
  EXPECT_EQ(d["buildpacks"][0]["buildpack_name"], "nodejs");
  EXPECT_TRUE(blobs_->blobPath(sha256Hex(droplet)));

  // A finished build takes no more uploads, and a second report changes nothing.
  EXPECT_EQ(upload(droplet_path, "evil", sha256Hex("evil")).status, 422);
  EXPECT_EQ(report(b, {{"task_guid", b}, {"failed", true}}).status, 200);
  EXPECT_EQ(build(b)["state"], "STAGED");
}

TEST_F(StagingTaskApiTest, FailedOrLostTasksFailTheBuildWithTheirReason) {
  // The stager's exit status names CC's error.
  std::string b = stagingBuild();
  report(b, {{"task_guid", b}, {"failed", true}, {"exit_code", 222},
             {"failure_reason", "STG: Exited with status 222"}});
  EXPECT_EQ(build(b)["error"],
            "NoAppDetectedError - An app was not successfully detected by any available "
            "buildpack");
  // A failure after the droplet's upload (the cache's failed) leaves nothing behind.
  b = stagingBuild();
  ASSERT_EQ(upload("/internal/v1/builds/" + b + "/droplet", "d", sha256Hex("d")).status, 201);
  ASSERT_TRUE(fs::exists(dir_ + "/blobs/staged/" + b + ".tgz"));
  report(b, {{"task_guid", b}, {"failed", true}, {"failure_reason", "failed to upload"}});
  EXPECT_EQ(build(b)["error"], "StagingError - Staging error: failed to upload");
  EXPECT_FALSE(fs::exists(dir_ + "/blobs/staged/" + b + ".tgz"));
  // A success without a droplet is no success.
  b = stagingBuild();
  report(b, {{"task_guid", b}, {"failed", false}, {"result", "{}"}});
  EXPECT_EQ(build(b)["error"], "StagingError - Staging error: the staging task uploaded no droplet");

  // A restart leaves task builds STAGING; the sync asks the scheduler about them.
  b = stagingBuild();
  EXPECT_EQ(api_->failInterruptedBuilds(), 0);
  scheduler_answer_.outcome = TaskLookup::Outcome::kUnreachable;
  EXPECT_EQ(api_->syncStagingTasks(), 0);
  scheduler_answer_.outcome = TaskLookup::Outcome::kFound;  // still running
  EXPECT_EQ(api_->syncStagingTasks(), 0);
  EXPECT_EQ(build(b)["state"], "STAGING");
  scheduler_answer_.completed = true;  // its callback was lost
  scheduler_answer_.failed = true;
  scheduler_answer_.failure_reason = "cell disappeared before task completion";
  EXPECT_EQ(api_->syncStagingTasks(), 1);
  EXPECT_EQ(build(b)["error"],
            "StagingError - Staging error: cell disappeared before task completion");
  EXPECT_EQ(lookups_.back(), b);

  b = stagingBuild();
  scheduler_answer_ = {};
  scheduler_answer_.outcome = TaskLookup::Outcome::kMissing;
  EXPECT_EQ(api_->syncStagingTasks(), 1);
  EXPECT_EQ(build(b)["error"],
            "StagingError - Staging error: the staging task was lost by the scheduler");
}

TEST_F(StagingTaskApiTest, ATaskPastTheStagingTimeoutIsCancelledAndTheBuildFails) {
  StagingServices services;
  services.blobs = blobs_.get();
  services.stager = &stager_;
  services.staging_tasks = true;
  services.staging_timeout_seconds = -61;  // the wait (timeout + 60 s) is already over
  api_->useStaging(services);
  const std::string b = stagingBuild();
  scheduler_answer_.outcome = TaskLookup::Outcome::kFound;  // running, not completed
  EXPECT_EQ(api_->syncStagingTasks(), 1);
  EXPECT_EQ(cancelled_, std::vector<std::string>{b});
  EXPECT_EQ(build(b)["error"], "StagingTimeExpired - Staging time expired");
}

}  // namespace
}  // namespace foundry::control
