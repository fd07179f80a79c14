#pragma once
// `foundry`: parses the command line, runs one command and returns its exit code (0 ok,
// 1 failure, as cf).
#include <iosfwd>

namespace foundry::cli {

int runFoundry(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace foundry::cli
