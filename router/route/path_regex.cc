#include "router/route/path_regex.h"

#include <re2/re2.h>

namespace foundry::router {

PathRegexConstSharedPtr PathRegex::compile(std::string_view pattern, std::string* error) {
  if (pattern.empty()) {
    *error = "empty pattern";
    return nullptr;
  }
  if (pattern.size() > kMaxPatternLength) {
    *error = "pattern longer than " + std::to_string(kMaxPatternLength) + " bytes";
    return nullptr;
  }
  RE2::Options options;
  options.set_case_sensitive(false);  // paths match case-insensitively, as gorouter's routes
  options.set_log_errors(false);      // the caller logs, once, with the route
  // Bounds the compiled program and the DFA caches of each pattern (RE2's default is 8 MiB):
  // a pattern whose program does not fit is refused ("pattern too large"); one whose DFA
  // cache fills up still matches, through RE2's NFA.
  options.set_max_mem(kMaxProgramBytes);
  std::shared_ptr<PathRegex> regex(new PathRegex());
  regex->pattern_.assign(pattern);
  regex->re_ = std::make_unique<RE2>(regex->pattern_, options);
  if (!regex->re_->ok()) {
    *error = regex->re_->error();
    return nullptr;
  }
  return regex;
}

PathRegex::~PathRegex() = default;

bool PathRegex::matches(std::string_view path) const {
  return RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *re_);
}

}  // namespace foundry::router
