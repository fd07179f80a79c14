#include "common/oci/image_ref.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace foundry::oci {
namespace {

// The grammar of github.com/distribution/reference (regexp.go), one path component and a tag.
const std::regex& pathComponentPattern() {
  static const std::regex pattern("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*");
  return pattern;
}
const std::regex& tagPattern() {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return pattern;
}
// host[:port], or a bracketed IPv6 address with an optional port.
const std::regex& registryPattern() {
  static const std::regex pattern(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
      "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?");
  return pattern;
}

constexpr size_t kMaxNameLength = 255;  // Docker's limit on registry + "/" + repository

bool looksLikeHost(std::string_view component) {
  return component.find_first_of(".:") != std::string_view::npos || component == "localhost";
}

std::string validateRepository(const std::string& repository) {
  if (repository.empty()) return "empty repository name";
  size_t start = 0;
  while (start <= repository.size()) {
    size_t end = repository.find('/', start);
    if (end == std::string::npos) end = repository.size();
    std::string component = repository.substr(start, end - start);
    if (!std::regex_match(component, pathComponentPattern())) {
      bool upper = std::any_of(component.begin(), component.end(),
                               [](unsigned char c) { return std::isupper(c); });
      if (upper) return "repository name must be lowercase: " + repository;
      return "invalid repository name: " + repository;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace

bool isSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  return std::all_of(digest.begin() + kPrefix.size(), digest.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string ImageRef::str() const {
  std::string text = registry + "/" + repository;
  if (!digest.empty()) return text + "@" + digest;
  return text + ":" + tag;
}

std::string parseImageRef(std::string_view text, ImageRef* out) {
  if (text.empty()) return "empty image reference";
  const std::string quoted = "'" + std::string(text) + "'";
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); })) {
    return "invalid image reference " + quoted + ": whitespace or control characters";
  }
  ImageRef ref;
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    std::string_view digest = text.substr(at + 1);
    name = text.substr(0, at);
    if (digest.find(':') != std::string_view::npos && digest.substr(0, 7) != "sha256:") {
      return "unsupported digest algorithm in " + quoted + ": only sha256 digests are accepted";
    }
    if (!isSha256Digest(digest)) {
      return "invalid digest in " + quoted + ": want sha256: and 64 lowercase hex digits";
    }
    ref.digest = std::string(digest);
  }
  // A ':' after the last '/' starts the tag; one before it belongs to a registry's port.
  size_t last_slash = name.rfind('/');
  size_t last_colon = name.rfind(':');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    std::string tag(name.substr(last_colon + 1));
    if (tag.empty()) return "empty tag in " + quoted;
    if (!std::regex_match(tag, tagPattern())) return "invalid tag in " + quoted + ": " + tag;
    ref.tag = std::move(tag);
    name = name.substr(0, last_colon);
  } else {
    ref.tag = "latest";
  }
  if (name.empty()) return "missing repository name in " + quoted;

  size_t first_slash = name.find('/');
  std::string path;
  if (first_slash != std::string_view::npos && looksLikeHost(name.substr(0, first_slash))) {
    ref.registry = std::string(name.substr(0, first_slash));
    path = std::string(name.substr(first_slash + 1));
    if (!std::regex_match(ref.registry, registryPattern())) {
      return "invalid registry host in " + quoted + ": " + ref.registry;
    }
  } else {
    ref.registry = std::string(kDockerHubRegistry);
    path = std::string(name);
  }
  // docker.io is Docker Hub's name in references; its API lives at registry-1.docker.io.
  if (ref.registry == "docker.io" || ref.registry == "index.docker.io") {
    ref.registry = std::string(kDockerHubRegistry);
  }
  if (std::string error = validateRepository(path); !error.empty()) {
    return error + " (in " + quoted + ")";
  }
  if (ref.registry == kDockerHubRegistry && path.find('/') == std::string::npos) {
    path = "library/" + path;  // official images: "busybox" is library/busybox
  }
  if (ref.registry.size() + 1 + path.size() > kMaxNameLength) {
    return "image name longer than 255 characters: " + quoted;
  }
  ref.repository = std::move(path);
  *out = std::move(ref);
  return "";
}

}  // namespace foundry::oci
