// JSON shapes of packages, builds and droplets (PLATFORM-APIS.md B.3).
#include "control/api/presenters.h"

#include "control/api/json_shapes.h"

namespace foundry::control {
namespace {

using nlohmann::json;

using namespace shapes;

}  // namespace

json presentPackage(const std::string& base, const Package& p) {
  const std::string self = base + "/v3/packages/" + p.guid;
  // CC never shows a docker password, only that there is one.
  json data = p.type == "docker"
                  ? json{{"image", p.docker_image},
                         {"username", p.docker_username.empty() ? json(nullptr)
                                                                : json(p.docker_username)},
                         {"password", p.docker_password.empty() ? json(nullptr) : json("***")}}
                  : json{{"checksum", {{"type", "sha256"}, {"value", orNull(p.sha256)}}},
                         {"error", orNull(p.error)}};
  return {{"guid", p.guid},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"type", p.type},
          {"data", std::move(data)},
          {"state", p.state},
          {"relationships", {{"app", toOne(p.app_guid)}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"upload", href(self + "/upload", "POST")},
            {"download", href(self + "/download")},
            {"app", href(base + "/v3/apps/" + p.app_guid)}}}};
}

json presentBuild(const std::string& base, const Build& b) {
  const std::string self = base + "/v3/builds/" + b.guid;
  json links = {{"self", href(self)}, {"app", href(base + "/v3/apps/" + b.app_guid)}};
  if (b.droplet_guid) links["droplet"] = href(base + "/v3/droplets/" + *b.droplet_guid);
  return {{"guid", b.guid},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at},
          {"state", b.state},
          {"staging_memory_in_mb", b.staging_memory_in_mb},
          {"staging_disk_in_mb", b.staging_disk_in_mb},
          {"staging_log_rate_limit_bytes_per_second", -1},
          {"error", orNull(b.error)},
          {"lifecycle", b.lifecycle_type == "docker"
                            ? json{{"type", "docker"}, {"data", json::object()}}
                            : json{{"type", "buildpack"},
                                   {"data", {{"buildpacks", b.buildpacks}, {"stack", b.stack}}}}},
          {"package", {{"guid", b.package_guid}}},
          {"droplet", b.droplet_guid ? json{{"guid", *b.droplet_guid}} : json(nullptr)},
          {"created_by", {{"guid", ""}, {"name", ""}, {"email", ""}}},
          {"relationships", {{"app", toOne(b.app_guid)}}},
          {"metadata", metadata()},
          {"links", std::move(links)}};
}

json presentDroplet(const std::string& base, const Droplet& d) {
  const std::string self = base + "/v3/droplets/" + d.guid;
  const std::string app = base + "/v3/apps/" + d.app_guid;
  return {{"guid", d.guid},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at},
          {"state", d.state},
          {"error", nullptr},
          {"lifecycle", {{"type", d.isDocker() ? "docker" : "buildpack"}, {"data", json::object()}}},
          {"execution_metadata", d.execution_metadata},
          {"process_types", parsedOr(d.process_types, json::object())},
          {"checksum", d.isDocker() ? json(nullptr)
                                    : json{{"type", "sha256"}, {"value", d.sha256}}},
          {"buildpacks", parsedOr(d.buildpacks, json::array())},
          {"stack", d.isDocker() ? json(nullptr) : json(d.stack)},
          {"image", d.isDocker() ? json(d.docker_image) : json(nullptr)},
          {"relationships", {{"app", toOne(d.app_guid)}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"package", href(base + "/v3/packages/" + d.package_guid)},
            {"app", href(app)},
            {"assign_current_droplet", href(app + "/relationships/current_droplet", "PATCH")},
            {"download", href(base + "/internal/v1/droplets/" + d.guid + "/download")}}}};
}

}  // namespace foundry::control
