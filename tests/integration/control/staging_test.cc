// The real controller binary with the real stager (STAGER_BINARY) and system buildpacks:
// resource matching, package upload (a zip made here with libarchive), staging to a droplet,
// the current droplet and its download, staging logs and NATS logs at /api/v1/read, and the
// failure paths (no buildpack detects the app, garbage uploads, timeouts, a restart mid-staging).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/auth/internal_credentials.h"
#include "control/blobstore/hashing.h"
#include "common/net/http_client.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/nats_publisher.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/ports.h"
#include "tests/unit/control/staging/zip_builder.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// The zip of a directory's files, plus their resource_matches entries.
struct AppFiles {
  std::vector<ZipEntry> entries;
  json resources = json::array();
};
AppFiles appFiles(const fs::path& dir) {
  AppFiles out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), dir).string();
    std::string content = readFile(e.path());
    out.entries.push_back({rel, content, 0644});
    out.resources.push_back({{"checksum", {{"value", control::sha1Hex(content)}}},
                             {"size_in_bytes", content.size()},
                             {"path", rel},
                             {"mode", "644"}});
  }
  return out;
}

std::string multipart(const std::string& boundary,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, data] : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (name == "bits") body += "; filename=\"application.zip\"\r\nContent-Type: application/zip";
    body += "\r\n\r\n" + data + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

class ControllerStagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-staging-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (HasFailure() && controller_) {
      std::cerr << "controller log:\n" << controller_->logs().substr(0, 6000) << "\n";
    }
    fs::remove_all(dir_);
  }

  void startController(std::vector<std::string> extra = {}) {
    if (controller_) controller_->stop();
    if (port_ == 0) port_ = freeTcpPort();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", dir_ + "/data",
                                     // The stager in the controller's own process: no cells.
                                     "--staging", "local", "--stager", STAGER_BINARY,
                                     "--system-buildpacks",
                                     std::string(FOUNDRY_SOURCE_DIR) + "/staging/buildpacks"};
    for (auto& a : adminPasswordFlags(dir_)) args.push_back(a);
    args.insert(args.end(), extra.begin(), extra.end());
    controller_ = std::make_unique<ChildProcess>("controller", CONTROLLER_BINARY, args, dir_);
    ASSERT_TRUE(controller_->start());
    ASSERT_TRUE(waitHttpOk(base_ + "/v3", 10s)) << controller_->logs();
    bearer_ = loginBearer(base_);
    ASSERT_FALSE(bearer_.empty()) << controller_->logs();
    space_ = json::parse(apiGet("/v3/spaces").body)["resources"][0]["guid"];
  }

  // GET on the API as the admin.
  net::HttpResponse apiGet(const std::string& path) {
    net::HttpRequest r;
    r.url = base_ + path;
    return performAs(bearer_, r);
  }

  json call(const std::string& method, const std::string& path, const json& body,
            long* status) {
    net::HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = body.is_null() ? "" : body.dump();
    req.headers = {{"Content-Type", "application/json"}};
    auto r = performAs(bearer_, req);
    *status = r.status;
    return r.body.empty() ? json() : json::parse(r.body, nullptr, false);
  }
  json ok(const std::string& method, const std::string& path, const json& body, long want) {
    long status = 0;
    json j = call(method, path, body, &status);
    EXPECT_EQ(status, want) << method << " " << path << ": " << j.dump();
    return j;
  }
  std::string createApp(const std::string& name) {
    return ok("POST", "/v3/apps",
              {{"name", name}, {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}},
              201)
        .value("guid", "");
  }
  std::string createPackage(const std::string& app) {
    json p = ok("POST", "/v3/packages",
                {{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", app}}}}}}}}, 201);
    EXPECT_EQ(p["state"], "AWAITING_UPLOAD");
    return p.value("guid", "");
  }
  net::HttpResponse upload(const std::string& package, const std::string& body,
                           const std::string& content_type) {
    net::HttpRequest req;
    req.method = "POST";
    req.url = base_ + "/v3/packages/" + package + "/upload";
    req.body = body;
    req.headers = {{"Content-Type", content_type}};
    return performAs(bearer_, req);
  }
  net::HttpResponse uploadFiles(const std::string& package, const std::string& zip,
                                const json& resources) {
    std::vector<std::pair<std::string, std::string>> fields = {{"resources", resources.dump()}};
    if (!zip.empty()) fields.push_back({"bits", zip});
    return upload(package, multipart("b0undary-42", fields),
                  "multipart/form-data; boundary=b0undary-42");
  }
  // Polls the package until its upload is processed (READY or FAILED); the package.
  json waitPackage(const std::string& guid) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    json p;
    while (std::chrono::steady_clock::now() < deadline) {
      p = json::parse(apiGet("/v3/packages/" + guid).body, nullptr, false);
      if (p.is_object() && p["state"] != "PROCESSING_UPLOAD") return p;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "package still PROCESSING_UPLOAD: " << p.dump();
    return p;
  }
  // Uploads and waits; the package's final state.
  std::string uploadAndWait(const std::string& package, const std::string& zip,
                            const json& resources) {
    auto r = uploadFiles(package, zip, resources);
    EXPECT_EQ(r.status, 200) << r.body;
    return waitPackage(package).value("state", "");
  }
  // POST /v3/builds and poll until it is no longer STAGING (60 s at most).
  json stage(const std::string& package, const json& lifecycle = nullptr) {
    json body = {{"package", {{"guid", package}}}};
    if (!lifecycle.is_null()) body["lifecycle"] = lifecycle;
    json build = ok("POST", "/v3/builds", body, 201);
    EXPECT_EQ(build["state"], "STAGING");
    return waitBuild(build.value("guid", ""));
  }
  json waitBuild(const std::string& guid, std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    json b;
    while (std::chrono::steady_clock::now() < deadline) {
      b = json::parse(apiGet("/v3/builds/" + guid).body, nullptr, false);
      if (b.is_object() && b["state"] != "STAGING") return b;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "build still STAGING: " << b.dump();
    return b;
  }
  // The messages at /api/v1/read/<app>, decoded.
  std::vector<std::string> logMessages(const std::string& app, const std::string& query = "") {
    json r = json::parse(apiGet("/api/v1/read/" + app + query).body, nullptr, false);
    std::vector<std::string> out;
    if (!r.is_object()) return out;
    for (const auto& e : r["envelopes"]["batch"]) out.push_back(decode(e["log"]["payload"]));
    return out;
  }
  static std::string decode(const std::string& b64) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : b64) {
      if (c == '=') break;
      acc = (acc << 6) | static_cast<uint32_t>(kAlphabet.find(c));
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += static_cast<char>((acc >> bits) & 0xff);
      }
    }
    return out;
  }
  size_t storedBlobs() {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_ + "/data/blobs/sha256", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      n += it->is_regular_file();
    }
    return n;
  }
  // A buildpack folder whose compile sleeps `seconds` (for timeouts and restarts).
  std::string sleepyBuildpack(int seconds) {
    fs::path bp = fs::path(dir_) / "sleepy-buildpack";
    fs::create_directories(bp / "bin");
    std::ofstream(bp / "bin/detect") << "#!/bin/bash\necho sleepy\n";
    std::ofstream(bp / "bin/compile") << "#!/bin/bash\necho compiling slowly\nsleep " << seconds
                                       << "\n";
    std::ofstream(bp / "bin/release") << "#!/bin/bash\necho 'default_process_types: {web: x}'\n";
    for (const char* f : {"detect", "compile", "release"}) {
      fs::permissions(bp / "bin" / f, fs::perms::owner_all | fs::perms::group_read);
    }
    return bp.string();
  }

  std::string dir_, base_, space_, bearer_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> controller_;
};

