// foundry push: find or create the app, apply its settings and routes, upload the bits
// (resource matching + zip) or name a Docker image, stage with log streaming, set the droplet,
// restart and wait (PLATFORM-APIS.md B.4, done as separate calls rather than apply_manifest).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/api/multipart.h"
#include "cli/bits/app_files.h"
#include "cli/bits/zip.h"
#include "cli/commands/app_lifecycle.h"
#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/manifest/manifest.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct PushOptions {
  PushFlags flags;
  std::string name;
  std::string manifest;
  bool no_manifest = false;
  bool no_start = false;
};

// The manifest to use: -f, else manifest.yml/manifest.yaml in -p's folder, else in the cwd.
Result<std::optional<Manifest>> findManifest(const PushOptions& options) {
  using R = Result<std::optional<Manifest>>;
  if (options.no_manifest) return R::ok(std::nullopt);
  if (!options.manifest.empty()) {
    fs::path file = options.manifest;
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
      file = fs::exists(file / "manifest.yml") ? file / "manifest.yml" : file / "manifest.yaml";
    }
    auto manifest = loadManifest(file);
    if (!manifest) return R::fail(manifest.error());
    return R::ok(*manifest);
  }
  std::vector<fs::path> folders;
  std::error_code ec;
  if (options.flags.path && fs::is_directory(*options.flags.path, ec)) {
    folders.push_back(*options.flags.path);
  }
  folders.push_back(fs::current_path(ec));
  for (const auto& folder : folders) {
    for (const char* name : {"manifest.yml", "manifest.yaml"}) {
      if (fs::is_regular_file(folder / name, ec)) {
        auto manifest = loadManifest(folder / name);
        if (!manifest) return R::fail(manifest.error());
        return R::ok(*manifest);
      }
    }
  }
  return R::ok(std::nullopt);
}

class Pusher {
 public:
  Pusher(Context& context, const CcClient& client, bool no_start)
      : context_(context), ui_(context.ui()), client_(client), no_start_(no_start) {}

  Status loadDomains() {
    const std::string& org = context_.config().org_guid;
    auto domains = listDomains(client_, org);
    if (!domains) return Status::fail(domains.error());
    domains_ = *domains;
    for (const auto& d : domains_) domain_list_.push_back(d.value("name", ""));
    default_domain_ = orgDefaultDomainName(client_, org, domains_);
    return okStatus();
  }
  const std::string& defaultDomain() const { return default_domain_; }

  // One app, start to finish. The route URLs it ends up with are added to `urls`.
  Status push(const AppManifest& plan, std::vector<std::string>& urls) {
    ui_.say("Pushing app " + plan.name + " to " + context_.where() + "...");
    ui_.newline();
    auto app = findOrCreateApp(plan);
    if (!app) return Status::fail(app.error());
    std::string guid = (*app)["guid"];
    if (Status s = applyProcessSettings(plan, guid); !s) return s;
    if (Status s = applyRoutes(plan, guid); !s) return s;
    auto package = plan.docker_image ? createDockerPackage(plan, guid) : uploadBits(plan, guid);
    if (!package) return Status::fail(package.error());

    ui_.newline();
    ui_.say("Staging app and tracing logs...");
    auto droplet = stagePackage(context_, client_, plan.name, guid, *package,
                                plan.buildpacks.value_or(std::vector<std::string>{}));
    if (!droplet) return Status::fail(droplet.error());
    auto set = client_.patch("/v3/apps/" + guid + "/relationships/current_droplet",
                             {{"data", {{"guid", *droplet}}}});
    if (!set) return Status::fail(set.error());

    if (no_start_) {
      if (app->value("state", "") == "STARTED") {
        auto stopped = client_.post("/v3/apps/" + guid + "/actions/stop", json::object());
        if (!stopped) return Status::fail(stopped.error());
      }
    } else {
      auto restarted = client_.post("/v3/apps/" + guid + "/actions/restart", json::object());
      if (!restarted) return Status::fail(restarted.error());
      ui_.newline();
      ui_.say("Waiting for app " + plan.name + " to start...");
      ui_.newline();
      if (Status s =
              waitForInstances(context_, client_, plan.name, guid, startTimeout(client_, guid));
          !s) {
        return s;
      }
    }
    ui_.newline();
    auto fresh = client_.get("/v3/apps/" + guid);
    printAppSummary(context_, client_, fresh ? fresh->body : *app);
    auto route_urls = appRouteUrls(client_, guid, domainNames(domains_));
    if (route_urls) urls.insert(urls.end(), route_urls->begin(), route_urls->end());
    return okStatus();
  }

