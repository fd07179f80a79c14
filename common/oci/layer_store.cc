#include "common/oci/layer_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/oci/layer_unpack.h"
#include "common/oci/sha256.h"

namespace foundry::oci {
namespace fs = std::filesystem;
namespace {

// A refused attempt (a 401 before the credentials) may send a body bigger than a tiny layer;
// bytes past the declared size are dropped and flagged rather than aborting at once, and only
// this much more ends the transfer.
constexpr uint64_t kOversizeSlack = 64 * 1024;

std::string hexOf(const std::string& digest) { return digest.substr(std::string("sha256:").size()); }

std::string megabytes(uint64_t bytes) {
  constexpr uint64_t kMb = 1024 * 1024;
  if (bytes % kMb == 0) return std::to_string(bytes / kMb);
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / kMb);
  return text;
}

}  // namespace

BlobFetcher registryFetcher(RegistryClient& client, const ImageRef& ref) {
  return [&client, ref](const Layer& layer, const BlobSink& sink) {
    return client.fetchBlob(ref, layer.digest, sink);
  };
}

LayerStore::LayerStore(std::string dir, uint64_t max_image_bytes)
    : max_image_bytes_(max_image_bytes) {
  std::error_code ec;
  for (const char* sub : {"blobs/sha256", "rootfs", "tmp"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) {
      init_error_ = "cannot create " + (fs::path(dir) / sub).string() + ": " + ec.message();
      return;
    }
  }
  // Layers are unpacked below dir_, and libarchive's symlink guard checks every component
  // of the path it writes to: the path must hold no symlink of its own.
  dir_ = fs::canonical(dir, ec).string();
  if (ec) {
    init_error_ = "cannot resolve " + dir + ": " + ec.message();
    return;
  }
  // Left by a crash: nothing in tmp/ was ever renamed into place, so none of it is trusted.
  for (const auto& stale : fs::directory_iterator(dir_ + "/tmp", ec)) {
    std::error_code ignored;
    fs::remove_all(stale.path(), ignored);
  }
}

std::string LayerStore::blobPath(const std::string& digest) const {
  return dir_ + "/blobs/sha256/" + hexOf(digest);
}

std::string LayerStore::rootfsPath(const std::string& manifest_digest) const {
  return dir_ + "/rootfs/" + hexOf(manifest_digest);
}

std::string LayerStore::tempPath(const std::string& hint) {
  std::lock_guard<std::mutex> lock(counter_mutex_);
  return dir_ + "/tmp/" + hint + "." + std::to_string(getpid()) + "." + std::to_string(++counter_);
}

std::string LayerStore::blob(const Layer& layer, const BlobFetcher& fetch, std::string* error) {
  if (!init_error_.empty()) {
    *error = init_error_;
    return "";
  }
  if (!isSha256Digest(layer.digest)) {
    *error = "unsupported layer digest '" + layer.digest + "'";
    return "";
  }
  if (layer.size > max_image_bytes_) {
    *error = "image layers exceed " + megabytes(max_image_bytes_) + " MB";
    return "";
  }
  const std::string path = blobPath(layer.digest);
  KeyLocks::Hold hold = blob_locks_.acquire(layer.digest);
  std::error_code ec;
  if (fs::exists(path, ec)) return path;  // only verified blobs are ever renamed into place
  *error = download(layer, fetch, path);
  return error->empty() ? path : "";
}

std::string LayerStore::download(const Layer& layer, const BlobFetcher& fetch,
                                 const std::string& path) {
  const std::string temp = tempPath(hexOf(layer.digest));
  FILE* out = std::fopen(temp.c_str(), "wb");
  if (out == nullptr) return "cannot write " + temp;
  Sha256 hash;
  uint64_t received = 0;
  bool oversize = false, write_failed = false;
  BlobSink sink;
  sink.write = [&](const char* data, size_t size) {
    received += size;
    if (received > layer.size) {
      oversize = true;
      return received <= layer.size + kOversizeSlack;
    }
    hash.update(data, size);
    write_failed = std::fwrite(data, 1, size, out) != size;
    return !write_failed;
  };
  sink.restart = [&] {
    std::fflush(out);
    write_failed = ftruncate(fileno(out), 0) != 0 || std::fseek(out, 0, SEEK_SET) != 0;
    hash.reset();
    received = 0;
    oversize = false;
  };
  std::string error = fetch(layer, sink);
  bool closed = std::fclose(out) == 0;
  std::error_code ec;
  auto fail = [&](std::string why) {
    fs::remove(temp, ec);
    return why;
  };
  // The sink's own verdicts first: when it aborted, the fetcher only saw a broken transfer.
  if (oversize) {
    return fail("layer " + layer.digest + " digest mismatch: more than the declared " +
                std::to_string(layer.size) + " bytes");
  }
  if (write_failed || !closed) return fail("writing " + temp + " failed");
  if (!error.empty()) return fail(error);
  if (received != layer.size || hash.digest() != layer.digest) {
    return fail("layer " + layer.digest + " digest mismatch");
  }
  fs::rename(temp, path, ec);
  if (ec) return fail("renaming " + temp + ": " + ec.message());
  return "";
}

std::string LayerStore::rootfs(const ImageConfig& image, const BlobFetcher& fetch,
                               std::string* error) {
  if (!init_error_.empty()) {
    *error = init_error_;
    return "";
  }
  if (!isSha256Digest(image.manifest_digest)) {
    *error = "unsupported manifest digest '" + image.manifest_digest + "'";
    return "";
  }
  uint64_t total = 0;
  for (const Layer& layer : image.layers) total += layer.size;
  if (total > max_image_bytes_) {
    *error = "image layers exceed " + megabytes(max_image_bytes_) + " MB";
    return "";
  }
  const std::string path = rootfsPath(image.manifest_digest);
  KeyLocks::Hold hold = rootfs_locks_.acquire(image.manifest_digest);
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  std::vector<std::string> blobs;
  for (const Layer& layer : image.layers) {
    std::string blob_path = blob(layer, fetch, error);
    if (blob_path.empty()) return "";
    blobs.push_back(std::move(blob_path));
  }
  *error = unpack(image, blobs, path);
  return error->empty() ? path : "";
}

std::string LayerStore::unpack(const ImageConfig& image, const std::vector<std::string>& blobs,
                               const std::string& path) {
  const std::string temp = tempPath("rootfs-" + hexOf(image.manifest_digest));
  std::error_code ec;
  if (mkdir(temp.c_str(), 0755) != 0) return "cannot create " + temp;
  chmod(temp.c_str(), 0755);  // whatever the umask: instances run as other users
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::string error = applyLayer(blobs[i], temp, image.layers[i].digest);
    if (!error.empty()) {
      fs::remove_all(temp, ec);
      return error;
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove_all(temp, ec);
    return "cannot move the rootfs into place at " + path;
  }
  return "";
}

}  // namespace foundry::oci
