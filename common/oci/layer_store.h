#pragma once
// The cell's image cache, one directory:
//   blobs/sha256/<hex>     each layer blob, downloaded once and checked against its digest
//   rootfs/<manifest hex>/ each image's root filesystem, unpacked once from its layers
//   tmp/                   downloads and unpacks in progress (emptied at construction)
// A blob or rootfs appears under its final name only when complete (written in tmp/, then
// renamed), so whoever sees it sees all of it; the rootfs is shared read-only by instances.
// Concurrent callers for the same digest wait for one download or unpack. Thread-safe;
// every call blocks. One LayerStore per directory (another would empty tmp/ under it).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/oci/image_config.h"
#include "common/oci/key_locks.h"
#include "common/oci/registry_client.h"

namespace foundry::oci {

// Streams one layer's blob into the sink; "" or an error. Usually RegistryClient::fetchBlob
// for the image's reference (see registryFetcher).
using BlobFetcher = std::function<std::string(const Layer& layer, const BlobSink& sink)>;

BlobFetcher registryFetcher(RegistryClient& client, const ImageRef& ref);

class LayerStore {
 public:
  // `max_image_bytes` bounds the sum of an image's layer blobs (compressed, as declared).
  LayerStore(std::string dir, uint64_t max_image_bytes);

  // "" when the directories are usable, else why not (checked at construction).
  const std::string& initError() const { return init_error_; }

  // The path of the verified blob of `layer`, fetched first when missing. Returns "" and sets
  // *error on failure ("layer sha256:... digest mismatch", ...); nothing is cached then.
  std::string blob(const Layer& layer, const BlobFetcher& fetch, std::string* error);

  // The unpacked root filesystem of `image` (fetching its missing layers), or "" with *error
  // ("image layers exceed N MB", a refused layer, ...).
  std::string rootfs(const ImageConfig& image, const BlobFetcher& fetch, std::string* error);

  std::string blobPath(const std::string& digest) const;
  std::string rootfsPath(const std::string& manifest_digest) const;

 private:
  std::string download(const Layer& layer, const BlobFetcher& fetch, const std::string& path);
  std::string unpack(const ImageConfig& image, const std::vector<std::string>& blobs,
                     const std::string& path);
  std::string tempPath(const std::string& hint);

  std::string dir_;
  const uint64_t max_image_bytes_;
  std::string init_error_;
  KeyLocks blob_locks_, rootfs_locks_;
  std::mutex counter_mutex_;
  uint64_t counter_ = 0;
};

}  // namespace foundry::oci
