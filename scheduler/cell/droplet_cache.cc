#include "scheduler/cell/droplet_cache.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/net/http_client.h"
#include "common/oci/sha256.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

// A droplet guid as a file name: anything outside [A-Za-z0-9._-] (or a leading dot) would let a
// guid escape the cache dir, so such guids are named by their hash instead.
std::string cacheFileName(const std::string& guid) {
  bool safe = !guid.empty() && guid[0] != '.' && guid.size() < 200 &&
              std::all_of(guid.begin(), guid.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '-' || c == '_' || c == '.';
              });
  if (safe) return guid + ".tgz";
  return "h" + std::to_string(std::hash<std::string>{}(guid)) + ".tgz";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string sha256OfFile(const std::string& path) {
  const std::string digest = oci::sha256DigestOfFile(path);  // "sha256:<hex>" or ""
  return digest.empty() ? "" : digest.substr(digest.find(':') + 1);
}

std::string DropletCache::fetch(const std::string& droplet_guid, const std::string& url,
                                const std::string& sha256, std::string* error) {
  if (url.empty()) {
    *error = "the desired LRP has no droplet_url";
    return "";
  }
  const std::string key = droplet_guid.empty() ? url : droplet_guid;
  const std::string path = dir_ + "/" + cacheFileName(key);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !in_flight_[key]; });
  std::error_code ec;
  if (fs::exists(path, ec)) {
    // A cached copy whose digest no longer matches (a corrupt file) is downloaded again.
    if (sha256.empty() || sha256OfFile(path) == lower(sha256)) return path;
    fs::remove(path, ec);
  }
  in_flight_[key] = true;
  lock.unlock();
  std::string failure = download(url, sha256, path);
  lock.lock();
  in_flight_[key] = false;
  changed_.notify_all();
  if (!failure.empty()) {
    *error = failure;
    return "";
  }
  return path;
}

std::string DropletCache::download(const std::string& url, const std::string& sha256,
                                   const std::string& path) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const std::string partial = path + ".partial";
  FILE* out = std::fopen(partial.c_str(), "wb");
  if (out == nullptr) return "cannot write " + partial;
  net::HttpRequest request;
  request.url = url;
  request.authorize = authorize_;
  request.timeout_ms = 10 * 60 * 1000;  // a big droplet on a slow link; the connect is bounded
  bool write_failed = false;
  request.on_body = [&](const char* data, size_t size) {
    write_failed = std::fwrite(data, 1, size, out) != size;
    return !write_failed;
  };
  net::HttpResponse response = net::perform(request);
  bool closed = std::fclose(out) == 0;
  auto fail = [&](const std::string& why) {
    fs::remove(partial, ec);
    return why;
  };
  if (response.status == 0) return fail("downloading " + url + ": " + response.error);
  if (response.status != 200) {
    return fail("downloading " + url + ": HTTP " + std::to_string(response.status));
  }
  if (write_failed || !closed) return fail("writing " + partial + " failed");
  if (!sha256.empty()) {
    std::string actual = sha256OfFile(partial);
    if (actual != lower(sha256)) {
      return fail("droplet sha256 mismatch: expected " + lower(sha256) + ", got " + actual);
    }
  }
  fs::rename(partial, path, ec);
  if (ec) return fail("renaming " + partial + ": " + ec.message());
  return "";
}

std::string unpackArchive(const std::string& archive_path, const std::string& dest_dir,
                          const std::string& what, bool allow_empty) {
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) return "cannot create " + dest_dir + ": " + ec.message();
  std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(),
                                                            archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_disk_new(),
                                                              archive_write_free);
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  // (No SECURE_NOABSOLUTEPATHS: entries are prefixed with dest_dir below, after we refused
  // absolute names ourselves. dest_dir must have no symlink in it: the cell canonicalizes it.)
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return "cannot open " + what + " " + archive_path + ": " + archive_error_string(in.get());
  }
  const fs::path root(dest_dir);
  archive_entry* entry = nullptr;
  int entries = 0;
  for (;;) {
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return "bad " + what + ": " + archive_error_string(in.get());
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (name.empty() || name[0] == '/') return "bad " + what + " entry: '" + name + "'";
    archive_entry_set_pathname(entry, (root / name).string().c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      if (link[0] == '/') return "bad " + what + " hard link: " + std::string(link);
      archive_entry_set_hardlink(entry, (root / link).string().c_str());
    }
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      return "unpacking " + name + ": " + archive_error_string(out.get());
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while ((r = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(out.get(), block, size, offset) < ARCHIVE_WARN) {
        return "unpacking " + name + ": " + archive_error_string(out.get());
      }
    }
    if (r != ARCHIVE_EOF) return "bad " + what + ": " + archive_error_string(in.get());
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      return "unpacking " + name + ": " + archive_error_string(out.get());
    }
    ++entries;
  }
  if (entries == 0 && !allow_empty) return "the " + what + " is empty";
  return "";
}

}  // namespace foundry::cell
