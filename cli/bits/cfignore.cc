#include "cli/bits/cfignore.h"

namespace foundry::cli {

namespace {

// Matches a `[...]` class at pattern[p] against c; sets `end` past the `]`. A class without a
// closing bracket is taken literally (returns false for end == 0 so the caller can fall back).
bool classMatches(std::string_view pattern, size_t p, char c, size_t& end) {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  for (; i < pattern.size(); ++i) {
    if (pattern[i] == ']' && !first) {
      end = i + 1;
      return matched != negate && c != '/';
    }
    first = false;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      if (c >= pattern[i] && c <= pattern[i + 2]) matched = true;
      i += 2;
    } else if (pattern[i] == c) {
      matched = true;
    }
  }
  end = 0;
  return false;
}

bool globAt(std::string_view pattern, size_t p, std::string_view text, size_t t) {
  while (p < pattern.size()) {
    char pc = pattern[p];
    if (pc == '*') {
      bool double_star = p + 1 < pattern.size() && pattern[p + 1] == '*';
      if (double_star) {
        size_t next = p + 2;
        // "**/" also matches zero directories.
        if (next < pattern.size() && pattern[next] == '/') {
          if (globAt(pattern, next + 1, text, t)) return true;
        }
        for (size_t k = t; k <= text.size(); ++k) {
          if (globAt(pattern, next, text, k)) return true;
        }
        return false;
      }
      for (size_t k = t; k <= text.size(); ++k) {
        if (globAt(pattern, p + 1, text, k)) return true;
        if (k < text.size() && text[k] == '/') break;
      }
      return false;
    }
    if (t >= text.size()) return false;
    if (pc == '?') {
      if (text[t] == '/') return false;
      ++p;
      ++t;
      continue;
    }
    if (pc == '[') {
      size_t end = 0;
      bool matched = classMatches(pattern, p, text[t], end);
      if (end != 0) {
        if (!matched) return false;
        p = end;
        ++t;
        continue;
      }
      // Unterminated class: a literal '['.
    }
    if (pc == '\\' && p + 1 < pattern.size()) {
      ++p;
      pc = pattern[p];
    }
    if (pc != text[t]) return false;
    ++p;
    ++t;
  }
  return t == text.size();
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text) {
  return globAt(pattern, 0, text, 0);
}

CfIgnore CfIgnore::withDefaults() {
  CfIgnore ignore;
  ignore.addLines(".cfignore\n.git\n.cf\n.hg\n.svn\n_darcs\n.DS_Store\n");
  return ignore;
}

void CfIgnore::addLines(std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    size_t lead = line.find_first_not_of(" \t");
    if (lead == std::string::npos) continue;
    line.erase(0, lead);
    if (line[0] == '#') continue;
    Rule rule;
    if (line[0] == '!') {
      rule.negated = true;
      line.erase(0, 1);
    }
    if (!line.empty() && line.back() == '/') {
      rule.directory_only = true;
      while (!line.empty() && line.back() == '/') line.pop_back();
    }
    if (!line.empty() && line[0] == '/') {
      rule.anchored = true;
      line.erase(0, line.find_first_not_of('/'));
    }
    if (line.find('/') != std::string::npos) rule.anchored = true;
    if (line.empty()) continue;
    rule.pattern = line;
    rules_.push_back(std::move(rule));
  }
}

bool CfIgnore::ruleMatches(const Rule& rule, std::string_view path, bool is_directory) const {
  if (rule.directory_only && !is_directory) return false;
  if (rule.anchored) return globMatch(rule.pattern, path);
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return globMatch(rule.pattern, name);
}

bool CfIgnore::ignored(std::string_view path, bool is_directory) const {
  // A parent directory that is ignored hides everything below it (as in git, a `!` rule
  // cannot re-include a file whose directory was excluded).
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (ignored(path.substr(0, slash), true)) return true;
  }
  bool result = false;
  for (const Rule& rule : rules_) {
    if (ruleMatches(rule, path, is_directory)) result = !rule.negated;
  }
  return result;
}

}  // namespace foundry::cli
