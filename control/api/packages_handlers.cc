// Resource matching and packages: create, list, upload (multipart: `bits` zip + `resources`).
// The request is checked on the event loop (multipart, resources JSON); the package is then
// PROCESSING_UPLOAD while control/staging/package_assembler builds it off the loop, and
// becomes READY or FAILED (data.error) — clients poll GET /v3/packages/:guid, as with CC.
#include <cstdio>
#include <memory>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/multipart.h"
#include "control/api/presenters.h"
#include "control/blobstore/blobstore.h"
#include "control/blobstore/hashing.h"
#include "control/staging/package_assembler.h"
#include "common/log/log.h"
#include "common/oci/image_ref.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// A docker package's data: {"image", "username"?, "password"?} (the password only with a
// username, and the other way round).
void readDockerData(const json& b, Package* p) {
  if (!b.contains("data") || !b["data"].is_object()) {
    throw unprocessable("Data must be an object with an image for a docker package");
  }
  const json& d = b["data"];
  body::allowOnly(d, {"image", "username", "password"});
  auto image = body::optString(d, "image", "Data image");
  if (!image || image->empty()) throw unprocessable("Data image can't be blank");
  oci::ImageRef ref;
  if (std::string err = oci::parseImageRef(*image, &ref); !err.empty()) {
    throw unprocessable("Data image is not a valid image reference: " + err);
  }
  auto username = body::optString(d, "username", "Data username");
  auto password = body::optString(d, "password", "Data password");
  if (username.value_or("").empty() != password.value_or("").empty()) {
    throw unprocessable("Data username and password must be given together");
  }
  p->docker_image = *image;
  p->docker_username = username.value_or("");
  p->docker_password = auth::Secret(password.value_or(""));
}

ApiError blobstoreUnavailable() {
  return {503, 10015, "CF-ServiceUnavailable", "The blobstore is not configured"};
}

// Items with their creation index, so equal timestamps (one-second resolution) still sort in
// creation order, also descending ("newest READY package" must be the newest).
template <typename T>
struct Indexed {
  T item;
  std::string key_suffix;
};
template <typename T>
std::vector<Indexed<T>> indexed(std::vector<T> items) {
  std::vector<Indexed<T>> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%012zu", i);
    out.push_back({std::move(items[i]), buf});
  }
  return out;
}

}  // namespace

ApiResponse Api::resourceMatches(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"resources"});
  if (!b.contains("resources") || !b["resources"].is_array()) {
    throw unprocessable("Resources must be an array");
  }
  if (b["resources"].size() > 5000) {
    throw unprocessable("Resources array is too long (at most 5000)");
  }
  json matched = json::array();
  for (const auto& r : b["resources"]) {
    if (!r.is_object() || !r.contains("checksum") || !r["checksum"].is_object() ||
        !r["checksum"].contains("value") || !r["checksum"]["value"].is_string()) {
      throw unprocessable("Resources must be objects with checksum.value");
    }
    std::string sha1 = r["checksum"]["value"].get<std::string>();
    if (staging_.blobs && isHex(sha1, 40) && staging_.blobs->hasResource(sha1)) {
      matched.push_back(r);
    }
  }
  return {201, {{"resources", std::move(matched)}}, {}};
}

ApiResponse Api::createPackage(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"type", "relationships", "data", "metadata"});
  auto type = body::optString(b, "type", "Type");
  if (!type || (*type != "bits" && *type != "docker")) {
    throw unprocessable("Type must be one of 'bits, docker'");
  }
  auto app_guid = body::relationshipGuid(b, "app");
  if (!app_guid) throw unprocessable("Relationships app must be present");
  auto app = store_.getApp(*app_guid);
  auto space = app ? store_.getSpace(app->space_guid) : std::nullopt;
  if (!space || !c.can().canReadSpace(*space)) {
    throw unprocessable("Unable to use app. Ensure that the app exists and you have access to it.");
  }
  requireApp(c, *app_guid, Access::Write);
  const std::string now = nowIso8601();
  Package p;
  p.guid = newGuid();
  p.app_guid = *app_guid;
  p.type = *type;
  p.state = "AWAITING_UPLOAD";
  if (*type == "docker") {
    readDockerData(b, &p);
    if (app->lifecycle_type != "docker") {
      throw unprocessable("Docker packages need an app with the docker lifecycle; this app uses " +
                          app->lifecycle_type);
    }
    p.state = "READY";  // nothing to upload: staging reads the image from its registry
  } else if (b.contains("data") && !(b["data"].is_object() && b["data"].empty())) {
    throw unprocessable("Data must be empty if type is bits");
  }
  p.created_at = p.updated_at = now;
  if (store_.createPackage(p) != WriteResult::Ok) {
    throw unprocessable("Unable to use app. Ensure that the app exists and you have access to it.");
  }
  log::info("controller", "package-created",
            {{"package", p.guid}, {"app", p.app_guid}, {"type", p.type}});
  return {201, presentPackage(c.req.base_url, p), {}};
}

