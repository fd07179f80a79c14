#pragma once
// Running a command-line tool from a test (nghttp, h2load, openssl s_client...).

#include <string>
#include <utility>

namespace foundry::test {

// Runs `command` with /bin/sh; returns its exit status (-1 when it did not exit normally) and
// what it wrote to stdout and stderr.
std::pair<int, std::string> runShell(const std::string& command);

}  // namespace foundry::test
