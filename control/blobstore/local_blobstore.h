#pragma once
// LocalBlobstore: the Blobstore on a local directory (default <data-dir>/blobs):
//   DIR/sha256/ab/cdef...   package archives and droplets, by sha256 (first two hex digits fan out)
//   DIR/sha1/ab/cdef...     the resource cache, by sha1
//   DIR/caches/<app>.tgz    buildpack caches
//   DIR/staged/<build>.tgz  droplets uploaded by staging tasks, until their build finishes
//   DIR/tmp/                temp files and staging work dirs (emptied at start)

#include <string>

#include "control/blobstore/blobstore.h"

namespace foundry::control {

class LocalBlobstore : public Blobstore {
 public:
  // Creates the layout under `dir` when missing and empties DIR/tmp. Throws BlobError.
  explicit LocalBlobstore(std::string dir);

  std::string putFile(const std::string& path) override;
  std::optional<std::string> blobPath(const std::string& sha256) override;
  bool hasResource(const std::string& sha1) override;
  std::optional<std::string> resourcePath(const std::string& sha1) override;
  void putResource(const std::string& sha1, const std::string& path) override;
  std::optional<std::string> buildpackCachePath(const std::string& app_guid) override;
  void putBuildpackCache(const std::string& app_guid, const std::string& path) override;
  void putStagedDroplet(const std::string& build_guid, const std::string& path) override;
  std::optional<std::string> takeStagedDroplet(const std::string& build_guid) override;
  void discardStagedDroplet(const std::string& build_guid) override;
  std::string makeTempDir(const std::string& prefix) override;

  const std::string& dir() const { return dir_; }

 private:
  // Moves (rename, or copy to tmp then rename across filesystems) `from` to `to`.
  void moveInto(const std::string& from, const std::string& to);
  void copyInto(const std::string& from, const std::string& to);

  std::string dir_;
};

}  // namespace foundry::control
