#pragma once
// Droplet and buildpack archives (libarchive).

#include <string>

namespace foundry::staging {

// Writes a gzipped tar of everything under `src_dir` (entries named "./app/...", like
// `tar -czf OUT -C SRC .`), keeping modes and symlinks. Returns "" or an error message.
std::string createTarGz(const std::string& src_dir, const std::string& out_path);

// Extracts a .tgz / .tar.gz / .tar / .zip (format detected from content) into `dest_dir`
// (created if missing). Entries with absolute paths or ".." are refused. Returns "" or an error.
std::string extractArchive(const std::string& archive_path, const std::string& dest_dir);

}  // namespace foundry::staging
