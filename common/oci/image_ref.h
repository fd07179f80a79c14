#pragma once
// Image references as `docker pull` reads them: [registry[:port]/]repository[:tag][@sha256:hex].
//
//   "busybox"                      -> registry-1.docker.io, library/busybox, tag latest
//   "127.0.0.1:5000/team/app:v2"   -> 127.0.0.1:5000, team/app, tag v2
//   "ghcr.io/o/app@sha256:<64hex>" -> ghcr.io, o/app, pinned to that manifest digest
//
// The first path component names a registry only when it looks like a host (it holds '.' or
// ':' or is "localhost") and more components follow; otherwise the whole path is a Docker Hub
// repository, and a single-component one lives under "library/", as Docker resolves it.
#include <string>
#include <string_view>

namespace foundry::oci {

struct ImageRef {
  std::string registry;    // host[:port] as used in URLs, e.g. "registry-1.docker.io"
  std::string repository;  // e.g. "library/busybox"
  std::string tag;         // "latest" unless given; kept for display when a digest pins the ref
  std::string digest;      // "sha256:<64 lowercase hex>" or ""

  // What the manifest endpoint is asked for: the digest when pinned, else the tag.
  const std::string& reference() const { return digest.empty() ? tag : digest; }
  // The canonical text, e.g. "registry-1.docker.io/library/busybox:latest" or ".../app@sha256:...".
  std::string str() const;
};

// The Docker Hub API host that references without a registry resolve to.
inline constexpr std::string_view kDockerHubRegistry = "registry-1.docker.io";

// Parses `text` into `*out`. Returns "" or why the reference is invalid ("empty image
// reference", "repository name must be lowercase: ...", "invalid digest: ...", ...).
std::string parseImageRef(std::string_view text, ImageRef* out);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool isSha256Digest(std::string_view digest);

}  // namespace foundry::oci
