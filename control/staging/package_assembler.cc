#include "control/staging/package_assembler.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "control/blobstore/hashing.h"
#include "control/staging/scoped_temp_dir.h"
#include "staging/droplet/archive.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool parseMode(const json& j, unsigned* mode) {
  if (j.is_null()) return true;
  if (j.is_number_unsigned()) {
    *mode = j.get<unsigned>() & 07777;
    return true;
  }
  if (!j.is_string()) return false;
  const std::string s = j.get<std::string>();
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  *mode = v & 07777;
  return true;
}

// True when `target`'s parent directory resolves (symlinks followed) inside `root`.
bool staysInside(const fs::path& root, const fs::path& target) {
  std::error_code ec;
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return false;
  fs::path real_parent = fs::weakly_canonical(target.parent_path(), ec);
  if (ec) return false;
  auto r = real_root.begin();
  auto p = real_parent.begin();
  for (; r != real_root.end(); ++r, ++p) {
    if (p == real_parent.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

std::string checkRelativePath(const std::string& path) {
  if (path.empty()) return "empty path";
  if (path.find('\0') != std::string::npos) return "path contains NUL";
  if (path.front() == '/') return "absolute path '" + path + "'";
  if (path.find('\\') != std::string::npos) return "path '" + path + "' contains a backslash";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string piece = path.substr(start, end - start);
    if (piece == "..") return "path '" + path + "' contains '..'";
    if (piece.empty() && end != path.size()) return "path '" + path + "' has an empty component";
    start = end + 1;
  }
  return "";
}

std::string parseMatchedResources(std::string_view json_text,
                                  std::vector<MatchedResource>* out) {
  json j = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return "resources must be a JSON array";
  }
  for (const auto& item : j) {
    if (!item.is_object()) return "each resource must be an object";
    MatchedResource r;
    const json* sha = nullptr;
    if (item.contains("checksum") && item["checksum"].is_object() &&
        item["checksum"].contains("value")) {
      sha = &item["checksum"]["value"];
    } else if (item.contains("sha1")) {  // the V2 shape
      sha = &item["sha1"];
    }
    if (!sha || !sha->is_string() || !isHex(sha->get<std::string>(), 40)) {
      return "each resource needs checksum.value, a sha1 in hex";
    }
    r.sha1 = sha->get<std::string>();
    for (char& c : r.sha1) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const json* path = item.contains("path") ? &item["path"]
                       : item.contains("fn") ? &item["fn"]  // the V2 shape
                                             : nullptr;
    if (!path || !path->is_string()) return "each resource needs a path";
    r.path = path->get<std::string>();
    if (std::string why = checkRelativePath(r.path); !why.empty()) {
      return "resource " + why;
    }
    if (item.contains("mode") && !parseMode(item["mode"], &r.mode)) {
      return "resource mode of '" + r.path + "' must be octal digits";
    }
    out->push_back(std::move(r));
  }
  return "";
}

AssembledPackage assemblePackage(Blobstore& blobs, std::string_view bits,
                                 const std::vector<MatchedResource>& matched) {
  ScopedTempDir tmp{blobs.makeTempDir("upload")};
  const fs::path app = fs::path(tmp.path) / "app";
  std::error_code ec;
  fs::create_directories(app, ec);
  if (ec) return {"", "cannot create a work dir: " + ec.message()};

  if (!bits.empty()) {
    const std::string zip = tmp.path + "/bits.zip";
    {
      std::ofstream out(zip, std::ios::binary);
      out.write(bits.data(), static_cast<std::streamsize>(bits.size()));
      if (!out) return {"", "cannot write the upload to disk"};
    }
    std::string err = staging::extractArchive(zip, app.string());
    if (!err.empty()) return {"", "Invalid zip archive: " + err};
    fs::remove(zip, ec);
    // Every uploaded file goes to the resource cache (only regular files; symlinks stay in
    // the package but are not resources).
    for (auto it = fs::recursive_directory_iterator(app, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_symlink() || !it->is_regular_file()) continue;
      auto sha = sha1File(it->path().string());
      if (sha) {
        try {
          blobs.putResource(*sha, it->path().string());
        } catch (const BlobError&) {
          // The cache is an optimisation: the package itself is still complete.
        }
      }
    }
    if (ec) return {"", "cannot read the extracted upload: " + ec.message()};
  }

  for (const auto& r : matched) {
    auto cached = blobs.resourcePath(r.sha1);
    if (!cached) {
      return {"", "Resource with sha1 " + r.sha1 + " (" + r.path + ") is not in the resource cache"};
    }
    const fs::path target = app / r.path;
    fs::create_directories(target.parent_path(), ec);
    if (ec || !staysInside(app, target)) {
      return {"", "resource path '" + r.path + "' leaves the app directory"};
    }
    if (fs::is_symlink(target, ec)) fs::remove(target, ec);
    fs::copy_file(*cached, target, fs::copy_options::overwrite_existing, ec);
    if (ec) return {"", "cannot place resource '" + r.path + "': " + ec.message()};
    unsigned mode = (r.mode & 0777) | 0400;  // the owner must be able to read it
    ::chmod(target.c_str(), mode);
  }

  const std::string tgz = tmp.path + "/package.tgz";
  std::string err = staging::createTarGz(app.string(), tgz);
  if (!err.empty()) return {"", "cannot pack the package: " + err};
  try {
    return {blobs.putFile(tgz), ""};
  } catch (const BlobError& e) {
    return {"", e.what()};
  }
}

}  // namespace foundry::control
