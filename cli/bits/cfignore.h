#pragma once
// .cfignore rules, the subset of gitignore syntax cf users write: one glob per line, `#`
// comments, `!` re-includes, a trailing `/` matches directories only, a pattern containing `/`
// is anchored at the app root (a leading `/` is dropped), one without `/` matches a name at any
// depth. Globs: `*` (no `/`), `?`, `[abc]`/`[!abc]`, `**` (any depth). A path is ignored when
// the last rule matching it, or matching one of its parent directories, is not a `!` rule.
#include <string>
#include <string_view>
#include <vector>

namespace foundry::cli {

class CfIgnore {
 public:
  // The rules cf always applies before the user's (.git, .cfignore, editor/VCS droppings).
  static CfIgnore withDefaults();
  // Adds the lines of a .cfignore file.
  void addLines(std::string_view text);
  // `path` is relative to the app root with `/` separators, no leading `/`.
  bool ignored(std::string_view path, bool is_directory) const;

 private:
  struct Rule {
    std::string pattern;
    bool negated = false;
    bool directory_only = false;
    bool anchored = false;
  };
  bool ruleMatches(const Rule& rule, std::string_view path, bool is_directory) const;
  std::vector<Rule> rules_;
};

// Glob match of `text` against `pattern` (`*` stops at `/`, `**` crosses it). Exposed for tests.
bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace foundry::cli
