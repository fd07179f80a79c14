#include "common/oci/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/oci/image_ref.h"

namespace foundry::oci {
namespace {

using nlohmann::json;

constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

// Layer types we can unpack (libarchive reads each compression); nondistributable ("foreign")
// layers live outside the registry and are refused.
constexpr std::string_view kLayerTypes[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

std::string_view withoutParameters(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

bool isKnownManifestType(std::string_view type) {
  return type == kOciManifest || type == kOciIndex || type == kDockerManifest ||
         type == kDockerManifestList;
}

std::string stringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// A descriptor's digest and size; "" or what is wrong with it.
std::string readDescriptor(const json& d, const std::string& what, std::string* digest,
                           uint64_t* size) {
  if (!d.is_object()) return "bad manifest JSON: " + what + " is not an object";
  *digest = stringField(d, "digest");
  if (!isSha256Digest(*digest)) {
    return "bad manifest JSON: " + what + " has an unsupported digest '" + *digest + "'";
  }
  auto it = d.find("size");
  if (it == d.end() || !it->is_number_unsigned()) {
    return "bad manifest JSON: " + what + " has no size";
  }
  *size = it->get<uint64_t>();
  return "";
}

std::string parseImageManifest(const json& doc, Manifest* out) {
  auto config = doc.find("config");
  if (config == doc.end()) return "bad manifest JSON: no config";
  if (std::string e = readDescriptor(*config, "config", &out->config_digest, &out->config_size);
      !e.empty()) {
    return e;
  }
  out->config_media_type = stringField(*config, "mediaType");
  if (out->config_media_type != kOciConfig && out->config_media_type != kDockerConfig) {
    return "unsupported media type: config is '" + out->config_media_type +
           "' (not a container image)";
  }
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) return "bad manifest JSON: no layers array";
  for (const json& entry : *layers) {
    Layer layer;
    std::string what = "layer " + std::to_string(out->layers.size());
    if (std::string e = readDescriptor(entry, what, &layer.digest, &layer.size); !e.empty()) {
      return e;
    }
    layer.media_type = stringField(entry, "mediaType");
    if (std::find(std::begin(kLayerTypes), std::end(kLayerTypes), layer.media_type) ==
        std::end(kLayerTypes)) {
      return "unsupported media type: " + what + " is '" + layer.media_type + "'";
    }
    out->layers.push_back(std::move(layer));
  }
  return "";
}

std::string parseIndex(const json& doc, Manifest* out) {
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array()) {
    return "bad manifest JSON: index without a manifests array";
  }
  for (const json& entry : *manifests) {
    PlatformManifest m;
    std::string what = "index entry " + std::to_string(out->manifests.size());
    if (std::string e = readDescriptor(entry, what, &m.digest, &m.size); !e.empty()) return e;
    m.media_type = stringField(entry, "mediaType");
    if (auto platform = entry.find("platform"); platform != entry.end() && platform->is_object()) {
      m.os = stringField(*platform, "os");
      m.architecture = stringField(*platform, "architecture");
      m.variant = stringField(*platform, "variant");
    }
    out->manifests.push_back(std::move(m));
  }
  return "";
}

// Reads a JSON array of strings (null or absent: empty).
std::string stringList(const json& config, const char* key, std::vector<std::string>* out) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return "";
  if (!it->is_array()) return std::string("bad image config JSON: ") + key + " is not a list";
  for (const json& item : *it) {
    if (!item.is_string()) return std::string("bad image config JSON: ") + key + " holds a non-string";
    out->push_back(item.get<std::string>());
  }
  return "";
}

}  // namespace

std::string manifestAcceptHeader() {
  return std::string(kOciManifest) + ", " + std::string(kOciIndex) + ", " +
         std::string(kDockerManifest) + ", " + std::string(kDockerManifestList);
}

std::string PlatformManifest::platform() const {
  std::string text = os + "/" + architecture;
  if (!variant.empty()) text += "/" + variant;
  return text;
}

