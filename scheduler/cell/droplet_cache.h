#pragma once
// Droplets on the cell: downloaded once per droplet_guid into DIR/<guid>.tgz (checked against
// droplet_sha256 when one is given) and unpacked per instance. Concurrent instances of the
// same droplet wait for one download. Thread-safe; every call blocks (run it off the HTTP loop).
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "common/net/http_client.h"

namespace foundry::cell {

class DropletCache {
 public:
  // `authorize` signs the download (the controller's /internal/ paths refuse unsigned calls).
  explicit DropletCache(std::string dir, net::Authorizer authorize = {})
      : dir_(std::move(dir)), authorize_(std::move(authorize)) {}

  // Path of the cached droplet, downloading it first when needed. On failure returns "" and
  // sets `error` (a failed download is not cached: the next call tries again).
  std::string fetch(const std::string& droplet_guid, const std::string& url,
                    const std::string& sha256, std::string* error);

 private:
  std::string download(const std::string& url, const std::string& sha256,
                       const std::string& path);

  const std::string dir_;
  const net::Authorizer authorize_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, bool> in_flight_;  // droplet_guid -> a thread is downloading it
};

// Hex SHA-256 of a file; "" when it cannot be read.
std::string sha256OfFile(const std::string& path);
// Extracts a .tgz (any libarchive format) into `dest_dir` (created), refusing absolute paths,
// ".." and writes through symlinks. Returns "" or an error message, which calls the archive
// `what` ("droplet"); an archive without entries is an error unless `allow_empty`.
std::string unpackArchive(const std::string& archive_path, const std::string& dest_dir,
                          const std::string& what = "droplet", bool allow_empty = false);

}  // namespace foundry::cell
