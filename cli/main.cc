// foundry: the command-line client (see cli/README.md).
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  return foundry::cli::runFoundry(argc, argv, std::cout, std::cerr);
}
