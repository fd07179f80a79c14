#pragma once
// cf application manifests (manifest.yml) and the push flags that override them.
//
//   applications:
//   - name: web
//     path: ./app                   # relative to the manifest's folder
//     instances: 2
//     memory: 256M                  # M/MB/G/GB, as cf
//     disk_quota: 1G
//     buildpacks: [nodejs_buildpack] # or the older `buildpack: nodejs_buildpack`
//     command: node server.js
//     health-check-type: http       # port | process | http (`none` = process)
//     health-check-http-endpoint: /health
//     timeout: 60
//     routes: [{route: web.apps.internal/api}]
//     no-route: false
//     random-route: false
//     env: {GREETING: hello}
//     docker: {image: 127.0.0.1:5000/team/app:v1, username: ci}  # instead of path/buildpacks
//
// Unknown keys are ignored (cf's manifests carry many we do not act on); bad values are errors
// that name the application and the key.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/common/result.h"

namespace foundry::cli {

struct AppManifest {
  std::string name;
  std::optional<std::string> path;  // absolute once loaded from a file
  std::optional<int> instances;
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> disk_mb;
  std::optional<std::vector<std::string>> buildpacks;
  std::optional<std::string> command;
  std::optional<std::string> health_check_type;      // port | process | http
  std::optional<std::string> health_check_endpoint;  // http only
  std::optional<int> timeout;                        // seconds
  std::optional<std::vector<std::string>> routes;    // "host.domain/path"
  bool no_route = false;
  bool random_route = false;
  std::map<std::string, std::string> env;
  // A Docker image instead of bits (the password comes from CF_DOCKER_PASSWORD, never a file).
  std::optional<std::string> docker_image;
  std::optional<std::string> docker_username;
};

struct Manifest {
  std::vector<AppManifest> applications;
};

// Parses YAML text. Relative `path`s are resolved against `base_dir` when it is not empty.
Result<Manifest> parseManifest(const std::string& yaml_text,
                               const std::filesystem::path& base_dir = {});
Result<Manifest> loadManifest(const std::filesystem::path& file);

// The push flags, as given on the command line (unset = not given).
struct PushFlags {
  std::optional<std::string> name;
  std::optional<std::string> path;
  std::optional<int> instances;
  std::optional<std::string> memory;  // "256M"
  std::optional<std::string> disk;    // "1G"
  std::vector<std::string> buildpacks;
  std::optional<std::string> command;
  std::optional<std::string> health_check_type;
  std::optional<std::string> health_check_endpoint;
  std::optional<int> timeout;
  bool no_route = false;
  bool random_route = false;
  std::optional<std::string> hostname;
  std::optional<std::string> domain;
  std::optional<std::string> docker_image;     // -o/--docker-image
  std::optional<std::string> docker_username;  // --docker-username
};

// The apps to push: the manifest's (all of them, or the one named by flags.name) with the flags
// applied on top, or a single app from the flags alone when there is no manifest. As cf: flags
// other than the name cannot be used with a multi-app manifest unless a name picks one app;
// without a manifest the name is required. `-n`/`-d` replace the manifest's routes (the host
// defaults to the app name, the domain to `default_domain`). A default `path` is `cwd`.
Result<std::vector<AppManifest>> resolvePushPlan(const std::optional<Manifest>& manifest,
                                                 const PushFlags& flags,
                                                 const std::string& default_domain,
                                                 const std::filesystem::path& cwd);

// A route string "host.domain/path" split against the known domain names (the longest
// domain that is a suffix wins, so "a.apps.internal" on "apps.internal" has host "a"; a
// route equal to a domain has an empty host).
struct RouteParts {
  std::string host;
  std::string domain;
  std::string path;  // "" or "/..."
  std::string url() const;
};
Result<RouteParts> splitRoute(const std::string& route, const std::vector<std::string>& domains);

// Validates and normalises a health-check type ("none" -> "process").
Result<std::string> normaliseHealthCheckType(const std::string& type);

}  // namespace foundry::cli
