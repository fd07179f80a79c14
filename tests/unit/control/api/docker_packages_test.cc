// Docker apps through Api::handle with a fake StagingBackend: docker packages (READY at once,
// the password sealed and never shown), their builds and droplets, the desired LRP the cells
// get, and the requests the cf CLI v8 sends for `cf push APP --docker-image` (PLATFORM-APIS.md
// B.4), replayed in order.
#include <gtest/gtest.h>

#include "control/api/api.h"
#include "control/logs/log_buffer.h"
#include "control/scheduling/desired_state.h"
#include "control/staging/staging_backend.h"
#include "control/store/sqlite_store.h"
#include "tests/test_common/files.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::control {
namespace {

using nlohmann::json;

struct RecordingDockerStager : StagingBackend {
  std::vector<StagingTask> tasks;
  void stage(const StagingTask& task) override { tasks.push_back(task); }
};

constexpr const char* kPinned =
    "127.0.0.1:5000/team/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class DockerPackagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StagingServices services;
    services.stager = &stager_;
    services.logs = &logs_;
    h_.api().useStaging(services);
    space_ = h_.api().defaultSpaceGuid();
    store_ = &h_.store();
  }
  ApiResponse call(const std::string& method, const std::string& path, const json& body = nullptr,
                   const std::string& content_type = "application/json") {
    if (body.is_string()) {
      return h_.call(h_.tokens().admin, method, path, body.get<std::string>(), content_type);
    }
    return h_.call(h_.tokens().admin, method, path, body);
  }
  std::string createApp(const std::string& name, const std::string& lifecycle) {
    ApiResponse r = call("POST", "/v3/apps",
                         {{"name", name},
                          {"lifecycle", {{"type", lifecycle}, {"data", json::object()}}},
                          {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  ApiResponse dockerPackage(const std::string& app, const json& data) {
    return call("POST", "/v3/packages",
                {{"type", "docker"},
                 {"data", data},
                 {"relationships", {{"app", {{"data", {{"guid", app}}}}}}}});
  }
  // What the docker lifecycle builder reports for a staged image.
  StagingResult stagedImage(const std::string& build_guid, const std::string& app) {
    StagingResult r;
    r.build_guid = build_guid;
    r.app_guid = app;
    r.ok = true;
    r.exit_code = 0;
    r.docker_image = kPinned;
    r.execution_metadata = R"({"cmd":["/bin/sh","-c","httpd"],"entrypoint":[],"ports":[{"Port":8080,"Protocol":"tcp"}],"user":"","workdir":"/"})";
    r.process_types = {{"web", "/bin/sh -c httpd"}};
    r.start_command = "/bin/sh -c httpd";
    return r;
  }
  // Every byte the store has written (the database and its write-ahead log).
  std::string storeBytes() {
    return test::readFile(h_.dir() + "/controller.db") +
           test::readFile(h_.dir() + "/controller.db-wal");
  }

  test_support::ApiHarness h_{"docker-api"};
  SqliteStore* store_ = nullptr;
  std::string space_;
  RecordingDockerStager stager_;
  LogBuffer logs_;
};

TEST_F(DockerPackagesTest, PackageIsReadyAtOnceAndNeverShowsItsPassword) {
  const std::string app = createApp("web", "docker");
  ApiResponse p = dockerPackage(app, {{"image", "127.0.0.1:5000/team/web:v1"},
                                      {"username", "ci"},
                                      {"password", "p4ss-w0rd-xyz"}});
  ASSERT_EQ(p.status, 201) << p.body;
  EXPECT_EQ(p.body["type"], "docker");
  EXPECT_EQ(p.body["state"], "READY");
  EXPECT_EQ(p.body["data"],
            json({{"image", "127.0.0.1:5000/team/web:v1"}, {"username", "ci"}, {"password", "***"}}));
  const std::string guid = p.body["guid"];
  json got = call("GET", "/v3/packages/" + guid).body;
  EXPECT_EQ(got["data"]["password"], "***");
  EXPECT_EQ(got.dump().find("p4ss-w0rd-xyz"), std::string::npos);
  EXPECT_EQ(call("GET", "/v3/packages?types=docker").body["resources"][0]["guid"], guid);
  // The store has it (the build needs it), sealed: the file never holds the plaintext.
  EXPECT_EQ(store_->getPackage(guid)->docker_password.reveal(), "p4ss-w0rd-xyz");
  EXPECT_EQ(storeBytes().find("p4ss-w0rd-xyz"), std::string::npos);
  EXPECT_NE(storeBytes().find("127.0.0.1:5000/team/web:v1"), std::string::npos);

  // Without credentials: both null.
  p = dockerPackage(app, {{"image", "busybox"}});
  ASSERT_EQ(p.status, 201) << p.body;
  EXPECT_EQ(p.body["data"]["username"], nullptr);
  EXPECT_EQ(p.body["data"]["password"], nullptr);
}

TEST_F(DockerPackagesTest, BadPackagesAreRefusedWithTheReason) {
  const std::string app = createApp("web", "docker");
  const std::string source_app = createApp("src", "buildpack");
  auto detail = [](const ApiResponse& r) {
    return r.body["errors"][0]["detail"].get<std::string>();
  };
  ApiResponse r = dockerPackage(app, json::object());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r), "Data image can't be blank");
  r = dockerPackage(app, {{"image", "Team/Web:v1"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(detail(r).find("Data image is not a valid image reference"), std::string::npos);
  r = dockerPackage(app, {{"image", "busybox"}, {"username", "ci"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r), "Data username and password must be given together");
  r = dockerPackage(app, {{"image", "busybox"}, {"tag", "x"}});
  EXPECT_EQ(r.status, 422);
  r = dockerPackage(source_app, {{"image", "busybox"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(detail(r).find("docker lifecycle"), std::string::npos);
  r = call("POST", "/v3/packages",
           {{"type", "oci"}, {"relationships", {{"app", {{"data", {{"guid", app}}}}}}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r), "Type must be one of 'bits, docker'");
  // Nothing to upload to a docker package.
  const std::string pkg = dockerPackage(app, {{"image", "busybox"}}).body["guid"];
  r = call("POST", "/v3/packages/" + pkg + "/upload", json("--B--\r\n"),
           "multipart/form-data; boundary=B");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r), "Package type must be bits.");
  EXPECT_EQ(store_->listPackages({}).size(), 1u);  // the refused ones left nothing behind
}

TEST_F(DockerPackagesTest, BuildStagesTheImageAndTheDropletRunsItPinned) {
  const std::string app = createApp("web", "docker");
  ASSERT_EQ(call("PATCH", "/v3/processes/" + store_->listProcesses(app)[0].guid,
                 {{"command", "httpd -p $PORT"}})
                .status,
            200);
  const std::string pkg = dockerPackage(app, {{"image", "127.0.0.1:5000/team/web:v1"},
                                              {"username", "ci"},
                                              {"password", "p4ss-w0rd-xyz"}})
                              .body["guid"];
  ApiResponse wrong = call("POST", "/v3/builds",
                           {{"package", {{"guid", pkg}}}, {"lifecycle", {{"type", "buildpack"}}}});
  EXPECT_EQ(wrong.status, 422);
  ApiResponse b = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}});
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.body["lifecycle"], json({{"type", "docker"}, {"data", json::object()}}));
  ASSERT_EQ(stager_.tasks.size(), 1u);
  const StagingTask& task = stager_.tasks[0];
  ASSERT_TRUE(task.docker);
  EXPECT_EQ(task.docker->image, "127.0.0.1:5000/team/web:v1");
  EXPECT_EQ(task.docker->username, "ci");
  EXPECT_EQ(task.docker->password.reveal(), "p4ss-w0rd-xyz");
  EXPECT_EQ(task.web_command, "httpd -p $PORT");

  h_.api().finishStaging(stagedImage(b.body["guid"], app));
  json build = call("GET", "/v3/builds/" + b.body["guid"].get<std::string>()).body;
  ASSERT_EQ(build["state"], "STAGED") << build;
  const std::string droplet = build["droplet"]["guid"];
  json d = call("GET", "/v3/droplets/" + droplet).body;
  EXPECT_EQ(d["lifecycle"]["type"], "docker");
  EXPECT_EQ(d["image"], kPinned);
  EXPECT_EQ(d["checksum"], nullptr);
  EXPECT_EQ(d["stack"], nullptr);
  EXPECT_EQ(d["process_types"], json({{"web", "/bin/sh -c httpd"}}));
  EXPECT_EQ(json::parse(d["execution_metadata"].get<std::string>())["ports"][0]["Port"], 8080);
  EXPECT_EQ(d.dump().find("p4ss-w0rd-xyz"), std::string::npos);

  // Started, the app's desired LRP names the pinned image and carries the credentials.
  ASSERT_EQ(call("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
                 {{"data", {{"guid", droplet}}}})
                .status,
            200);
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/start").status, 200);
  scheduling::DesiredState desired(*store_, "http://ctl");
  auto lrps = desired.forApp(app);
  ASSERT_EQ(lrps.size(), 1u);
  EXPECT_EQ(lrps[0].docker_image, kPinned);
  EXPECT_EQ(lrps[0].docker_username, "ci");
  EXPECT_EQ(lrps[0].docker_password.reveal(), "p4ss-w0rd-xyz");
  EXPECT_TRUE(lrps[0].droplet_url.empty());
  EXPECT_EQ(lrps[0].start_command, "httpd -p $PORT");
  EXPECT_EQ(sched::validate(lrps[0]), "");
  EXPECT_EQ(storeBytes().find("p4ss-w0rd-xyz"), std::string::npos);
}

TEST_F(DockerPackagesTest, FailedImageStagingFailsTheBuild) {
  const std::string app = createApp("web", "docker");
  const std::string pkg = dockerPackage(app, {{"image", "busybox"}}).body["guid"];
  ApiResponse b = call("POST", "/v3/builds", {{"package", {{"guid", pkg}}}});
  ASSERT_EQ(b.status, 201);
  StagingResult r;
  r.build_guid = b.body["guid"];
  r.app_guid = app;
  r.error = "StagingError - Staging error: cannot fetch the docker image busybox: image not found";
  h_.api().finishStaging(r);
  json build = call("GET", "/v3/builds/" + r.build_guid).body;
  EXPECT_EQ(build["state"], "FAILED");
  EXPECT_EQ(build["error"], r.error);
  EXPECT_TRUE(store_->listDroplets({}).empty());
}

// `cf push web --docker-image REG/team/web:v1 --docker-username ci` (CF_DOCKER_PASSWORD set),
// as the cf CLI v8 sends it: the manifest (with `docker`), the app lookup, the docker package,
// the build, the droplet, the restart.
TEST_F(DockerPackagesTest, CfCliV8DockerPushReplay) {
  const std::string manifest = R"(---
applications:
- name: web
  docker:
    image: 127.0.0.1:5000/team/web:v1
    username: ci
  default-route: true
)";
  ApiResponse job = call("POST", "/v3/spaces/" + space_ + "/actions/apply_manifest", json(manifest),
                         "application/x-yaml");
  ASSERT_EQ(job.status, 202) << job.body;
  json apps = call("GET", "/v3/apps?names=web&space_guids=" + space_).body["resources"];
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0]["lifecycle"], json({{"type", "docker"}, {"data", json::object()}}));
  const std::string app = apps[0]["guid"];
  EXPECT_EQ(call("GET", "/v3/apps/" + app + "/routes").body["resources"].size(), 1u);

  ApiResponse pkg = dockerPackage(app, {{"image", "127.0.0.1:5000/team/web:v1"},
                                        {"username", "ci"},
                                        {"password", "from-CF_DOCKER_PASSWORD"}});
  ASSERT_EQ(pkg.status, 201) << pkg.body;
  ASSERT_EQ(call("GET", "/v3/packages/" + pkg.body["guid"].get<std::string>()).body["state"],
            "READY");
  ApiResponse b = call("POST", "/v3/builds", {{"package", {{"guid", pkg.body["guid"]}}}});
  ASSERT_EQ(b.status, 201) << b.body;
  h_.api().finishStaging(stagedImage(b.body["guid"], app));
  json build = call("GET", "/v3/builds/" + b.body["guid"].get<std::string>()).body;
  ASSERT_EQ(build["state"], "STAGED");
  ASSERT_EQ(call("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
                 {{"data", {{"guid", build["droplet"]["guid"]}}}})
                .status,
            200);
  ApiResponse restart = call("POST", "/v3/apps/" + app + "/actions/restart");
  ASSERT_EQ(restart.status, 200) << restart.body;
  EXPECT_EQ(restart.body["state"], "STARTED");
  json processes = call("GET", "/v3/apps/" + app + "/processes").body["resources"];
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_EQ(processes[0]["type"], "web");

  // The same manifest against a buildpack app of that name fails the job, naming why.
  const std::string other = R"(---
applications:
- name: src
  docker: {image: busybox}
)";
  createApp("src", "buildpack");
  ApiResponse failed = call("POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                            json(other), "application/x-yaml");
  ASSERT_EQ(failed.status, 202);
  json j = call("GET", test_support::ApiHarness::jobPath(failed)).body;
  EXPECT_EQ(j["state"], "FAILED") << j;
  EXPECT_NE(j.dump().find("Lifecycle type cannot be changed from buildpack to docker"),
            std::string::npos)
      << j;
}

}  // namespace
}  // namespace foundry::control