ApiResponse Api::getPackage(Ctx& c, const std::string& guid) {
  auto p = store_.getPackage(guid);
  if (!p) throw notFound("Package");
  requireApp(c, p->app_guid, Access::Read, "Package");
  return {200, presentPackage(c.req.base_url, *p), {}};
}

ApiResponse Api::listPackages(Ctx& c, const std::string& app_guid) {
  if (!app_guid.empty()) requireApp(c, app_guid);
  c.query.allowOnly({"guids", "app_guids", "states", "types", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  PackageFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (auto* v = c.query.find("states")) f.states = *v;
  if (!app_guid.empty()) f.app_guids = {app_guid};
  std::vector<Package> packages;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) packages = store_.listPackages(f);
  if (auto* types = c.query.find("types")) {
    std::erase_if(packages, [&](const Package& p) {
      return std::find(types->begin(), types->end(), p.type) == types->end();
    });
  }
  using Item = Indexed<Package>;
  std::function<std::string(const Item&)> key = [&](const Item& i) {
    return (page.order_by == "updated_at" ? i.item.updated_at : i.item.created_at) + i.key_suffix;
  };
  std::function<json(const Item&)> present = [&](const Item& i) {
    return presentPackage(c.req.base_url, i.item);
  };
  const std::string path = app_guid.empty() ? "/v3/packages" : "/v3/apps/" + app_guid + "/packages";
  return {200,
          presentList(c.req.base_url, path, c.req.query, page, indexed(std::move(packages)), key,
                      present),
          {}};
}

ApiResponse Api::uploadPackage(Ctx& c, const std::string& guid) {
  auto found = store_.getPackage(guid);
  if (!found) throw notFound("Package");
  requireApp(c, found->app_guid, Access::Write, "Package");
  Package p = *found;
  if (p.type != "bits") throw unprocessable("Package type must be bits.");
  if (!staging_.blobs) throw blobstoreUnavailable();
  if (p.state != "AWAITING_UPLOAD") {
    throw unprocessable("Package must be in the AWAITING_UPLOAD state to upload bits (it is " +
                        p.state + ")");
  }
  MultipartResult form = parseMultipart(c.req.content_type, c.req.body);
  if (!form.ok()) {
    throw ApiError{400, 1001, "CF-MessageParseError",
                   "Request invalid due to parse error: " + form.error};
  }
  const MultipartPart* bits = form.find("bits");
  const MultipartPart* resources = form.find("resources");
  if (!bits && !resources) {
    throw unprocessable("Upload must include either resources or bits");
  }
  std::vector<MatchedResource> matched;
  if (resources) {
    if (std::string err = parseMatchedResources(resources->data, &matched); !err.empty()) {
      throw unprocessable(err);
    }
  }
  p.state = "PROCESSING_UPLOAD";
  p.updated_at = nowIso8601();
  if (store_.updatePackage(p) != WriteResult::Ok) throw notFound("Package");
  // The request body goes away with this call: the worker gets its own copy of the bits.
  auto zip = std::make_shared<std::string>(bits ? std::string(bits->data) : std::string());
  auto outcome = std::make_shared<AssembledPackage>();
  Blobstore* blobs = staging_.blobs;
  auto work = [blobs, zip, matched = std::move(matched), outcome] {
    try {
      *outcome = assemblePackage(*blobs, *zip, matched);
    } catch (const std::exception& e) {
      outcome->error = std::string("cannot store the package: ") + e.what();
    }
    zip->clear();
    zip->shrink_to_fit();
  };
  auto then = [this, guid = p.guid, outcome] {
    finishUpload(guid, outcome->sha256, outcome->error);
  };
  if (staging_.offload) {
    staging_.offload(std::move(work), std::move(then));
    return {200, presentPackage(c.req.base_url, p), {}};
  }
  work();
  then();
  auto done = store_.getPackage(guid);
  if (!done) throw notFound("Package");
  if (done->state == "FAILED") throw unprocessable(done->error.value_or("upload failed"));
  p = *done;
  return {200, presentPackage(c.req.base_url, p), {}};
}

void Api::finishUpload(const std::string& package_guid, const std::string& sha256,
                       const std::string& error) {
  auto found = store_.getPackage(package_guid);
  if (!found || found->state != "PROCESSING_UPLOAD") return;  // app deleted meanwhile
  Package p = *found;
  p.updated_at = nowIso8601();
  if (!error.empty()) {
    p.state = "FAILED";
    p.error = error;
    log::warn("controller", "package-upload-failed", {{"package", p.guid}, {"error", error}});
  } else {
    p.state = "READY";
    p.sha256 = sha256;
    p.error.reset();
    log::info("controller", "package-uploaded",
              {{"package", p.guid}, {"app", p.app_guid}, {"sha256", sha256}});
  }
  store_.updatePackage(p);
}

int Api::failInterruptedUploads() {
  int n = 0;
  for (Package p : store_.listPackages({{}, {}, {"PROCESSING_UPLOAD"}, {}})) {
    p.state = "FAILED";
    p.error = "upload interrupted by a controller restart";
    p.updated_at = nowIso8601();
    n += store_.updatePackage(p) == WriteResult::Ok;
  }
  return n;
}

}  // namespace foundry::control
