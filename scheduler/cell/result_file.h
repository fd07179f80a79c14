#pragma once
// Reading a task's result file (TaskDefinition::result_file) after the task exited, as root,
// from a directory the task could write to: the path is resolved with openat2(RESOLVE_IN_ROOT),
// so a symlink the task planted ("/tmp/result.json -> /etc/shadow") resolves inside that
// directory and never reaches the cell's own files; only a regular file is read, and at most
// `max_bytes` of it (a bigger one is an error, as in Diego).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace foundry::cell {

// `visible_path`: the path as the task sees it (e.g. "/tmp/result.json"). `dirs`: what the
// task sees -> where it is on the host, e.g. {"/tmp", "<instance>/disk/tmp"}. On success the
// contents are in `out`; else `error` says why ("no such file", "larger than 10240 bytes").
bool readResultFile(const std::string& visible_path,
                    const std::vector<std::pair<std::string, std::string>>& dirs,
                    size_t max_bytes, std::string* out, std::string* error);

}  // namespace foundry::cell
