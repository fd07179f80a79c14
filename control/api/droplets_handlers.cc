// Droplets: read them, pick the app's current one, and serve the bytes to cells
// (GET /internal/v1/droplets/:guid/download, PROTOCOL.md "cell -> controller").
#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/blobstore/blobstore.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

namespace {

json currentDropletRelationship(const std::string& base, const std::string& app_guid,
                                const std::optional<std::string>& droplet_guid) {
  const std::string app = base + "/v3/apps/" + app_guid;
  return {{"data", droplet_guid ? json{{"guid", *droplet_guid}} : json(nullptr)},
          {"links",
           {{"self", {{"href", app + "/relationships/current_droplet"}}},
            {"related", {{"href", app + "/droplets/current"}}}}}};
}

}  // namespace

ApiResponse Api::getDroplet(Ctx& c, const std::string& guid) {
  auto d = store_.getDroplet(guid);
  if (!d) throw notFound("Droplet");
  requireApp(c, d->app_guid, Access::Read, "Droplet");
  return {200, presentDroplet(c.req.base_url, *d), {}};
}

ApiResponse Api::listDroplets(Ctx& c, const std::string& app_guid) {
  if (!app_guid.empty()) requireApp(c, app_guid);
  c.query.allowOnly({"guids", "app_guids", "states", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  DropletFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (auto* v = c.query.find("states")) f.states = *v;
  if (!app_guid.empty()) f.app_guids = {app_guid};
  std::function<std::string(const Droplet&)> key = [&](const Droplet& d) {
    return page.order_by == "updated_at" ? d.updated_at : d.created_at;
  };
  std::function<json(const Droplet&)> present = [&](const Droplet& d) {
    return presentDroplet(c.req.base_url, d);
  };
  const std::string path =
      app_guid.empty() ? "/v3/droplets" : "/v3/apps/" + app_guid + "/droplets";
  return {200,
          presentList(c.req.base_url, path, c.req.query, page,
                      scopeFilter(f.space_guids, c.can().readableSpaces())
                          ? store_.listDroplets(f)
                          : std::vector<Droplet>{},
                      key, present),
          {}};
}

ApiResponse Api::getCurrentDroplet(Ctx& c, const std::string& app_guid) {
  requireApp(c, app_guid);
  auto d = store_.getCurrentDroplet(app_guid);
  if (!d) throw notFound("Droplet");
  return {200, presentDroplet(c.req.base_url, *d), {}};
}

ApiResponse Api::getCurrentDropletRelationship(Ctx& c, const std::string& app_guid) {
  requireApp(c, app_guid);
  auto d = store_.getCurrentDroplet(app_guid);
  return {200,
          currentDropletRelationship(c.req.base_url, app_guid,
                                     d ? std::optional(d->guid) : std::nullopt),
          {}};
}

ApiResponse Api::setCurrentDroplet(Ctx& c, const std::string& app_guid) {
  const App app = requireApp(c, app_guid, Access::Write);
  json b = c.body();
  body::allowOnly(b, {"data"});
  if (!b.contains("data") || !b["data"].is_object() || !b["data"].contains("guid") ||
      !b["data"]["guid"].is_string()) {
    throw unprocessable("Data must be structured like {\"guid\": \"...\"}");
  }
  const std::string guid = b["data"]["guid"].get<std::string>();
  const std::string kDenied =
      "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.";
  auto d = store_.getDroplet(guid);
  if (!d || d->app_guid != app_guid) throw unprocessable(kDenied);
  if (d->state != "STAGED") throw unprocessable("Droplet must be STAGED to be assigned");
  const std::string now = nowIso8601();
  switch (store_.setCurrentDroplet(app_guid, guid, now)) {
    case WriteResult::Ok:
      break;
    case WriteResult::NotFound:
      throw notFound("App");
    default:
      throw unprocessable(kDenied);
  }
  // A new droplet is a new thing for cells to run: every process gets a new version
  // (PROTOCOL.md: the LRP is <process guid>-<version>). The same droplet again changes nothing.
  for (Process p : app.droplet_guid == guid ? std::vector<Process>{}
                                            : store_.listProcesses(app_guid)) {
    p.version = newGuid();
    p.updated_at = now;
    store_.updateProcess(p);
  }
  log::info("controller", "current-droplet-set", {{"app", app_guid}, {"droplet", guid}});
  return {200, currentDropletRelationship(c.req.base_url, app_guid, guid), {}};
}

ApiResponse Api::downloadDroplet(Ctx&, const std::string& guid) {
  auto d = store_.getDroplet(guid);
  if (!d) throw notFound("Droplet");
  auto path = staging_.blobs ? staging_.blobs->blobPath(d->sha256) : std::nullopt;
  if (!path) throw notFound("Droplet bits");
  return blobDownload(*path, d->sha256);
}

}  // namespace foundry::control
