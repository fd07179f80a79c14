#pragma once
// Blobstore: where the controller keeps bytes that are not rows — package archives and droplets
// (content-addressed by sha256, so the same bytes are stored once), each app's buildpack cache
// (by app guid, replaced after every good staging), droplets uploaded by staging tasks (by
// build guid, until the build is finished) and the resource cache (single app files by
// sha1, for resource matching: a file uploaded once need not be uploaded again).
//
// Every write goes to a temp file in the store, then is renamed into place, so a reader never
// sees a half-written blob and a crash leaves at most a stray temp file.
//
// Thread context: thread-safe (staging workers and the event loop use it at once); blobs are
// immutable once in place, and the per-app cache is replaced by rename.

#include <optional>
#include <stdexcept>
#include <string>

namespace foundry::control {

struct BlobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Blobstore {
 public:
  virtual ~Blobstore() = default;

  // Stores the file at `path` under its sha256 (moving it when it can, copying otherwise; the
  // source is gone afterwards either way) and returns the sha256. Throws BlobError.
  virtual std::string putFile(const std::string& path) = 0;
  // The local path of the blob with this sha256, nullopt when absent (or not a sha256).
  virtual std::optional<std::string> blobPath(const std::string& sha256) = 0;

  // Resource cache: app files by sha1 (the caller computed it; put checks it).
  virtual bool hasResource(const std::string& sha1) = 0;
  virtual std::optional<std::string> resourcePath(const std::string& sha1) = 0;
  // Copies `path` into the cache when its sha1 is not there yet. Throws BlobError (also when
  // the content's sha1 is not `sha1`).
  virtual void putResource(const std::string& sha1, const std::string& path) = 0;

  // The app's buildpack cache archive (a .tgz); nullopt when it has none yet.
  virtual std::optional<std::string> buildpackCachePath(const std::string& app_guid) = 0;
  // Replaces the app's buildpack cache with the file at `path` (moved). Throws BlobError.
  virtual void putBuildpackCache(const std::string& app_guid, const std::string& path) = 0;

  // The droplet a staging task uploaded for a build, kept by build guid until the task's
  // completion arrives (possibly after a controller restart). put moves `path` in (replacing an
  // earlier upload); take moves it into the sha256 store and returns its sha256, nullopt when
  // none was uploaded. Throw BlobError.
  virtual void putStagedDroplet(const std::string& build_guid, const std::string& path) = 0;
  virtual std::optional<std::string> takeStagedDroplet(const std::string& build_guid) = 0;
  // Drops the build's uploaded droplet, if any (its staging failed after the upload).
  virtual void discardStagedDroplet(const std::string& build_guid) = 0;

  // A fresh, empty temp directory inside the store (same filesystem, so putFile renames).
  virtual std::string makeTempDir(const std::string& prefix) = 0;
};

}  // namespace foundry::control
