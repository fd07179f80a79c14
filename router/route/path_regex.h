#pragma once
// A regex route's pattern (options.path_regex in a register message), compiled once with RE2
// on the control thread when its route is first registered, then shared by every table
// generation. Workers only call matches(): RE2 objects are safe for concurrent matching, and
// RE2 runs in time linear in the path, whatever the pattern (no backtracking blow-up).
//
// The pattern is anchored at both ends and matched case-insensitively against the request
// path as every route sees it: escaped as received, query cut, one trailing '/' trimmed
// (ROUTER-PROTOCOL.md 2).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace foundry::router {

class PathRegex;
using PathRegexConstSharedPtr = std::shared_ptr<const PathRegex>;

class PathRegex {
 public:
  // Longer patterns are refused (the controller refuses them too): they cost compile time and
  // memory on the control thread and are never what a route needs.
  static constexpr size_t kMaxPatternLength = 1024;
  // RE2's memory budget per pattern (program plus DFA caches).
  static constexpr int64_t kMaxProgramBytes = 1 << 20;

  // nullptr with *error set when the pattern is empty, too long or not valid RE2 syntax.
  static PathRegexConstSharedPtr compile(std::string_view pattern, std::string* error);

  ~PathRegex();
  PathRegex(const PathRegex&) = delete;
  PathRegex& operator=(const PathRegex&) = delete;

  const std::string& pattern() const { return pattern_; }
  // True when the whole of `path` matches. Any thread; no allocation.
  bool matches(std::string_view path) const;

 private:
  PathRegex() = default;

  std::string pattern_;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace foundry::router
