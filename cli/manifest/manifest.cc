#include "cli/manifest/manifest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "cli/manifest/units.h"

namespace foundry::cli {

namespace fs = std::filesystem;

namespace {

template <class T>
Result<T> failFor(const std::string& app, const std::string& key, const std::string& why) {
  return Result<T>::fail("Manifest: application '" + app + "', " + key + ": " + why);
}

// A scalar's text, or an error if the node is not a scalar.
Result<std::string> scalarText(const YAML::Node& node, const std::string& app,
                               const std::string& key) {
  if (!node.IsScalar()) return failFor<std::string>(app, key, "must be a single value");
  return Result<std::string>::ok(node.Scalar());
}

Result<int> integer(const YAML::Node& node, const std::string& app, const std::string& key,
                    int minimum) {
  auto text = scalarText(node, app, key);
  if (!text) return Result<int>::fail(text.error());
  try {
    size_t used = 0;
    long value = std::stol(*text, &used);
    if (used != text->size() || value < minimum || value > 1000000) throw std::out_of_range("");
    return Result<int>::ok(static_cast<int>(value));
  } catch (const std::exception&) {
    return failFor<int>(
        app, key, "must be an integer >= " + std::to_string(minimum) + " (got '" + *text + "')");
  }
}

Result<bool> boolean(const YAML::Node& node, const std::string& app, const std::string& key) {
  auto text = scalarText(node, app, key);
  if (!text) return Result<bool>::fail(text.error());
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "true" || lower == "yes") return Result<bool>::ok(true);
  if (lower == "false" || lower == "no") return Result<bool>::ok(false);
  return failFor<bool>(app, key, "must be true or false (got '" + *text + "')");
}

Result<int64_t> megabytes(const YAML::Node& node, const std::string& app, const std::string& key) {
  auto text = scalarText(node, app, key);
  if (!text) return Result<int64_t>::fail(text.error());
  auto mb = parseMegabytes(*text);
  if (!mb) return failFor<int64_t>(app, key, mb.error());
  return mb;
}

Result<AppManifest> parseApp(const YAML::Node& node, size_t index, const fs::path& base_dir) {
  if (!node.IsMap()) {
    return Result<AppManifest>::fail("Manifest: applications[" + std::to_string(index) +
                                     "] must be a map");
  }
  AppManifest app;
  if (!node["name"] || !node["name"].IsScalar() || node["name"].Scalar().empty()) {
    return Result<AppManifest>::fail("Found an application with no name specified");
  }
  app.name = node["name"].Scalar();
  const std::string& n = app.name;
  if (auto v = node["path"]) {
    auto text = scalarText(v, n, "path");
    if (!text) return Result<AppManifest>::fail(text.error());
    fs::path p(*text);
    app.path =
        (p.is_relative() && !base_dir.empty() ? (base_dir / p) : p).lexically_normal().string();
  }
  if (auto v = node["instances"]) {
    auto i = integer(v, n, "instances", 0);
    if (!i) return Result<AppManifest>::fail(i.error());
    app.instances = *i;
  }
  if (auto v = node["memory"]) {
    auto mb = megabytes(v, n, "memory");
    if (!mb) return Result<AppManifest>::fail(mb.error());
    app.memory_mb = *mb;
  }
  if (auto v = node["disk_quota"]) {
    auto mb = megabytes(v, n, "disk_quota");
    if (!mb) return Result<AppManifest>::fail(mb.error());
    app.disk_mb = *mb;
  }
  if (auto v = node["buildpacks"]) {
    if (!v.IsSequence()) return failFor<AppManifest>(n, "buildpacks", "must be a list");
    std::vector<std::string> list;
    for (const auto& item : v) {
      auto text = scalarText(item, n, "buildpacks");
      if (!text) return Result<AppManifest>::fail(text.error());
      list.push_back(*text);
    }
    app.buildpacks = list;
  } else if (auto v = node["buildpack"]) {
    auto text = scalarText(v, n, "buildpack");
    if (!text) return Result<AppManifest>::fail(text.error());
    app.buildpacks = std::vector<std::string>{*text};
  }
  if (auto v = node["docker"]) {
    if (!v.IsMap() || !v["image"]) return failFor<AppManifest>(n, "docker", "must have an image");
    auto image = scalarText(v["image"], n, "docker image");
    if (!image) return Result<AppManifest>::fail(image.error());
    app.docker_image = *image;
    if (auto u = v["username"]) {
      auto user = scalarText(u, n, "docker username");
      if (!user) return Result<AppManifest>::fail(user.error());
      app.docker_username = *user;
    }
    if (app.buildpacks) {
      return failFor<AppManifest>(n, "docker", "cannot be used together with buildpacks");
    }
  }
  if (auto v = node["command"]) {
    auto text = scalarText(v, n, "command");
    if (!text) return Result<AppManifest>::fail(text.error());
    app.command = *text;
  }
  if (auto v = node["health-check-type"]) {
    auto text = scalarText(v, n, "health-check-type");
    if (!text) return Result<AppManifest>::fail(text.error());
    auto type = normaliseHealthCheckType(*text);
    if (!type) return failFor<AppManifest>(n, "health-check-type", type.error());
    app.health_check_type = *type;
  }
  if (auto v = node["health-check-http-endpoint"]) {
    auto text = scalarText(v, n, "health-check-http-endpoint");
    if (!text) return Result<AppManifest>::fail(text.error());
    if (text->empty() || (*text)[0] != '/') {
      return failFor<AppManifest>(n, "health-check-http-endpoint", "must start with '/'");
    }
    app.health_check_endpoint = *text;
  }
  if (auto v = node["timeout"]) {
    auto i = integer(v, n, "timeout", 1);
    if (!i) return Result<AppManifest>::fail(i.error());
    app.timeout = *i;
  }
  if (auto v = node["routes"]) {
    if (!v.IsSequence()) return failFor<AppManifest>(n, "routes", "must be a list");
    std::vector<std::string> routes;
    for (const auto& item : v) {
      if (!item.IsMap() || !item["route"] || !item["route"].IsScalar() ||
          item["route"].Scalar().empty()) {
        return failFor<AppManifest>(n, "routes", "each item must be {route: host.domain[/path]}");
      }
      routes.push_back(item["route"].Scalar());
    }
    app.routes = routes;
  }
  if (auto v = node["no-route"]) {
    auto b = boolean(v, n, "no-route");
    if (!b) return Result<AppManifest>::fail(b.error());
    app.no_route = *b;
  }
  if (auto v = node["random-route"]) {
    auto b = boolean(v, n, "random-route");
    if (!b) return Result<AppManifest>::fail(b.error());
    app.random_route = *b;
  }
  if (auto v = node["env"]) {
    if (!v.IsMap()) return failFor<AppManifest>(n, "env", "must be a map");
    for (const auto& kv : v) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
        return failFor<AppManifest>(n, "env", "values must be strings, numbers or booleans");
      }
      app.env[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  if (app.health_check_endpoint && app.health_check_type && *app.health_check_type != "http") {
    return failFor<AppManifest>(n, "health-check-http-endpoint", "needs health-check-type: http");
  }
  if (app.no_route && app.routes) {
    return failFor<AppManifest>(n, "no-route", "cannot be combined with routes");
  }
  return Result<AppManifest>::ok(std::move(app));
}

std::string randomSuffix() {
  static const char* words[] = {"brave", "calm",  "eager", "fuzzy", "happy", "jolly",
                                "lucky", "proud", "quick", "shiny", "witty", "zesty"};
  std::random_device device;
  std::mt19937 rng(device());
  std::uniform_int_distribution<int> word(0, 11);
  std::uniform_int_distribution<int> number(10, 99);
  return std::string(words[word(rng)]) + "-" + words[word(rng)] + "-" + std::to_string(number(rng));
}

bool hasAppFlags(const PushFlags& f) {
  return f.path || f.instances || f.memory || f.disk || !f.buildpacks.empty() || f.command ||
         f.health_check_type || f.health_check_endpoint || f.timeout || f.no_route ||
         f.random_route || f.hostname || f.domain || f.docker_image || f.docker_username;
}

Status applyFlags(AppManifest& app, const PushFlags& f, const std::string& default_domain) {
  if (f.path) app.path = *f.path;
  if (f.instances) {
    if (*f.instances < 0) return Status::fail("Incorrect Usage: -i must be 0 or more");
    app.instances = *f.instances;
  }
  if (f.memory) {
    auto mb = parseMegabytes(*f.memory);
    if (!mb) return Status::fail("Incorrect Usage: -m: " + mb.error());
    app.memory_mb = *mb;
  }
  if (f.disk) {
    auto mb = parseMegabytes(*f.disk);
    if (!mb) return Status::fail("Incorrect Usage: -k: " + mb.error());
    app.disk_mb = *mb;
  }
  if (!f.buildpacks.empty()) app.buildpacks = f.buildpacks;
  if (f.docker_username && !f.docker_image) {
    return Status::fail("Incorrect Usage: '--docker-image, -o' is required when using "
                        "'--docker-username'");
  }
  if (f.docker_image) {
    if (!f.buildpacks.empty() || f.path) {
      return Status::fail("Incorrect Usage: The following arguments cannot be used together: "
                          "--docker-image, -o, --buildpack, -b, --path, -p");
    }
    app.docker_image = *f.docker_image;
    app.docker_username = f.docker_username;
  }
  if (f.command) app.command = *f.command;
  if (f.health_check_type) {
    auto type = normaliseHealthCheckType(*f.health_check_type);
    if (!type) return Status::fail("Incorrect Usage: -u: " + type.error());
    app.health_check_type = *type;
    if (*type != "http") app.health_check_endpoint.reset();
  }
  if (f.health_check_endpoint) {
    if (f.health_check_endpoint->empty() || (*f.health_check_endpoint)[0] != '/') {
      return Status::fail("Incorrect Usage: --endpoint must start with '/'");
    }
    app.health_check_endpoint = *f.health_check_endpoint;
  }
  if (f.timeout) {
    if (*f.timeout < 1) return Status::fail("Incorrect Usage: -t must be 1 or more seconds");
    app.timeout = *f.timeout;
  }
  if (f.no_route && (f.hostname || f.domain || f.random_route)) {
    return Status::fail(
        "Incorrect Usage: The following arguments cannot be used together: --no-route, "
        "--hostname/-n, --domain/-d, --random-route");
  }
  if (f.no_route) {
    app.no_route = true;
    app.routes.reset();
  }
  if (f.hostname || f.domain) {
    std::string host = f.hostname.value_or(app.name);
    std::string domain = f.domain.value_or(default_domain);
    app.routes = std::vector<std::string>{host.empty() ? domain : host + "." + domain};
    app.no_route = false;
  }
  if (f.random_route) app.random_route = true;
  return okStatus();
}

}  // namespace

std::string RouteParts::url() const { return (host.empty() ? domain : host + "." + domain) + path; }

Result<Manifest> parseManifest(const std::string& yaml_text, const fs::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Result<Manifest>::fail(std::string("Manifest is not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["applications"]) {
    return Result<Manifest>::fail("Manifest must have an 'applications' list");
  }
  const YAML::Node& apps = root["applications"];
  if (!apps.IsSequence()) return Result<Manifest>::fail("Manifest: 'applications' must be a list");
  Manifest manifest;
  for (size_t i = 0; i < apps.size(); ++i) {
    auto app = parseApp(apps[i], i, base_dir);
    if (!app) return Result<Manifest>::fail(app.error());
    manifest.applications.push_back(std::move(*app));
  }
  return Result<Manifest>::ok(std::move(manifest));
}

Result<Manifest> loadManifest(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Result<Manifest>::fail("Could not read manifest " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  fs::path base = fs::absolute(file).parent_path();
  return parseManifest(text.str(), base);
}

Result<std::vector<AppManifest>> resolvePushPlan(const std::optional<Manifest>& manifest,
                                                 const PushFlags& flags,
                                                 const std::string& default_domain,
                                                 const fs::path& cwd) {
  using Plan = Result<std::vector<AppManifest>>;
  std::vector<AppManifest> apps;
  if (!manifest || manifest->applications.empty()) {
    if (!flags.name || flags.name->empty()) {
      return Plan::fail("Incorrect Usage: the required argument `APP_NAME` was not provided");
    }
    AppManifest app;
    app.name = *flags.name;
    apps.push_back(app);
  } else if (flags.name) {
    auto it = std::find_if(manifest->applications.begin(), manifest->applications.end(),
                           [&](const AppManifest& a) { return a.name == *flags.name; });
    if (it == manifest->applications.end()) {
      if (manifest->applications.size() > 1) {
        return Plan::fail("Could not find app named '" + *flags.name + "' in manifest");
      }
      // A single-app manifest pushed under another name: cf renames it.
      AppManifest app = manifest->applications.front();
      app.name = *flags.name;
      apps.push_back(app);
    } else {
      apps.push_back(*it);
    }
  } else {
    apps = manifest->applications;
    if (apps.size() > 1 && hasAppFlags(flags)) {
      return Plan::fail(
          "Incorrect Usage: Command line flags (except -f and --no-start) cannot be applied "
          "when pushing multiple apps from a manifest file.");
    }
  }
  for (auto& app : apps) {
    Status status = applyFlags(app, flags, default_domain);
    if (!status) return Plan::fail(status.error());
    if (!app.path && !app.docker_image) app.path = cwd.string();  // an image uploads nothing
    if (app.random_route && !app.no_route && !app.routes) {
      app.routes = std::vector<std::string>{app.name + "-" + randomSuffix() + "." + default_domain};
    }
  }
  return Plan::ok(std::move(apps));
}

Result<RouteParts> splitRoute(const std::string& route, const std::vector<std::string>& domains) {
  std::string rest = route;
  for (const char* scheme : {"http://", "https://"}) {
    if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::string(scheme).size());
  }
  RouteParts parts;
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    parts.path = rest.substr(slash);
    rest = rest.substr(0, slash);
    if (parts.path == "/") parts.path.clear();
  }
  if (rest.find(':') != std::string::npos) {
    return Result<RouteParts>::fail("Route '" + route + "': TCP routes (ports) are not supported");
  }
  std::string lower = rest;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  const std::string* best = nullptr;
  for (const auto& domain : domains) {
    bool exact = lower == domain;
    bool suffix = lower.size() > domain.size() + 1 &&
                  lower.compare(lower.size() - domain.size(), domain.size(), domain) == 0 &&
                  lower[lower.size() - domain.size() - 1] == '.';
    if ((exact || suffix) && (!best || domain.size() > best->size())) best = &domain;
  }
  if (!best) {
    return Result<RouteParts>::fail("The route " + route + " did not match any existing domains.");
  }
  parts.domain = *best;
  parts.host = lower.size() == best->size() ? "" : lower.substr(0, lower.size() - best->size() - 1);
  return Result<RouteParts>::ok(parts);
}

Result<std::string> normaliseHealthCheckType(const std::string& type) {
  if (type == "port" || type == "process" || type == "http") return Result<std::string>::ok(type);
  if (type == "none") return Result<std::string>::ok("process");
  return Result<std::string>::fail("health check type must be port, process or http (got '" + type +
                                   "')");
}

}  // namespace foundry::cli
