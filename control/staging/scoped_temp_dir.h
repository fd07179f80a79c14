#pragma once
// A folder removed, with everything in it, when the scope ends (staging's and upload
// assembly's work folders in the blobstore). Empty path: nothing to remove.
#include <filesystem>
#include <string>
#include <system_error>

namespace foundry::control {

struct ScopedTempDir {
  std::string path;
  ScopedTempDir() = default;
  explicit ScopedTempDir(std::string p) : path(std::move(p)) {}
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace foundry::control
