// A task's downloads, uploads and lifecycle folder end to end (scheduler/PROTOCOL.md "Tasks",
// "Downloads and uploads"): the real `scheduler` and `cell` binaries and a blob server in the
// test that answers only calls signed with the platform's key (as the controller's /internal/
// paths do). Downloads arrive before the command (an extracted .tgz, a plain file, an optional
// 404 skipped); uploads after it, with their bytes and X-Checksum-Sha256; a sha256 mismatch or
// a server that refuses the cell's signature fails the task with a clear reason and no
// credentials; bad paths are 422 naming the field; a failed command uploads nothing; in a
// container the lifecycle folder is read-only at /tmp/lifecycle; and the real `stager` runs
// as a task on a downloaded package and uploads the droplet: staging as a task.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/net/http_client.h"
#include "common/oci/sha256.h"
#include "control/scheduling/desired_lrp_builder.h"
#include "scheduler/model/task.h"
#include "staging/droplet/archive.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/files.h"
#include "tests/test_common/internal_auth.h"
#include "tests/test_common/loopback_http_server.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::string actionsSha256Hex(const std::string& bytes) {
  const std::string digest = oci::sha256Digest(bytes);
  return digest.substr(digest.find(':') + 1);
}

// GET /files/<name> serves what addFile gave (404 otherwise); POST /uploads/<name> records
// the body and headers (201), POST /refuse/<name> answers 403. Every call must be signed with
// `secrets` (else 401 {"error":"unauthorized: ..."}, as the controller answers).
class ActionsBlobServer {
 public:
  explicit ActionsBlobServer(const TestSecrets& secrets) : secrets_(secrets) {}
  std::string url() const { return server_.url(); }
  void addFile(const std::string& name, std::string bytes) {
    std::lock_guard lock(mu_);
    files_[name] = std::move(bytes);
  }
  struct Upload {
    std::string caller, content_type, checksum, body;
  };
  std::map<std::string, Upload> uploads() {
    std::lock_guard lock(mu_);
    return uploads_;
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  LoopbackReply handle(const LoopbackRequest& r) {
    std::string why, caller;
    std::lock_guard lock(mu_);
    requests_.push_back(r.method + " " + r.path);
    if (!secrets_.verify(r.raw, &why, &caller)) {
      return {401, json{{"error", "unauthorized: " + why}}.dump()};
    }
    if (r.path.rfind("/files/", 0) == 0) {
      auto it = files_.find(r.path.substr(7));
      if (it != files_.end()) return {200, it->second};
    } else if (r.path.rfind("/uploads/", 0) == 0) {
      uploads_[r.path.substr(9)] = {caller, r.header("Content-Type"),
                                    r.header("X-Checksum-Sha256"), r.body};
      return {201, ""};
    } else if (r.path.rfind("/refuse/", 0) == 0) {
      return {403, R"({"error":"no room for it"})"};
    }
    return {404, ""};
  }

  const TestSecrets& secrets_;
  std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::map<std::string, Upload> uploads_;
  std::vector<std::string> requests_;
  LoopbackHttpServer server_{[this](const LoopbackRequest& r) { return handle(r); }};  // last
};

class TaskActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/task-actions-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    chmod(templ, 0711);  // containers' users walk through it
    scheduler_port_ = freeTcpPort();
    scheduler_ = std::make_unique<ChildProcess>(
        "scheduler", SCHEDULER_BINARY,
        std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(scheduler_port_),
                                 "--nats", "nats://127.0.0.1:1", "--convergence-interval", "1",
                                 "--secrets", secrets_.dir(), "--log-level", "debug"},
        dir_);
    ASSERT_TRUE(scheduler_->start());
    ASSERT_TRUE(waitHttpOk(schedulerUrl() + "/ping")) << scheduler_->logs();
    // A lifecycle folder of the test's own: the launcher (a container binds the cell's over
    // it) and a marker file.
    lifecycle_ = dir_ + "/lifecycle";
    fs::create_directories(lifecycle_);
    chmod(lifecycle_.c_str(), 0755);
    fs::copy_file(LAUNCHER_BINARY, lifecycle_ + "/launcher");
    std::ofstream(lifecycle_ + "/marker") << "from the lifecycle\n";
  }

  void TearDown() override {
    if (cell_) {
      cell_->stop(15s);
      // Never the cell's signature in its log.
      EXPECT_EQ(cell_->logs().find("sig="), std::string::npos);
      if (HasFailure()) std::cerr << "cell log:\n" << cell_->logs().substr(0, 12000);
    }
    if (scheduler_) scheduler_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  virtual std::vector<std::string> isolationArgs() const { return {"--isolation", "none"}; }

  std::string schedulerUrl() const {
    return "http://127.0.0.1:" + std::to_string(scheduler_port_);
  }

  void startCell(const std::string& lifecycle_dir) {
    uint16_t port = freeTcpPort();
    uint16_t first = freeTcpPort();
    if (first > 65000) first = 40000;
    std::vector<std::string> args = {
        "--listen", "127.0.0.1:" + std::to_string(port), "--id", "cell-a",
        "--scheduler", schedulerUrl(), "--work-dir", dir_ + "/cell-a",
        "--launcher", LAUNCHER_BINARY, "--lifecycle-dir", lifecycle_dir,
        "--ports", std::to_string(first) + "-" + std::to_string(first + 20),
        "--memory-mb", "4096", "--disk-mb", "8192", "--max-containers", "10",
        "--stop-grace-s", "2", "--secrets", secrets_.dir(), "--presence-interval-ms", "500",
        "--log-level", "debug"};
    for (const auto& a : isolationArgs()) args.push_back(a);
    cell_ = std::make_unique<ChildProcess>("cell-a", CELL_BINARY, args, dir_);
    ASSERT_TRUE(cell_->start());
    ASSERT_TRUE(waitHttpOk("http://127.0.0.1:" + std::to_string(port) + "/ping"))
        << cell_->logs();
  }

  // A .tgz of `files` (name -> content) under a folder of the test, served as /files/<name>.
  std::string serveTgz(const std::string& name, const std::map<std::string, std::string>& files) {
    fs::path root = fs::path(dir_) / ("src-" + name);
    for (const auto& [path, content] : files) {
      fs::create_directories((root / path).parent_path());
      std::ofstream(root / path) << content;
    }
    const std::string tgz = dir_ + "/" + name;
    EXPECT_EQ(staging::createTarGz(root.string(), tgz), "");
    const std::string bytes = readFile(tgz);
    blobs_.addFile(name, bytes);
    return bytes;
  }

  // A task on the plain stack (no droplet: its downloads are what it has).
  sched::TaskDefinition plainTask(const std::string& guid, const std::string& command) {
    sched::TaskDefinition d;
    d.task_guid = guid;
    d.domain = "cf-app-staging";
    d.app_guid = "app-1";
    d.app_name = "demo";
    d.log_source = "STG";
    d.memory_mb = 512;
    d.disk_mb = 1024;
    d.command = command;
    return d;
  }

  // The staging task the controller desires for a build (control/scheduling: the same command,
  // paths and transfers), its URLs pointed at the fake blob server: the package served as
  // /files/package.tgz, the droplet and the cache uploaded to /uploads/droplet and /cache.
  sched::TaskDefinition controllerStagingTask(const std::string& guid, const std::string& package) {
    control::StagingTask build;
    build.build_guid = guid;
    build.app_guid = "app-1";
    build.package_guid = "pkg-1";
    build.package_sha256 = actionsSha256Hex(package);
    build.memory_mb = 1024;
    build.disk_mb = 2048;
    control::scheduling::LrpInputs in;
    in.app.guid = "app-1";
    in.app.name = "demo";
    in.internal_url = "http://controller.invalid";
    auto d = control::scheduling::buildStagingTaskDefinition(build, in, 900);
    blobs_.addFile("package.tgz", package);
    d.downloads.at(0).url = blobs_.url() + "/files/package.tgz";
    d.downloads.at(1).url = blobs_.url() + "/files/no-cache-yet.tgz";  // a 404: optional
    d.uploads.at(0).url = blobs_.url() + "/uploads/droplet";
    d.uploads.at(1).url = blobs_.url() + "/uploads/cache";
    d.completion_callback_url.clear();
    return d;
  }

  net::HttpResponse desire(const sched::TaskDefinition& d) { return desireJson(json(d)); }
  net::HttpResponse desireJson(const json& body) {
    return net::sendJson("POST", schedulerUrl() + "/v1/tasks", body.dump(), 10000,
                         secrets_.signer("controller"));
  }
  // The task once COMPLETED (null when it did not complete within `limit`).
  json waitCompleted(const std::string& guid, std::chrono::milliseconds limit = 30s) {
    json last;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = net::getJson(schedulerUrl() + "/v1/tasks/" + guid, 10000,
                            secrets_.signer("controller"));
      if (r.status == 200) {
        last = json::parse(r.body, nullptr, false);
        if (!last.is_discarded() && last.value("state", "") == "COMPLETED") return last;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "task " << guid << " is " << last.dump();
    return json();
  }

  TestSecrets secrets_;
  ActionsBlobServer blobs_{secrets_};
  std::string dir_, lifecycle_;
  uint16_t scheduler_port_ = 0;
  std::unique_ptr<ChildProcess> scheduler_;
  std::unique_ptr<ChildProcess> cell_;
};

TEST_F(TaskActionsTest, DownloadsBeforeTheCommandUploadsAfterIt) {
  startCell(lifecycle_);
  const std::string package =
      serveTgz("package.tgz", {{"index.html", "<h1>hi</h1>\n"}, {"sub/a.txt", "a\n"}});
  blobs_.addFile("settings.txt", "plain file\n");
  // With --isolation none the task's folder stands for /home/vcap (HOME is <it>/app) and its
  // tmp/ for /tmp (TMPDIR): the command uses the variables.
  auto d = plainTask(
      "dl-1",
      "set -e; test -z \"$(ls -A \"$HOME\" | grep -v config)\";"  // the app folder was empty
      " cat \"$TMPDIR/app/index.html\" \"$TMPDIR/app/sub/a.txt\" \"$HOME/config/settings.txt\""
      "   > \"$TMPDIR/out.txt\";"
      " test ! -e \"$TMPDIR/cache\";"  // the optional 404
      " test \"$LIFECYCLE_DIR\" = '" + lifecycle_ + "';"
      " cat \"$LIFECYCLE_DIR/marker\" >> \"$TMPDIR/out.txt\";"
      " head -c 300000 /dev/urandom > \"$TMPDIR/droplet.tgz\"");
  d.downloads = {{.artifact = "app package",
                  .url = blobs_.url() + "/files/package.tgz",
                  .sha256 = actionsSha256Hex(package),
                  .to = "/tmp/app",
                  .extract = true},
                 {.url = blobs_.url() + "/files/settings.txt",
                  .to = "/home/vcap/app/config/settings.txt"},
                 {.artifact = "build cache",
                  .url = blobs_.url() + "/files/no-cache-yet.tgz",
                  .to = "/tmp/cache",
                  .extract = true,
                  .optional = true}};
  d.uploads = {{.artifact = "droplet",
                .from = "/tmp/droplet.tgz",
                .url = blobs_.url() + "/uploads/droplet?staging=1"},
               {.from = "/tmp/out.txt", .url = blobs_.url() + "/uploads/out"},
               {.artifact = "build cache",
                .from = "/tmp/output-cache.tgz",
                .url = blobs_.url() + "/uploads/cache",
                .optional = true}};
  d.result_file = "/tmp/out.txt";
  auto r = desire(d);
  ASSERT_EQ(r.status, 201) << r.body;
  json done = waitCompleted("dl-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>()) << done.dump();
  const std::string expected_out = "<h1>hi</h1>\na\nplain file\nfrom the lifecycle\n";
  EXPECT_EQ(done["result"], expected_out);
  EXPECT_EQ(done["definition"]["downloads"].size(), 3u);

  auto uploads = blobs_.uploads();
  ASSERT_EQ(uploads.count("droplet"), 1u);
  ASSERT_EQ(uploads.count("out"), 1u);
  EXPECT_EQ(uploads.count("cache"), 0u);  // optional and not there: not sent
  const auto& droplet = uploads["droplet"];
  EXPECT_EQ(droplet.body.size(), 300000u);
  EXPECT_EQ(droplet.checksum, actionsSha256Hex(droplet.body));
  EXPECT_EQ(droplet.content_type, "application/octet-stream");
  EXPECT_EQ(droplet.caller, "cell:cell-a");
  EXPECT_EQ(uploads["out"].body, expected_out);
  EXPECT_EQ(uploads["out"].checksum, actionsSha256Hex(expected_out));
  // The cell said what it did, under CELL.
  const std::string logs = cell_->logs();
  EXPECT_NE(logs.find("Downloading app package..."), std::string::npos);
  EXPECT_NE(logs.find("Skipped build cache (not found, optional)"), std::string::npos);
  EXPECT_NE(logs.find("Uploaded droplet (292 KB)"), std::string::npos);
}

TEST_F(TaskActionsTest, ChecksumMismatchAndRefusedSignatureFailClearly) {
  startCell(lifecycle_);
  const std::string package = serveTgz("package.tgz", {{"index.html", "hi\n"}});
  auto d = plainTask("sha-1", "echo ran > \"$TMPDIR/ran\"");
  d.downloads = {{.artifact = "app package",
                  .url = blobs_.url() + "/files/package.tgz",
                  .sha256 = std::string(64, 'a'),
                  .to = "/tmp/app",
                  .extract = true}};
  d.uploads = {{.from = "/tmp/ran", .url = blobs_.url() + "/uploads/ran"}};
  ASSERT_EQ(desire(d).status, 201);
  json done = waitCompleted("sha-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"], "Downloading app package failed: sha256 mismatch: expected " +
                                        std::string(64, 'a') + ", got " +
                                        actionsSha256Hex(package));
  EXPECT_EQ(done["exit_code"], -1);  // the command never ran
  EXPECT_TRUE(blobs_.uploads().empty());

  // A server that does not know the cell's key (another platform's) answers 401: the task
  // fails naming the artifact, the URL without its query, the status; never a signature.
  TestSecrets other;
  ActionsBlobServer stranger(other);
  stranger.addFile("package.tgz", package);
  auto refused = plainTask("sig-1", "true");
  refused.downloads = {{.artifact = "app package",
                        .url = stranger.url() + "/files/package.tgz?token=s3cr3t-query",
                        .to = "/tmp/app",
                        .extract = true}};
  ASSERT_EQ(desire(refused).status, 201);
  done = waitCompleted("sig-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  const std::string reason = done["failure_reason"];
  EXPECT_EQ(reason.rfind("Downloading app package failed: GET " + stranger.url() +
                             "/files/package.tgz: HTTP 401 {\"error\":\"unauthorized:",
                         0),
            0u)
      << reason;
  EXPECT_EQ(reason.find("s3cr3t-query"), std::string::npos);
  EXPECT_EQ(reason.find("sig="), std::string::npos);
  EXPECT_EQ(cell_->logs().find("s3cr3t-query"), std::string::npos);
  ASSERT_EQ(stranger.requests().size(), 1u);  // tried once, refused: no upload either

  // A missing file that is not optional: a 404 is a failure.
  auto missing = plainTask("404-1", "true");
  missing.downloads = {{.url = blobs_.url() + "/files/nope.tgz", .to = "/tmp/app"}};
  ASSERT_EQ(desire(missing).status, 201);
  done = waitCompleted("404-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["failure_reason"],
            "Downloading /tmp/app failed: GET " + blobs_.url() + "/files/nope.tgz: HTTP 404");
}

TEST_F(TaskActionsTest, DownloadBiggerThanTheTasksDiskFails) {
  startCell(lifecycle_);
  blobs_.addFile("big.bin", std::string(3 << 20, 'x'));
  auto d = plainTask("big-1", "true");
  d.disk_mb = 2;
  d.downloads = {{.artifact = "app package", .url = blobs_.url() + "/files/big.bin",
                  .to = "/tmp/big.bin"}};
  ASSERT_EQ(desire(d).status, 201);
  json done = waitCompleted("big-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["failure_reason"],
            "Downloading app package failed: larger than the task's disk (2 MB)");
  // Nothing left of it in the cell's scratch folder.
  EXPECT_TRUE(fs::is_empty(dir_ + "/cell-a/downloads"));
}

TEST_F(TaskActionsTest, UploadsOnlyAfterSuccessAndTheirFailuresFailTheTask) {
  startCell(lifecycle_);
  blobs_.addFile("settings.txt", "x\n");
  auto with_uploads = [&](const std::string& guid, const std::string& command) {
    auto d = plainTask(guid, command);
    d.downloads = {{.url = blobs_.url() + "/files/settings.txt", .to = "/tmp/settings.txt"}};
    d.uploads = {{.artifact = "droplet",
                  .from = "/tmp/droplet.tgz",
                  .url = blobs_.url() + "/uploads/" + guid}};
    return d;
  };
  // The command failed: nothing is uploaded, the failure is the command's.
  ASSERT_EQ(desire(with_uploads("fail-1", "echo d > \"$TMPDIR/droplet.tgz\"; exit 3")).status,
            201);
  json done = waitCompleted("fail-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["failure_reason"], "STG: Exited with status 3");
  EXPECT_EQ(done["exit_code"], 3);
  EXPECT_EQ(blobs_.uploads().count("fail-1"), 0u);
  for (const auto& request : blobs_.requests()) {
    EXPECT_EQ(request.find("POST"), std::string::npos) << request;
  }

  // Succeeded, but the file to upload is not there.
  ASSERT_EQ(desire(with_uploads("nofile-1", "true")).status, 201);
  done = waitCompleted("nofile-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"],
            "Uploading droplet failed: cannot open /tmp/droplet.tgz: No such file or directory");

  // The server refuses the upload.
  auto refused = with_uploads("refused-1", "echo d > \"$TMPDIR/droplet.tgz\"");
  refused.uploads[0].url = blobs_.url() + "/refuse/droplet";
  ASSERT_EQ(desire(refused).status, 201);
  done = waitCompleted("refused-1");
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"], "Uploading droplet failed: POST " + blobs_.url() +
                                        "/refuse/droplet: HTTP 403 {\"error\":\"no room for it\"}");
}

TEST_F(TaskActionsTest, BadTransfersAreRefusedNamingTheField) {
  auto base = plainTask("bad-1", "true");
  base.downloads = {{.url = blobs_.url() + "/files/a.tgz", .to = "/tmp/app", .extract = true}};
  base.uploads = {{.from = "/tmp/droplet.tgz", .url = blobs_.url() + "/uploads/d"}};
  auto refused = [&](const std::function<void(json&)>& change, const std::string& field) {
    json body = base;
    change(body);
    auto r = desireJson(body);
    EXPECT_EQ(r.status, 422) << body.dump();
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  };
  refused([](json& b) { b["downloads"][0]["to"] = "/tmp/../etc/cron.d/x"; }, "downloads[0].to");
  refused([](json& b) { b["downloads"][0]["to"] = "/etc/passwd"; }, "downloads[0].to");
  refused([](json& b) { b["downloads"][0]["to"] = "/home/vcap/../../root"; }, "downloads[0].to");
  refused([](json& b) { b["uploads"][0]["from"] = "/home/vcap/app/../../../etc/shadow"; },
          "uploads[0].from");
  refused([](json& b) { b["uploads"][0]["from"] = "/root/.ssh/id_rsa"; }, "uploads[0].from");
  refused([](json& b) { b["downloads"][0]["url"] = "file:///etc/passwd"; }, "downloads[0].url");
  refused([](json& b) { b["downloads"][0]["sha256"] = "xyz"; }, "downloads[0].sha256");
  refused([](json& b) { b["downloads"] = json::array(); }, "droplet_url or docker_image");
  refused([](json& b) { b["downloads"] = "package"; }, "invalid field downloads");
  refused([](json& b) { b["uploads"][0]["optional"] = "yes"; }, "invalid field uploads");
  // Nothing of it was created.
  auto r = net::getJson(schedulerUrl() + "/v1/tasks/bad-1", 10000, secrets_.signer("controller"));
  EXPECT_EQ(r.status, 404);
}

// The real stager, from the lifecycle folder the build makes (bin/lifecycle: stager, launcher,
// system buildpacks), stages a downloaded package as a task and uploads the droplet and the
// build cache: staging as a task, Diego's way.
TEST_F(TaskActionsTest, RealStagerStagesADownloadedPackageAndUploadsTheDroplet) {
  ASSERT_TRUE(fs::is_regular_file(std::string(CELL_LIFECYCLE_DIR) + "/stager"));
  startCell(CELL_LIFECYCLE_DIR);
  const std::string package = readFile([&] {
    const std::string tgz = dir_ + "/static-site.tgz";
    EXPECT_EQ(staging::createTarGz(std::string(FOUNDRY_SOURCE_DIR) + "/examples/static-site", tgz),
              "");
    return tgz;
  }());
  // Without a container: /tmp is the task's $TMPDIR, the lifecycle folder the host's.
  auto d = controllerStagingTask("stage-1", package);
  ASSERT_EQ(desire(d).status, 201);
  json done = waitCompleted("stage-1", 60s);
  ASSERT_FALSE(done.is_null());
  ASSERT_FALSE(done["failed"].get<bool>()) << done.dump();
  json result = json::parse(done["result"].get<std::string>(), nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << done["result"];
  EXPECT_EQ(result["lifecycle_metadata"]["detected_buildpack"], "staticfile") << result.dump();
  EXPECT_EQ(result["process_types"]["web"], "bash nginx/boot.sh") << result.dump();

  auto uploads = blobs_.uploads();
  ASSERT_EQ(uploads.count("droplet"), 1u);
  ASSERT_EQ(uploads.count("cache"), 1u);
  EXPECT_EQ(uploads["droplet"].checksum, actionsSha256Hex(uploads["droplet"].body));
  // The droplet is a real one: the app, the buildpack's files, staging_info.yml.
  const std::string droplet_tgz = dir_ + "/uploaded-droplet.tgz";
  std::ofstream(droplet_tgz, std::ios::binary) << uploads["droplet"].body;
  ASSERT_EQ(staging::extractArchive(droplet_tgz, dir_ + "/droplet"), "");
  EXPECT_TRUE(fs::exists(dir_ + "/droplet/app/index.html"));
  EXPECT_TRUE(fs::exists(dir_ + "/droplet/app/nginx/boot.sh"));
  json info = json::parse(readFile(dir_ + "/droplet/staging_info.yml"), nullptr, false);
  EXPECT_EQ(info["detected_buildpack"], "staticfile");
  // The buildpacks' output went out under the task's log source.
  EXPECT_NE(cell_->logs().find("Uploaded droplet"), std::string::npos);
}

// The same in a runc container (root and runc, as TaskContainerTest).
class TaskActionsContainerTest : public TaskActionsTest {
 protected:
  std::vector<std::string> isolationArgs() const override {
    return {"--isolation", "container", "--pids-limit", "256"};
  }
};

TEST_F(TaskActionsContainerTest, LifecycleIsReadOnlyAndTransfersWork) {
  startCell(lifecycle_);
  const std::string package = serveTgz("package.tgz", {{"index.html", "<p>c</p>\n"}});
  blobs_.addFile("settings.txt", "plain\n");
  auto d = plainTask(
      "ctr-1",
      "cat /tmp/lifecycle/marker > /tmp/out.txt;"
      " echo \"$LIFECYCLE_DIR\" >> /tmp/out.txt;"
      " if touch /tmp/lifecycle/x 2>/dev/null; then echo writable; else echo read-only; fi"
      "   >> /tmp/out.txt;"
      // The downloads belong to the container's vcap: it can add to them.
      " touch /tmp/app/new /home/vcap/app/config/new && echo owned >> /tmp/out.txt;"
      " cat /tmp/app/index.html /home/vcap/app/config/settings.txt >> /tmp/out.txt;"
      " pwd >> /tmp/out.txt; cp /tmp/out.txt /home/vcap/upload.txt");
  d.downloads = {{.artifact = "app package",
                  .url = blobs_.url() + "/files/package.tgz",
                  .sha256 = actionsSha256Hex(package),
                  .to = "/tmp/app",
                  .extract = true},
                 {.url = blobs_.url() + "/files/settings.txt",
                  .to = "/home/vcap/app/config/settings.txt"}};
  d.uploads = {{.from = "/home/vcap/upload.txt", .url = blobs_.url() + "/uploads/out"}};
  d.result_file = "/tmp/out.txt";
  ASSERT_EQ(desire(d).status, 201);
  json done = waitCompleted("ctr-1", 60s);
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>()) << done.dump();
  const std::string expected =
      "from the lifecycle\n/tmp/lifecycle\nread-only\nowned\n<p>c</p>\nplain\n/home/vcap/app\n";
  EXPECT_EQ(done["result"], expected);
  EXPECT_EQ(blobs_.uploads()["out"].body, expected);
  EXPECT_FALSE(fs::exists(lifecycle_ + "/x"));
}

TEST_F(TaskActionsContainerTest, RealStagerStagesInAContainer) {
  startCell(CELL_LIFECYCLE_DIR);
  const std::string tgz = dir_ + "/node-hello.tgz";
  ASSERT_EQ(staging::createTarGz(std::string(FOUNDRY_SOURCE_DIR) + "/examples/node-hello", tgz),
            "");
  // Diego's paths: the package at /tmp/app, the lifecycle at /tmp/lifecycle.
  auto d = controllerStagingTask("stage-c", readFile(tgz));
  ASSERT_EQ(desire(d).status, 201);
  json done = waitCompleted("stage-c", 90s);
  ASSERT_FALSE(done.is_null());
  ASSERT_FALSE(done["failed"].get<bool>()) << done.dump();
  json result = json::parse(done["result"].get<std::string>(), nullptr, false);
  EXPECT_EQ(result["lifecycle_metadata"]["detected_buildpack"], "nodejs") << done["result"];
  auto uploads = blobs_.uploads();
  ASSERT_EQ(uploads.count("droplet"), 1u);
  const std::string droplet_tgz = dir_ + "/uploaded-droplet.tgz";
  std::ofstream(droplet_tgz, std::ios::binary) << uploads["droplet"].body;
  ASSERT_EQ(staging::extractArchive(droplet_tgz, dir_ + "/droplet"), "");
  EXPECT_TRUE(fs::exists(dir_ + "/droplet/app/server.js"));
  EXPECT_EQ(uploads["cache"].checksum, actionsSha256Hex(uploads["cache"].body));
}

}  // namespace
}  // namespace foundry::test
