#pragma once
// Finding buildpacks: system buildpacks by name, custom ones from a folder or an archive (A2).

#include <string>
#include <vector>

namespace foundry::staging {

struct Buildpack {
  std::string key;  // what the user gave (system name or path); names the supply cache dir
  std::string dir;  // directory that holds bin/
};

// The system buildpacks of `system_dir` in detect order: the names listed in `system_dir/order`
// (one per line, '#' comments) first, then any other buildpack directories alphabetically.
std::vector<std::string> systemBuildpackOrder(const std::string& system_dir);

// Resolves `spec`: a system buildpack name (a directory of `system_dir`), else a path to a
// buildpack folder, else a path to a .tgz/.tar.gz/.zip archive, extracted under `download_dir`.
// A2's nesting rule applies: a directory without bin/ holding exactly one subdirectory with bin/
// uses that subdirectory. Returns "" or the error message.
std::string resolveBuildpack(const std::string& spec, const std::string& system_dir,
                             const std::string& download_dir, Buildpack* out);

// FNV-1a 64 of the key as %016x: the cache subdirectory of a non-final (supply) buildpack.
// (CF uses xxhash64; the property that matters is stable per key.)
std::string cacheKeyDir(const std::string& key);

// A3 DepsIndex: `index` zero-padded to the digits of `count` (count = supply buildpacks + 1).
std::string depsIndex(size_t index, size_t count);

}  // namespace foundry::staging
