#pragma once
// The app's bits as cf sends them: every file under the app directory that .cfignore (and
// cf's defaults) do not exclude, with its SHA1, size and permission bits.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/common/result.h"

namespace foundry::cli {

struct AppFile {
  enum class Kind { kFile, kDirectory, kSymlink };
  std::string path;  // relative to the root, `/` separators, no trailing `/`
  Kind kind = Kind::kFile;
  uint64_t size = 0;        // files only
  unsigned mode = 0644;     // permission bits (07777)
  std::string sha1;         // lower-case hex, files only
  std::string link_target;  // symlinks only
};

// Walks `root` (a directory) in sorted order, skipping what `root/.cfignore` and the defaults
// exclude and not descending into excluded directories. Files are hashed. Errors name the
// path that could not be read.
Result<std::vector<AppFile>> collectAppFiles(const std::filesystem::path& root);

// SHA1 of a file's content as lower-case hex.
Result<std::string> sha1File(const std::filesystem::path& file);
std::string sha1Hex(const std::string& data);

// "644" for 0644: the octal string CC's resource_matches and upload expect in `mode`.
std::string modeString(unsigned mode);

}  // namespace foundry::cli