std::string parseManifest(std::string_view body, std::string_view content_type, Manifest* out) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "bad manifest JSON: not a JSON object";
  if (auto version = doc.find("schemaVersion");
      version != doc.end() && version->is_number() && version->get<int>() == 1) {
    return "unsupported media type: Docker image manifest schema 1 (deprecated; push the image "
           "again with a current client)";
  }
  std::string declared = stringField(doc, "mediaType");
  std::string type(withoutParameters(content_type));
  if (!isKnownManifestType(type)) {
    // A registry that answers with a generic type: trust the document. OCI made mediaType
    // optional at first, so a document without one is judged by its shape.
    if (!declared.empty()) {
      type = declared;
    } else if (doc.contains("manifests")) {
      type = kOciIndex;
    } else if (doc.contains("config") && doc.contains("layers")) {
      type = kOciManifest;
    } else {
      type = std::string(withoutParameters(content_type));
    }
  } else if (!declared.empty() && declared != type) {
    return "bad manifest JSON: served as " + type + " but declares " + declared;
  }
  if (!isKnownManifestType(type)) {
    return "unsupported media type: '" + (type.empty() ? std::string("none") : type) + "'";
  }
  Manifest manifest;
  manifest.media_type = type;
  std::string error = manifest.isIndex() ? parseIndex(doc, &manifest)
                                         : parseImageManifest(doc, &manifest);
  if (!error.empty()) return error;
  *out = std::move(manifest);
  return "";
}

std::string pickPlatform(const Manifest& index, std::string_view os,
                         std::string_view architecture, PlatformManifest* out) {
  for (const PlatformManifest& m : index.manifests) {
    // Attestations and other artifacts ride in indexes as "unknown/unknown": never a match.
    if (m.os == os && m.architecture == architecture) {
      *out = m;
      return "";
    }
  }
  std::string available;
  for (const PlatformManifest& m : index.manifests) {
    available += (available.empty() ? "" : ", ") + m.platform();
  }
  return "no image for " + std::string(os) + "/" + std::string(architecture) +
         " in the index (it has: " + (available.empty() ? "nothing" : available) + ")";
}

std::string parseImageConfig(std::string_view body, ImageConfig* out) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "bad image config JSON: not a JSON object";
  ImageConfig parsed;
  auto config = doc.find("config");
  if (config != doc.end() && config->is_object()) {
    for (auto [key, target] : {std::pair{"Entrypoint", &parsed.entrypoint},
                               std::pair{"Cmd", &parsed.cmd}, std::pair{"Env", &parsed.env}}) {
      if (std::string e = stringList(*config, key, target); !e.empty()) return e;
    }
    parsed.user = stringField(*config, "User");
    parsed.working_dir = stringField(*config, "WorkingDir");
    std::set<int> ports;
    if (auto exposed = config->find("ExposedPorts");
        exposed != config->end() && exposed->is_object()) {
      for (const auto& [spec, unused] : exposed->items()) {
        // "8080/tcp", "53/udp" or a bare "8080" (tcp). Only tcp ports can be routed to.
        std::string port = spec.substr(0, spec.find('/'));
        std::string protocol = spec.find('/') == std::string::npos ? "tcp" : spec.substr(spec.find('/') + 1);
        if (protocol != "tcp") continue;
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return "bad image config JSON: exposed port '" + spec + "'";
        }
        int number = std::stoi(port);
        if (number < 1 || number > 65535) {
          return "bad image config JSON: exposed port '" + spec + "' out of range";
        }
        ports.insert(number);
      }
    }
    parsed.exposed_ports.assign(ports.begin(), ports.end());
  }
  out->entrypoint = std::move(parsed.entrypoint);
  out->cmd = std::move(parsed.cmd);
  out->env = std::move(parsed.env);
  out->user = std::move(parsed.user);
  out->working_dir = std::move(parsed.working_dir);
  out->exposed_ports = std::move(parsed.exposed_ports);
  return "";
}

}  // namespace foundry::oci