 private:
  Result<json> findOrCreateApp(const AppManifest& plan) {
    const std::string& space = context_.config().space_guid;
    auto existing = lookupApp(client_, space, plan.name);
    if (!existing) return existing;
    if (existing->is_null()) {
      ui_.say("Creating app " + plan.name + "...");
      json body = {{"name", plan.name},
                   {"relationships", {{"space", {{"data", {{"guid", space}}}}}}}};
      if (plan.docker_image) {
        body["lifecycle"] = {{"type", "docker"}, {"data", json::object()}};
      } else if (plan.buildpacks) {
        body["lifecycle"] = {{"type", "buildpack"}, {"data", {{"buildpacks", *plan.buildpacks}}}};
      }
      if (!plan.env.empty()) body["environment_variables"] = plan.env;
      auto created = client_.post("/v3/apps", body);
      if (!created) return Result<json>::fail(created.error());
      return Result<json>::ok(created->body);
    }
    ui_.say("Updating app " + plan.name + "...");
    std::string guid = (*existing)["guid"];
    const std::string lifecycle = existing->value("lifecycle", json::object()).value("type", "");
    if (plan.docker_image && lifecycle != "docker") {
      return Result<json>::fail("App " + plan.name + " was pushed from source (" + lifecycle +
                                "); it cannot become a Docker app. Delete it or use another "
                                "name.");
    }
    if (!plan.docker_image && lifecycle == "docker") {
      return Result<json>::fail("App " + plan.name +
                                " runs a Docker image; push it with --docker-image");
    }
    if (plan.buildpacks) {
      auto patched = client_.patch(
          "/v3/apps/" + guid,
          {{"lifecycle", {{"type", "buildpack"}, {"data", {{"buildpacks", *plan.buildpacks}}}}}});
      if (!patched) return Result<json>::fail(patched.error());
    }
    if (!plan.env.empty()) {
      auto patched =
          client_.patch("/v3/apps/" + guid + "/environment_variables", {{"var", plan.env}});
      if (!patched) ui_.warn("Environment variables were not updated: " + patched.error());
    }
    return existing;
  }

  Status applyProcessSettings(const AppManifest& plan, const std::string& app_guid) {
    json scale = json::object();
    if (plan.instances) scale["instances"] = *plan.instances;
    if (plan.memory_mb) scale["memory_in_mb"] = *plan.memory_mb;
    if (plan.disk_mb) scale["disk_in_mb"] = *plan.disk_mb;
    if (!scale.empty()) {
      auto scaled = client_.post("/v3/apps/" + app_guid + "/processes/web/actions/scale", scale);
      if (!scaled) return Status::fail(scaled.error());
    }
    json update = json::object();
    if (plan.command) update["command"] = *plan.command;
    if (plan.health_check_type || plan.health_check_endpoint || plan.timeout) {
      auto process = webProcess(client_, app_guid);
      if (!process) return Status::fail(process.error());
      json health = process->value("health_check", json::object());
      std::string type = plan.health_check_type.value_or(health.value("type", "port"));
      if (plan.health_check_endpoint) type = plan.health_check_type.value_or("http");
      json data = json::object();
      if (plan.timeout) data["timeout"] = *plan.timeout;
      if (type == "http") {
        // Keep the endpoint the process already has unless a new one is given.
        const json old_data = health.value("data", json::object());
        std::string old_endpoint = old_data.is_object() && old_data.contains("endpoint") &&
                                           old_data["endpoint"].is_string()
                                       ? old_data["endpoint"].get<std::string>()
                                       : "/";
        data["endpoint"] = plan.health_check_endpoint.value_or(old_endpoint);
      }
      update["health_check"] = {{"type", type}, {"data", data}};
    }
    if (!update.empty()) {
      auto process = webProcess(client_, app_guid);
      if (!process) return Status::fail(process.error());
      auto patched =
          client_.patch("/v3/processes/" + (*process)["guid"].get<std::string>(), update);
      if (!patched) return Status::fail(patched.error());
    }
    return okStatus();
  }

