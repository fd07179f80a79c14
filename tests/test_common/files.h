#pragma once
// Small file and /proc readers the tests share.
#include <sys/types.h>

#include <string>

namespace foundry::test {

// The whole file, byte for byte; "" when it cannot be read.
std::string readFile(const std::string& path);
// Resident memory of a process in KiB (VmRSS of /proc/<pid>/status); -1 when unknown.
long rssKib(pid_t pid);

}  // namespace foundry::test