TEST_F(ControllerStagingTest, PushStagesNodeHelloAndServesTheDroplet) {
  ASSERT_NO_FATAL_FAILURE(startController());
  const std::string app = createApp("node-hello");
  AppFiles files = appFiles(fs::path(FOUNDRY_SOURCE_DIR) / "examples/node-hello");
  ASSERT_FALSE(files.entries.empty());

  // Nothing is cached yet.
  json matches = ok("POST", "/v3/resource_matches", {{"resources", files.resources}}, 201);
  EXPECT_EQ(matches["resources"], json::array());

  const std::string package = createPackage(app);
  auto up = uploadFiles(package, makeZip(files.entries), json::array());
  ASSERT_EQ(up.status, 200) << up.body;
  json answered = json::parse(up.body);
  EXPECT_TRUE(answered["state"] == "PROCESSING_UPLOAD" || answered["state"] == "READY");
  json p = waitPackage(package);
  EXPECT_EQ(p["state"], "READY");
  EXPECT_EQ(p["data"]["checksum"]["value"].get<std::string>().size(), 64u);
  json ready = ok("GET", "/v3/packages?app_guids=" + app + "&states=READY&order_by=-created_at&per_page=1",
                  nullptr, 200);
  EXPECT_EQ(ready["resources"][0]["guid"], package);

  json build = stage(package);
  ASSERT_EQ(build["state"], "STAGED") << build.dump();
  EXPECT_TRUE(build["error"].is_null());
  const std::string droplet_guid = build["droplet"]["guid"];
  json droplet = ok("GET", "/v3/droplets/" + droplet_guid, nullptr, 200);
  EXPECT_EQ(droplet["state"], "STAGED");
  EXPECT_EQ(droplet["process_types"], json({{"web", "node server.js"}}));
  EXPECT_EQ(droplet["buildpacks"][0]["name"], "nodejs");
  const std::string sha = droplet["checksum"]["value"];
  EXPECT_EQ(ok("GET", "/v3/apps/" + app + "/droplets", nullptr, 200)["resources"][0]["guid"],
            droplet_guid);

  // No current droplet until it is assigned; then the app names it.
  long status = 0;
  json none = call("GET", "/v3/apps/" + app + "/droplets/current", nullptr, &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(none["errors"][0]["detail"], "Droplet not found");
  json rel = ok("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
                {{"data", {{"guid", droplet_guid}}}}, 200);
  EXPECT_EQ(rel["data"]["guid"], droplet_guid);
  EXPECT_EQ(ok("GET", "/v3/apps/" + app + "/droplets/current", nullptr, 200)["guid"], droplet_guid);
  EXPECT_EQ(ok("GET", "/v3/apps/" + app, nullptr, 200)["relationships"]["current_droplet"]["data"]["guid"],
            droplet_guid);

  // The cell's download: the exact bytes, with their checksum, for a call signed with the
  // internal key (--secrets defaults to DATA_DIR/secrets; a cell given that folder signs so).
  auto creds = auth::InternalCredentials::loadOrCreate(dir_ + "/data/secrets");
  const std::string download = "/internal/v1/droplets/" + droplet_guid + "/download";
  auto dl = net::getJson(base_ + download, 10000, creds.signer("cell:z1"));
  ASSERT_EQ(dl.status, 200) << dl.body;
  EXPECT_EQ(dl.header("x-checksum-sha256"), sha);
  EXPECT_EQ(control::sha256Hex(dl.body), sha);
  EXPECT_EQ(net::getJson(base_ + "/internal/v1/droplets/nope/download", 10000,
                         creds.signer("cell:z1"))
                .status,
            404);

  // Unsigned, signed with another key, or a token for another droplet: 401 in the V3 error
  // shape, and not a byte of the droplet. Spellings the API routes the same way included.
  auto refused = [&](const net::HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 401) << what << ": " << r.body.substr(0, 200);
    json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body["errors"][0]["title"], "CF-NotAuthenticated") << what;
    EXPECT_EQ(body["errors"][0]["code"], 10002) << what;
  };
  refused(net::getJson(base_ + download), "unsigned");
  auth::InternalCredentials stranger{auth::Secret(std::string(32, 'x'))};
  refused(net::getJson(base_ + download, 10000, stranger.signer("cell:z1")), "another key");
  net::HttpRequest replay;
  replay.url = base_ + download;
  replay.headers = {{"Authorization", creds.sign("cell:z1", "GET", "/internal/v1/droplets/"
                                                                  "other/download")}};
  refused(net::perform(replay), "token for another path");
  replay.headers = {{"Authorization", "Bearer not-a-user-token-either"}};
  refused(net::perform(replay), "a bearer token");
  refused(net::getJson(base_ + "/" + download), "//internal");
  refused(net::getJson(base_ + "/%69nternal/v1/droplets/" + droplet_guid + "/download"),
          "%69nternal");
  // A staging task's endpoints are internal too: a platform user's token neither fetches a
  // package nor sends a droplet or a staging report (not even the admin's).
  const std::string build_guid = build["guid"];
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/internal/v1/packages/" + package + "/download"},
           {"GET", "/internal/v1/apps/" + app + "/buildpack_cache"},
           {"POST", "/internal/v1/builds/" + build_guid + "/droplet"},
           {"POST", "/internal/v1/builds/" + build_guid + "/buildpack_cache"},
           {"POST", "/internal/v3/staging/" + build_guid + "/build_completed"}}) {
    net::HttpRequest call;
    call.method = method;
    call.url = base_ + path;
    call.headers = {{"Authorization", bearer_}};  // the admin's, even
    if (method == "POST") call.body = R"({"task_guid":")" + build_guid + R"(","failed":false})";
    refused(net::perform(call), method + " " + path + " with a user's token");
  }
  // Signed, the package is the uploaded bytes.
  auto bits = net::getJson(base_ + "/internal/v1/packages/" + package + "/download", 10000,
                           creds.signer("cell:z1"));
  ASSERT_EQ(bits.status, 200);
  EXPECT_EQ(control::sha256Hex(bits.body), p["data"]["checksum"]["value"]);

  // Staging output streamed into the app's logs as STG lines.
  json logs = json::parse(apiGet("/api/v1/read/" + app).body);
  ASSERT_FALSE(logs["envelopes"]["batch"].empty());
  json first = logs["envelopes"]["batch"][0];
  EXPECT_EQ(first["source_id"], app);
  EXPECT_EQ(first["tags"]["source_type"], "STG");
  EXPECT_TRUE(first["timestamp"].is_string());
  auto messages = logMessages(app);
  EXPECT_NE(std::find_if(messages.begin(), messages.end(),
                         [](const std::string& m) {
                           return m.find("Detected buildpack nodejs") != std::string::npos;
                         }),
            messages.end());
  // start_time is inclusive: from the last line's timestamp, exactly the lines at or after it.
  const std::string last_ts = logs["envelopes"]["batch"].back()["timestamp"];
  EXPECT_GE(logMessages(app, "?start_time=" + last_ts).size(), 1u);
  EXPECT_LT(logMessages(app, "?start_time=" + last_ts).size(), messages.size());
  EXPECT_EQ(logMessages(app, "?envelope_types=GAUGE").size(), 0u);
  EXPECT_EQ(logMessages(app, "?descending=true&limit=1").size(), 1u);

  // Second push: everything is matched, the upload carries only `resources`.
  matches = ok("POST", "/v3/resource_matches", {{"resources", files.resources}}, 201);
  EXPECT_EQ(matches["resources"].size(), files.resources.size());
  const std::string package2 = createPackage(app);
  up = uploadFiles(package2, "", matches["resources"]);
  ASSERT_EQ(up.status, 200) << up.body;
  json p2 = waitPackage(package2);
  EXPECT_EQ(p2["state"], "READY");
  EXPECT_EQ(p2["data"]["checksum"]["value"].get<std::string>().size(), 64u);
  json build2 = stage(package2);
  EXPECT_EQ(build2["state"], "STAGED") << build2.dump();
  // The restage flow's lookup finds the newest READY package.
  ready = ok("GET", "/v3/packages?app_guids=" + app + "&states=READY&order_by=-created_at&per_page=1",
             nullptr, 200);
  EXPECT_EQ(ready["resources"][0]["guid"], package2);
}