  Status mapRoute(const std::string& app_guid, const RouteParts& parts) {
    json domain;
    for (const auto& d : domains_) {
      if (d.value("name", "") == parts.domain) domain = d;
    }
    std::string domain_guid = domain.value("guid", "");
    auto route = findRoute(client_, domain_guid, parts.host, parts.path);
    if (!route) return Status::fail(route.error());
    if (route->is_null()) {
      ui_.say("Creating route " + parts.url() + "...");
      json body = {{"host", parts.host},
                   {"relationships",
                    {{"space", {{"data", {{"guid", context_.config().space_guid}}}}},
                     {"domain", {{"data", {{"guid", domain_guid}}}}}}}};
      if (!parts.path.empty()) body["path"] = parts.path;
      auto created = client_.post("/v3/routes", body);
      if (!created) return Status::fail(created.error());
      route = Result<json>::ok(created->body);
    }
    std::string route_guid = (*route)["guid"];
    auto mapped = appDestinations(client_, route_guid, app_guid);
    if (!mapped) return Status::fail(mapped.error());
    if (!mapped->empty()) return okStatus();
    ui_.say("Mapping routes...");
    auto added = client_.post("/v3/routes/" + route_guid + "/destinations",
                              {{"destinations", json::array({{{"app", {{"guid", app_guid}}}}})}});
    if (!added) return Status::fail(added.error());
    return okStatus();
  }

