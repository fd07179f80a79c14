#pragma once
// Turns an upload (a zip of the files the client had to send, plus the `resources` it matched
// against the resource cache) into a package: one .tgz of the app's files in the blobstore.
// Every uploaded file also lands in the resource cache, so the next push can skip it.
//
// Thread context: any thread (the event loop calls it during an upload).

#include <string>
#include <string_view>
#include <vector>

#include "control/blobstore/blobstore.h"

namespace foundry::control {

// One entry of the upload's `resources` field (the cf CLI sends checksum.value = sha1).
struct MatchedResource {
  std::string sha1;
  std::string path;
  unsigned mode = 0644;
};

// Parses the JSON array of the `resources` field; "" or an error message for the client.
std::string parseMatchedResources(std::string_view json_text, std::vector<MatchedResource>* out);

// "" when `path` is a relative path without "..", NUL or empty components; else why not.
std::string checkRelativePath(const std::string& path);

struct AssembledPackage {
  std::string sha256;  // the package .tgz in the blobstore (when error is "")
  std::string error;   // why the upload is unusable (the package becomes FAILED)
};

// Builds the package from the zip bytes in `bits` (empty: no files uploaded) and `matched`.
// Nothing is left behind on failure except resource-cache entries of valid uploaded files.
AssembledPackage assemblePackage(Blobstore& blobs, std::string_view bits,
                                 const std::vector<MatchedResource>& matched);

}  // namespace foundry::control