TEST_F(ControllerStagingTest, UndetectableAppFailsWithNoAppDetectedError) {
  ASSERT_NO_FATAL_FAILURE(startController());
  const std::string app = createApp("mystery");
  const std::string package = createPackage(app);
  ASSERT_EQ(uploadAndWait(package, makeZip({{"data.bin", std::string("\x01\x02\x03", 3)}}),
                          json::array()),
            "READY");
  json build = stage(package);
  EXPECT_EQ(build["state"], "FAILED");
  EXPECT_EQ(build["error"],
            "NoAppDetectedError - An app was not successfully detected by any available "
            "buildpack");
  EXPECT_TRUE(build["droplet"].is_null());
  EXPECT_EQ(ok("GET", "/v3/apps/" + app + "/droplets", nullptr, 200)["resources"], json::array());
}

TEST_F(ControllerStagingTest, BadUploadsFailCleanlyAndStoreNothing) {
  ASSERT_NO_FATAL_FAILURE(startController());
  const std::string app = createApp("garbage");

  // Malformed multipart: 400 naming the problem; the package still awaits its upload.
  std::string package = createPackage(app);
  auto r = upload(package, "--x\r\nContent-Disposition: form-data; name=\"bits\"\r\n\r\nabc",
                  "multipart/form-data; boundary=x");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("truncated"), std::string::npos) << r.body;
  r = upload(package, "whatever", "application/zip");
  EXPECT_EQ(r.status, 400) << r.body;
  r = upload(package, multipart("b", {{"other", "x"}}), "multipart/form-data; boundary=b");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(ok("GET", "/v3/packages/" + package, nullptr, 200)["state"], "AWAITING_UPLOAD");

  // Bits that are not a zip: the package is FAILED with the reason, nothing is stored.
  EXPECT_EQ(uploadAndWait(package, "definitely not a zip file", json::array()), "FAILED");
  json p = ok("GET", "/v3/packages/" + package, nullptr, 200);
  EXPECT_EQ(p["state"], "FAILED");
  EXPECT_NE(p["data"]["error"].get<std::string>().find("Invalid zip"), std::string::npos);
  EXPECT_TRUE(p["data"]["checksum"]["value"].is_null());
  EXPECT_EQ(storedBlobs(), 0u);
  // A FAILED package cannot be staged, nor uploaded again.
  long status = 0;
  json err = call("POST", "/v3/builds", {{"package", {{"guid", package}}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(err["errors"][0]["detail"], "Bad request: Cannot stage package whose state is not ready.");
  EXPECT_EQ(uploadFiles(package, makeZip({{"a", "b"}}), json::array()).status, 422);

  // A zip escaping the app dir, and a resource the cache never saw.
  package = createPackage(app);
  EXPECT_EQ(uploadAndWait(package, makeZip({{"../../escape", "x"}}), json::array()), "FAILED");
  package = createPackage(app);
  EXPECT_EQ(uploadAndWait(package, "",
                          json::array({{{"checksum", {{"value", std::string(40, 'a')}}},
                                        {"path", "x"}}})),
            "FAILED");
  EXPECT_NE(ok("GET", "/v3/packages/" + package, nullptr, 200)["data"]["error"].get<std::string>()
                .find(std::string(40, 'a')),
            std::string::npos);
  package = createPackage(app);
  r = uploadFiles(package, "",
                  json::array({{{"checksum", {{"value", std::string(40, 'a')}}}, {"path", "/etc/x"}}}));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(storedBlobs(), 0u);
  EXPECT_FALSE(fs::exists(dir_ + "/escape"));

  // Staging a package that was never uploaded.
  package = createPackage(app);
  call("POST", "/v3/builds", {{"package", {{"guid", package}}}}, &status);
  EXPECT_EQ(status, 400);
}

TEST_F(ControllerStagingTest, OneStagingAtATimeTimeoutAndRestart) {
  ASSERT_NO_FATAL_FAILURE(startController({"--staging-timeout", "1.5"}));
  const std::string bp = sleepyBuildpack(30);
  const std::string app = createApp("sleepy");
  const std::string package = createPackage(app);
  ASSERT_EQ(uploadAndWait(package, makeZip({{"x.txt", "x"}}), json::array()), "READY");
  const json lifecycle = {{"type", "buildpack"}, {"data", {{"buildpacks", {bp}}}}};

  json build = ok("POST", "/v3/builds", {{"package", {{"guid", package}}}, {"lifecycle", lifecycle}}, 201);
  long status = 0;
  json busy = call("POST", "/v3/builds", {{"package", {{"guid", package}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(busy["errors"][0]["title"], "CF-StagingInProgress");
  json done = waitBuild(build["guid"], 20s);
  EXPECT_EQ(done["state"], "FAILED");
  EXPECT_EQ(done["error"], "StagingTimeExpired - Staging time expired");
  auto messages = logMessages(app);
  EXPECT_NE(std::find(messages.begin(), messages.end(), "compiling slowly"), messages.end());

  // A controller killed mid-staging: at the next start the build is FAILED, not STAGING forever.
  ASSERT_NO_FATAL_FAILURE(startController({"--staging-timeout", "60"}));
  build = ok("POST", "/v3/builds", {{"package", {{"guid", package}}}, {"lifecycle", lifecycle}}, 201);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         std::find(messages.begin(), messages.end(), "compiling slowly") == messages.end()) {
    messages.clear();
    for (auto& m : logMessages(app)) messages.push_back(m);
    std::this_thread::sleep_for(50ms);
  }
  controller_->signal(SIGKILL);
  controller_->stop();
  ASSERT_NO_FATAL_FAILURE(startController());
  json after = ok("GET", "/v3/builds/" + build["guid"].get<std::string>(), nullptr, 200);
  EXPECT_EQ(after["state"], "FAILED");
  EXPECT_EQ(after["error"], "StagingError - controller restarted");
}

TEST_F(ControllerStagingTest, LogLinesFromNatsAreServedInLogCacheShape) {
  NatsServer nats;
  ASSERT_TRUE(nats.start()) << nats.lastError();
  ASSERT_NO_FATAL_FAILURE(startController({"--nats", nats.url()}));
  EXPECT_EQ(ok("GET", "/", nullptr, 200)["links"]["log_cache"]["href"], base_);
  json info = ok("GET", "/api/v1/info", nullptr, 200);
  EXPECT_EQ(info["version"], "2.11.4");

  NatsPublisher cell(nats.url());
  ASSERT_TRUE(cell.ok());
  // Logs are read per app the caller may see: a real app.
  const std::string app = createApp("logger");
  // The subscription may not be in place the moment the API answers: publish until seen.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && logMessages(app).empty()) {
    cell.publish("logs." + app, json({{"timestamp_ns", 1000},
                                      {"app_guid", app},
                                      {"source_type", "APP/PROC/WEB"},
                                      {"instance_index", "1"},
                                      {"message_type", "ERR"},
                                      {"message", "boom é"}})
                                    .dump());
    std::this_thread::sleep_for(100ms);
  }
  cell.publish("logs." + app, "not json");
  cell.publish("logs." + app, json({{"timestamp_ns", 2000}, {"app_guid", app},
                                    {"source_type", "CELL"}, {"instance_index", "0"},
                                    {"message_type", "OUT"}, {"message", "Container became healthy"}})
                                  .dump());
  deadline = std::chrono::steady_clock::now() + 5s;
  json batch;
  while (std::chrono::steady_clock::now() < deadline) {
    batch = json::parse(
        apiGet("/api/v1/read/" + app + "?start_time=2000&envelope_types=LOG").body);
    if (!batch["envelopes"]["batch"].empty()) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(batch["envelopes"]["batch"].size(), 1u) << batch.dump();
  json e = batch["envelopes"]["batch"][0];
  EXPECT_EQ(e["timestamp"], "2000");
  EXPECT_EQ(e["source_id"], app);
  EXPECT_EQ(e["instance_id"], "0");
  EXPECT_EQ(e["tags"]["source_type"], "CELL");
  EXPECT_EQ(e["log"]["type"], "OUT");
  EXPECT_EQ(decode(e["log"]["payload"]), "Container became healthy");

  json all = json::parse(apiGet("/api/v1/read/" + app).body);
  ASSERT_GE(all["envelopes"]["batch"].size(), 2u);
  EXPECT_EQ(all["envelopes"]["batch"][0]["log"]["type"], "ERR");
  EXPECT_EQ(all["envelopes"]["batch"][0]["instance_id"], "1");
  EXPECT_EQ(decode(all["envelopes"]["batch"][0]["log"]["payload"]), "boom é");
  long status = 0;
  call("GET", "/api/v1/read/" + app + "?limit=0", nullptr, &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace foundry::test
