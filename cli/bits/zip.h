#pragma once
// Zips app files (libarchive, zip format, deflate) in memory for POST /v3/packages/:guid/upload.
// Permission bits and symlinks are kept, so executables stay executable after staging.
#include <filesystem>
#include <string>
#include <vector>

#include "cli/bits/app_files.h"
#include "cli/common/result.h"

namespace foundry::cli {

// The zip bytes of `files` (paths relative to `root`). Directories become directory entries.
Result<std::string> zipAppFiles(const std::filesystem::path& root,
                                const std::vector<AppFile>& files);

// One entry read back from a zip (tests and diagnostics).
struct ZipEntry {
  std::string path;
  bool directory = false;
  bool symlink = false;
  unsigned mode = 0;
  std::string content;  // files: the data; symlinks: the target
};
Result<std::vector<ZipEntry>> readZip(const std::string& bytes);

}  // namespace foundry::cli
