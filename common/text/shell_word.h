#pragma once
// One word of a command line that a shell (`bash -c`, `/bin/sh -c`) reads back as exactly that
// word: bare when it holds nothing special, else single-quoted. For commands the platform
// writes around user input (a staging task's buildpack names, an image's entrypoint).
#include <cctype>
#include <string>
#include <string_view>

namespace foundry::text {

inline std::string shellWord(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) {
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                      std::string_view("-_./:=,@%+").find(c) != std::string_view::npos);
  }
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace foundry::text
