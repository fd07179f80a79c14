#include "router/routeservice/hairpin_allowlist.h"

#include <cctype>

namespace foundry::router {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// gorouter's `(?i)^(\*\.)?[a-z\d-]+(\.[a-z\d-]+)+$` on a lower-cased entry.
bool validEntry(std::string_view entry) {
  if (entry.size() >= 2 && entry[0] == '*' && entry[1] == '.') entry.remove_prefix(2);
  size_t labels = 0;
  size_t label_len = 0;
  for (char c : entry) {
    if (c == '.') {
      if (label_len == 0) return false;
      ++labels;
      label_len = 0;
    } else if (isLabelChar(c)) {
      ++label_len;
    } else {
      return false;
    }
  }
  if (label_len == 0) return false;
  return labels + 1 >= 2;  // at least two labels
}

// "a.b.c" -> ".b.c" (the suffix a wildcard matches); unchanged without a dot.
std::string_view stripFirstLabel(std::string_view host) {
  const size_t dot = host.find('.');
  return dot == std::string_view::npos ? host : host.substr(dot);
}

}  // namespace

bool HairpinAllowlist::parse(const std::vector<std::string>& entries, HairpinAllowlist* out,
                             std::string* error) {
  out->names_.clear();
  for (const std::string& raw : entries) {
    std::string entry = lower(raw);
    if (!validEntry(entry)) {
      *error = "invalid entry '" + raw +
               "': must be a wildcard (*.domain.com) or an FQDN (hostname.domain.com)";
      return false;
    }
    if (entry[0] == '*') entry = std::string(stripFirstLabel(entry));
    out->names_.insert(std::move(entry));
  }
  return true;
}

bool HairpinAllowlist::allows(std::string_view host) const {
  if (names_.empty()) return true;
  const std::string h = lower(host);
  if (names_.count(h) != 0) return true;
  return names_.count(std::string(stripFirstLabel(h))) != 0;
}

}  // namespace foundry::router
