#pragma once
// A task's downloads and uploads (TaskDefinition::downloads / uploads; Diego's DownloadAction
// and UploadAction): files fetched into the task's sandbox before its command runs, and files
// sent from it after the command exited 0. Both are signed with the cell's internal
// credentials, like its droplet downloads.
//
// Paths are given as the task sees them (under /home/vcap or /tmp) and mapped to the host with
// the sandbox's writable directories (InstanceSandbox::writableDirs). Every file is opened
// inside its directory with openat2(RESOLVE_IN_ROOT), as the result file is (result_file.h): a
// symlink in a droplet, or one the task planted before an upload, resolves inside the
// directory and never leads the cell (root) to the host's files.
//
// Errors never hold a URL's user:password or query (signed URLs), only scheme, host and path.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/net/http_client.h"
#include "scheduler/model/task.h"

namespace foundry::cell {

using SandboxDirs = std::vector<std::pair<std::string, std::string>>;  // visible -> host

// `url` without user:password, query and fragment ("http://host:1/path"), for messages.
std::string redactUrl(const std::string& url);

// The name a transfer goes by in logs and failure reasons: its artifact, else its path.
std::string transferName(const sched::TaskDownload& download);
std::string transferName(const sched::TaskUpload& upload);

// Creates the directory `visible_dir` (and its missing parents) inside its sandbox directory.
bool makeSandboxDir(const std::string& visible_dir, const SandboxDirs& dirs, std::string* error);

// Fetches `download` into the sandbox: GET (signed with `authorize`) into `scratch` (a host
// path outside the sandbox), checked against its sha256, then unpacked into `to` (extract) or
// copied to the file `to`. `stop` is asked while bytes arrive: true aborts. More than
// `max_bytes` arriving aborts too (the task's disk: the scratch file is on the cell's). True
// when done; also true with `*skipped` set when the download is optional and the server
// answered 404. Else false and `error` ("GET http://host/path: HTTP 401", "sha256 mismatch:
// ...").
bool runDownload(const sched::TaskDownload& download, const SandboxDirs& dirs,
                 const std::string& scratch, const net::Authorizer& authorize,
                 const std::function<bool()>& stop, uint64_t max_bytes, bool* skipped,
                 uint64_t* bytes, std::string* error);

// Sends the file `upload.from` of the sandbox: POST (signed) with Content-Type
// application/octet-stream and X-Checksum-Sha256 (hex). True on a 2xx answer, or with
// `*skipped` when the upload is optional and the file does not exist. Else false and `error`.
bool runUpload(const sched::TaskUpload& upload, const SandboxDirs& dirs,
               const net::Authorizer& authorize, const std::function<bool()>& stop,
               bool* skipped, uint64_t* bytes, std::string* error);

}  // namespace foundry::cell
