#include "control/blobstore/local_blobstore.h"

#include <stdlib.h>
#include <unistd.h>

#include <cctype>

#include <filesystem>

#include "control/blobstore/hashing.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;

std::string fanOut(const std::string& root, const std::string& hex) {
  return root + "/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

// App and build guids name files here: letters, digits and '-' only.
bool validGuid(const std::string& guid) {
  if (guid.empty() || guid.size() > 64) return false;
  for (char c : guid) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

LocalBlobstore::LocalBlobstore(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::remove_all(dir_ + "/tmp", ec);  // leftovers of a crash: never referenced
  for (const char* sub : {"sha256", "sha1", "caches", "staged", "tmp"}) {
    fs::create_directories(dir_ + "/" + sub, ec);
    if (ec) {
      throw BlobError("cannot create " + dir_ + "/" + sub + ": " + ec.message());
    }
  }
}

std::string LocalBlobstore::makeTempDir(const std::string& prefix) {
  std::string tmpl = dir_ + "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    throw BlobError("cannot create a temp dir in " + dir_ + "/tmp");
  }
  return tmpl;
}

void LocalBlobstore::copyInto(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  std::string tmpl = dir_ + "/tmp/copy-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    throw BlobError("cannot create a temp file in " + dir_ + "/tmp");
  }
  close(fd);
  fs::copy_file(from, tmpl, fs::copy_options::overwrite_existing, ec);
  if (!ec) {
    fs::rename(tmpl, to, ec);
  }
  if (ec) {
    fs::remove(tmpl);
    throw BlobError("cannot store " + from + ": " + ec.message());
  }
}

void LocalBlobstore::moveInto(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  fs::rename(from, to, ec);
  if (!ec) {
    return;
  }
  copyInto(from, to);  // another filesystem: copy into tmp, then rename
  fs::remove(from, ec);
}

std::string LocalBlobstore::putFile(const std::string& path) {
  auto sha = sha256File(path);
  if (!sha) {
    throw BlobError("cannot read " + path);
  }
  const std::string target = fanOut(dir_ + "/sha256", *sha);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    fs::remove(path, ec);  // the same bytes are already stored
  } else {
    moveInto(path, target);
  }
  return *sha;
}

std::optional<std::string> LocalBlobstore::blobPath(const std::string& sha256) {
  if (!isHex(sha256, 64)) return std::nullopt;
  std::string p = fanOut(dir_ + "/sha256", sha256);
  std::error_code ec;
  return fs::is_regular_file(p, ec) ? std::optional(p) : std::nullopt;
}

bool LocalBlobstore::hasResource(const std::string& sha1) { return resourcePath(sha1).has_value(); }

std::optional<std::string> LocalBlobstore::resourcePath(const std::string& sha1) {
  if (!isHex(sha1, 40)) return std::nullopt;
  std::string lower = sha1;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string p = fanOut(dir_ + "/sha1", lower);
  std::error_code ec;
  return fs::is_regular_file(p, ec) ? std::optional(p) : std::nullopt;
}

void LocalBlobstore::putResource(const std::string& sha1, const std::string& path) {
  if (!isHex(sha1, 40)) {
    throw BlobError("not a sha1: " + sha1);
  }
  if (hasResource(sha1)) {
    return;
  }
  auto actual = sha1File(path);
  if (!actual) {
    throw BlobError("cannot read " + path);
  }
  if (*actual != sha1) {
    throw BlobError("sha1 of " + path + " is " + *actual + ", not " + sha1);
  }
  copyInto(path, fanOut(dir_ + "/sha1", sha1));
}

std::optional<std::string> LocalBlobstore::buildpackCachePath(const std::string& app_guid) {
  if (!validGuid(app_guid)) return std::nullopt;
  std::string p = dir_ + "/caches/" + app_guid + ".tgz";
  std::error_code ec;
  return fs::is_regular_file(p, ec) ? std::optional(p) : std::nullopt;
}

void LocalBlobstore::putBuildpackCache(const std::string& app_guid, const std::string& path) {
  if (!validGuid(app_guid)) {
    throw BlobError("bad app guid for a cache: " + app_guid);
  }
  moveInto(path, dir_ + "/caches/" + app_guid + ".tgz");
}

void LocalBlobstore::putStagedDroplet(const std::string& build_guid, const std::string& path) {
  if (!validGuid(build_guid)) throw BlobError("bad build guid for a droplet: " + build_guid);
  moveInto(path, dir_ + "/staged/" + build_guid + ".tgz");
}

std::optional<std::string> LocalBlobstore::takeStagedDroplet(const std::string& build_guid) {
  if (!validGuid(build_guid)) return std::nullopt;
  const std::string p = dir_ + "/staged/" + build_guid + ".tgz";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  return putFile(p);
}

void LocalBlobstore::discardStagedDroplet(const std::string& build_guid) {
  if (!validGuid(build_guid)) return;
  std::error_code ec;
  fs::remove(dir_ + "/staged/" + build_guid + ".tgz", ec);
}

}  // namespace foundry::control
