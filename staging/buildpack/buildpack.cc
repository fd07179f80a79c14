#include "staging/buildpack/buildpack.h"

#include "staging/droplet/archive.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace foundry::staging {
namespace {

bool hasBin(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "bin", ec);
}

// A2 buildpackPath: dir itself if it has bin/, else its only subdirectory if that has bin/.
std::string binRoot(const fs::path& dir, std::string* root) {
  if (hasBin(dir)) {
    *root = dir.string();
    return "";
  }
  std::vector<fs::path> subdirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) {
      subdirs.push_back(e.path());
    } else {
      subdirs.clear();
      subdirs.push_back(fs::path());  // a file at top level: not the nested layout
      break;
    }
  }
  if (subdirs.size() == 1 && !subdirs[0].empty() && hasBin(subdirs[0])) {
    *root = subdirs[0].string();
    return "";
  }
  return "malformed buildpack does not contain a /bin dir";
}

bool looksLikeArchive(const std::string& path) {
  for (const char* ext : {".tgz", ".tar.gz", ".tar", ".zip"}) {
    std::string e(ext);
    if (path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> systemBuildpackOrder(const std::string& system_dir) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::ifstream in(fs::path(system_dir) / "order");
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    if (hash != std::string::npos) {
      line.erase(hash);
    }
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty() && hasBin(fs::path(system_dir) / line) && seen.insert(line).second) {
      order.push_back(line);
    }
  }
  std::vector<std::string> rest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(system_dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && hasBin(e.path()) && !seen.count(name)) {
      rest.push_back(name);
    }
  }
  std::sort(rest.begin(), rest.end());
  order.insert(order.end(), rest.begin(), rest.end());
  return order;
}

std::string resolveBuildpack(const std::string& spec, const std::string& system_dir,
                             const std::string& download_dir, Buildpack* out) {
  out->key = spec;
  std::error_code ec;
  if (spec.find('/') == std::string::npos && !system_dir.empty() &&
      fs::is_directory(fs::path(system_dir) / spec, ec)) {
    return binRoot(fs::path(system_dir) / spec, &out->dir);
  }
  if (fs::is_directory(spec, ec)) {
    return binRoot(fs::absolute(spec), &out->dir);
  }
  if (fs::is_regular_file(spec, ec) && looksLikeArchive(spec)) {
    static std::atomic<int> counter{0};
    fs::path dest = fs::path(download_dir) / ("buildpack-" + std::to_string(++counter));
    std::string err = extractArchive(spec, dest.string());
    if (!err.empty()) {
      return "cannot extract buildpack " + spec + ": " + err;
    }
    return binRoot(dest, &out->dir);
  }
  return "buildpack not found: " + spec +
         " (not a system buildpack, a folder or a .tgz/.zip archive)";
}

std::string cacheKeyDir(const std::string& key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string depsIndex(size_t index, size_t count) {
  size_t digits = std::to_string(count).size();
  std::string s = std::to_string(index);
  if (s.size() < digits) {
    s.insert(0, digits - s.size(), '0');
  }
  return s;
}

}  // namespace foundry::staging
