#pragma once
// The application manifest that `cf push` (v7+) sends to
// POST /v3/spaces/:guid/actions/apply_manifest, parsed on the server (yaml-cpp):
//
//   applications:
//   - name: web
//     instances: 2
//     memory: 256M             # M/MB/G/GB or a plain number of MB
//     disk_quota: 1G           # also disk-quota
//     buildpacks: [nodejs_buildpack]   # or the older `buildpack:`
//     stack: cflinuxfs4
//     command: node server.js
//     health-check-type: http  # port | process | http (`none` = process)
//     health-check-http-endpoint: /health
//     timeout: 60
//     routes: [{route: web.apps.internal/api}]
//     default-route: true      # the CLI adds it unless routes / no-route are given
//     no-route: false
//     random-route: false
//     env: {GREETING: hello}
//     processes: [{type: web, instances: 2, memory: 256M, command: ..., ...}]
//
// Keys we do not act on (metadata, services, sidecars, ...) are accepted and ignored, as the
// CLI sends manifests written for a full Cloud Foundry; a bad value is a ManifestError naming
// the application and the key, which the API answers as 422.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace foundry::control {

struct ManifestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProcessManifest {
  std::string type = "web";
  std::optional<int64_t> instances;
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> disk_mb;
  std::optional<std::string> command;
  std::optional<std::string> health_check_type;
  std::optional<std::string> health_check_endpoint;
  std::optional<int64_t> timeout;
};

// One entry of an app's `services`: a service instance name, or a map with the binding's
// name and parameters.
struct ServiceManifest {
  std::string name;
  std::optional<std::string> binding_name;
  std::string parameters;  // JSON object text ("" when none given)
};

struct AppManifest {
  std::string name;
  ProcessManifest web;  // the app-level keys, which CC applies to the web process
  std::vector<ProcessManifest> processes;
  std::optional<std::vector<std::string>> buildpacks;
  std::optional<std::string> stack;
  // `docker: {image, username}` (the password never travels in a manifest: the cf CLI sends it
  // in the package). Set: the app has the docker lifecycle.
  std::optional<std::string> docker_image;
  std::string docker_username;
  std::optional<std::vector<std::string>> routes;  // "host.domain/path"
  bool default_route = false;
  bool no_route = false;
  bool random_route = false;
  std::map<std::string, std::optional<std::string>> env;  // nullopt: a null value
  std::vector<ServiceManifest> services;  // instances to bind the app to
};

// Throws ManifestError. At least one application, each with a name.
std::vector<AppManifest> parseAppManifest(const std::string& yaml);

// "256M" -> 256, "1G" -> 1024, "512" -> 512; nullopt when malformed.
std::optional<int64_t> parseMegabytes(const std::string& text);

}  // namespace foundry::control
