#pragma once
// The JSON documents of an image, parsed: image manifests and indexes (OCI image-spec v1 and
// their Docker v2 schema 2 twins) and the config blob. Pure functions, no I/O.
#include <string>
#include <string_view>
#include <vector>

#include "common/oci/image_config.h"

namespace foundry::oci {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
// The Accept header of a manifest GET: every kind we can read.
std::string manifestAcceptHeader();

// One entry of an index: a platform-specific manifest.
struct PlatformManifest {
  std::string digest, media_type;
  uint64_t size = 0;
  std::string os, architecture, variant;
  std::string platform() const;  // "linux/amd64", "linux/arm/v7"
};

struct Manifest {
  std::string media_type;  // one of the four constants above
  bool isIndex() const { return media_type == kOciIndex || media_type == kDockerManifestList; }
  // An image manifest's config blob and layers.
  std::string config_digest, config_media_type;
  uint64_t config_size = 0;
  std::vector<Layer> layers;
  // An index's entries.
  std::vector<PlatformManifest> manifests;
};

// Parses a manifest or index. `content_type` is the response's Content-Type (parameters
// ignored); when it is empty or generic the document's own "mediaType" decides. Returns "" or
// an error: "unsupported media type ...", "bad manifest JSON: ...", a bad digest or layer type.
std::string parseManifest(std::string_view body, std::string_view content_type, Manifest* out);

// The index entry for os/architecture, or an error naming the platforms the index has.
std::string pickPlatform(const Manifest& index, std::string_view os,
                         std::string_view architecture, PlatformManifest* out);

// Fills entrypoint, cmd, env, user, working_dir and exposed_ports of `*out` from a config blob
// (OCI image config or Docker container image v1). Returns "" or "bad image config JSON: ...".
std::string parseImageConfig(std::string_view body, ImageConfig* out);

}  // namespace foundry::oci