  Status applyRoutes(const AppManifest& plan, const std::string& app_guid) {
    if (plan.no_route) return okStatus();
    if (plan.routes) {
      for (const auto& text : *plan.routes) {
        auto parts = splitRoute(text, domain_list_);
        if (!parts) return Status::fail(parts.error());
        if (Status s = mapRoute(app_guid, *parts); !s) return s;
      }
      return okStatus();
    }
    // The default route: only for an app that has none yet, as cf.
    auto existing = client_.listAll("/v3/apps/" + app_guid + "/routes");
    if (!existing) return Status::fail(existing.error());
    if (!existing->empty()) return okStatus();
    if (default_domain_.empty()) return Status::fail("No domain to create the default route on");
    RouteParts parts;
    parts.host = plan.name;
    for (auto& c : parts.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    parts.domain = default_domain_;
    return mapRoute(app_guid, parts);
  }

  // A docker package (READY at once: the controller reads the image at staging). The password
  // comes from CF_DOCKER_PASSWORD, as with cf.
  Result<std::string> createDockerPackage(const AppManifest& plan, const std::string& app_guid) {
    using R = Result<std::string>;
    json data = {{"image", *plan.docker_image}};
    if (plan.docker_username) {
      const char* password = std::getenv("CF_DOCKER_PASSWORD");
      if (!password || !*password) {
        return R::fail("Environment variable CF_DOCKER_PASSWORD not set.");
      }
      data["username"] = *plan.docker_username;
      data["password"] = password;
      ui_.say("Using docker repository password from environment variable CF_DOCKER_PASSWORD.");
    }
    ui_.say("Creating package for docker image " + *plan.docker_image + "...");
    auto package = client_.post(
        "/v3/packages", {{"type", "docker"},
                         {"data", std::move(data)},
                         {"relationships", {{"app", {{"data", {{"guid", app_guid}}}}}}}});
    if (!package) return R::fail(package.error());
    std::string package_guid = package->body.value("guid", "");
    if (package_guid.empty()) return R::fail("The API answered a package without a guid");
    return R::ok(package_guid);
  }

  // Returns the READY package's guid.
  Result<std::string> uploadBits(const AppManifest& plan, const std::string& app_guid) {
    using R = Result<std::string>;
    fs::path root = plan.path.value_or(".");
    ui_.say("Packaging files to upload...");
    auto files = collectAppFiles(root);
    if (!files) return R::fail(files.error());
    json fingerprints = json::array();
    for (const auto& f : *files) {
      if (f.kind != AppFile::Kind::kFile) continue;
      fingerprints.push_back({{"checksum", {{"value", f.sha1}}},
                              {"size_in_bytes", f.size},
                              {"path", f.path},
                              {"mode", modeString(f.mode)}});
    }
    // Files the server already has are not sent again.
    std::map<std::string, bool> cached;  // sha1 -> true
    json matched = json::array();
    // In batches: CC caps the list (5000 here); a failing match only means uploading more.
    constexpr size_t kBatch = 1000;
    for (size_t start = 0; start < fingerprints.size(); start += kBatch) {
      json batch = json::array();
      for (size_t i = start; i < std::min(fingerprints.size(), start + kBatch); ++i) {
        batch.push_back(fingerprints[i]);
      }
      auto reply = client_.sendRaw("POST", "/v3/resource_matches",
                                   json{{"resources", batch}}.dump(), "application/json", 60000);
      if (!reply || reply->status < 200 || reply->status >= 300 || !reply->body.is_object()) break;
      for (const auto& r : reply->body.value("resources", json::array())) {
        try {
          cached[r["checksum"]["value"].get<std::string>()] = true;
        } catch (const std::exception&) {
        }
      }
    }
    std::vector<AppFile> to_zip;
    uint64_t bytes = 0;
    size_t file_count = 0;
    for (const auto& f : *files) {
      if (f.kind == AppFile::Kind::kFile && cached.count(f.sha1)) {
        matched.push_back({{"checksum", {{"value", f.sha1}}},
                           {"size_in_bytes", f.size},
                           {"path", f.path},
                           {"mode", modeString(f.mode)}});
        continue;
      }
      if (f.kind == AppFile::Kind::kFile) {
        bytes += f.size;
        ++file_count;
      }
      to_zip.push_back(f);
    }
    auto zip = zipAppFiles(root, to_zip);
    if (!zip) return R::fail(zip.error());
    auto package = client_.post(
        "/v3/packages",
        {{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", app_guid}}}}}}}});
    if (!package) return R::fail(package.error());
    std::string package_guid = package->body.value("guid", "");
    if (package_guid.empty()) return R::fail("The API answered a package without a guid");
    ui_.say("Uploading files (" + formatBytes(static_cast<double>(bytes)) + ", " +
            std::to_string(file_count) + " files; " + std::to_string(matched.size()) +
            " already on the server)...");
    MultipartBody body = buildMultipart({{"resources", matched.dump(), "", "application/json"},
                                         {"bits", *zip, "application.zip", "application/zip"}});
    auto uploaded = client_.send("POST", "/v3/packages/" + package_guid + "/upload", body.body,
                                 body.content_type, 10 * 60 * 1000);
    if (!uploaded) return R::fail(uploaded.error());
    // Processing the upload may be asynchronous: wait for READY.
    auto deadline = std::chrono::steady_clock::now() + 5min;
    while (true) {
      auto current = client_.get("/v3/packages/" + package_guid);
      if (!current) return R::fail(current.error());
      std::string state = current->body.value("state", "");
      if (state == "READY") return R::ok(package_guid);
      if (state == "FAILED" || state == "EXPIRED") {
        std::string error;
        try {
          error = current->body["data"]["error"].get<std::string>();
        } catch (const std::exception&) {
          error = "package " + state;
        }
        return R::fail("Package upload failed: " + error);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return R::fail("Timed out waiting for package " + package_guid + " (state " + state + ")");
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  Context& context_;
  Ui& ui_;
  const CcClient& client_;
  bool no_start_;
  std::vector<json> domains_;
  std::vector<std::string> domain_list_;
  std::string default_domain_;
};

int pushCommand(Context& context, PushOptions options) {
  Ui& ui = context.ui();
  if (!options.name.empty()) options.flags.name = options.name;
  auto manifest = findManifest(options);
  if (!manifest) return ui.failed(manifest.error());
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  Pusher pusher(context, *client, options.no_start);
  if (Status s = pusher.loadDomains(); !s) return ui.failed(s.error());
  std::error_code ec;
  auto plan =
      resolvePushPlan(*manifest, options.flags, pusher.defaultDomain(), fs::current_path(ec));
  if (!plan) return ui.failed(plan.error());
  std::vector<std::string> urls;
  for (const auto& app : *plan) {
    Status pushed = pusher.push(app, urls);
    if (!pushed) return ui.failed(pushed.error());
    if (&app != &plan->back()) ui.newline();
  }
  if (!urls.empty()) {
    ui.newline();
    for (const auto& url : urls) {
      ui.say("App URL: http://" + url + "  (through the router's port)");
    }
  }
  return 0;
}

}  // namespace

void addPushCommand(CommandTable& table) {
  Context& context = table.context();
  auto options = std::make_shared<PushOptions>();
  CLI::App* push = table.add("push", "Push a new app or sync changes to an existing app",
                             [&context, options] { return pushCommand(context, *options); });
  PushFlags& f = options->flags;
  push->add_option("APP_NAME", options->name, "The app (required without a manifest)");
  push->add_option("-p,--path", f.path, "Path to the app directory (default: current directory)");
  push->add_option("-f,--manifest", options->manifest, "Path to the manifest");
  push->add_flag("--no-manifest", options->no_manifest, "Ignore manifest files");
  push->add_option("-i,--instances", f.instances, "Number of instances");
  push->add_option("-m,--memory", f.memory, "Memory limit (e.g. 256M, 1024M, 1G)");
  push->add_option("-k,--disk", f.disk, "Disk limit (e.g. 256M, 1024M, 1G)");
  push->add_option("-b,--buildpack", f.buildpacks, "Buildpack name; repeat for several")
      ->allow_extra_args(false);  // -b x NAME: NAME stays the app name
  push->add_option("-c,--start-command", f.command, "Startup command");
  push->add_option("-u,--health-check-type", f.health_check_type,
                   "Application health check type: port, process or http");
  push->add_option("--endpoint", f.health_check_endpoint,
                   "Valid path on the app for an http health check, e.g. /health");
  push->add_option("-t,--app-start-timeout", f.timeout,
                   "Time (seconds) allowed between app start and the first healthy response");
  push->add_flag("--no-route", f.no_route, "Do not map a route to this app");
  push->add_flag("--random-route", f.random_route, "Create a random route for this app");
  push->add_option("-n,--hostname", f.hostname, "Hostname (e.g. my-subdomain)");
  push->add_option("-d,--domain", f.domain, "Domain (e.g. apps.internal)");
  push->add_flag("--no-start", options->no_start, "Upload and stage the app but do not start it");
  push->add_option("-o,--docker-image", f.docker_image,
                   "Docker image to run instead of source, [REGISTRY_HOST:PORT/]IMAGE[:TAG]");
  push->add_option("--docker-username", f.docker_username,
                   "Registry user (the password is read from CF_DOCKER_PASSWORD)");
  push->footer(
      "Examples:\n"
      "  foundry push demo -p examples/node-hello -i 2 -m 256M\n"
      "  foundry push -f manifest.yml\n"
      "  foundry push demo --no-start\n"
      "  CF_DOCKER_PASSWORD=... foundry push web -o 127.0.0.1:5000/team/web:v1 --docker-username ci");
}

}  // namespace foundry::cli
