#include "common/oci/www_authenticate.h"

#include <cctype>

namespace foundry::oci {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void skipSpaces(std::string_view text, size_t* pos) {
  while (*pos < text.size() && (text[*pos] == ' ' || text[*pos] == '\t')) ++*pos;
}

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

AuthChallenge parseAuthChallenge(std::string_view header) {
  AuthChallenge challenge;
  size_t pos = 0;
  skipSpaces(header, &pos);
  size_t start = pos;
  while (pos < header.size() && header[pos] != ' ' && header[pos] != '\t') ++pos;
  challenge.scheme = lower(header.substr(start, pos - start));
  // name=value or name="quoted value", separated by commas.
  while (pos < header.size()) {
    skipSpaces(header, &pos);
    size_t name_start = pos;
    while (pos < header.size() && header[pos] != '=' && header[pos] != ',') ++pos;
    std::string name = lower(header.substr(name_start, pos - name_start));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    if (pos >= header.size() || header[pos] == ',') {
      // A second challenge ("..., Basic realm=...") or a token68: this challenge ends here.
      if (pos < header.size() && name.find(' ') != std::string::npos) break;
      ++pos;
      continue;
    }
    ++pos;  // '='
    skipSpaces(header, &pos);
    std::string value;
    if (pos < header.size() && header[pos] == '"') {
      ++pos;
      while (pos < header.size() && header[pos] != '"') {
        if (header[pos] == '\\' && pos + 1 < header.size()) ++pos;
        value.push_back(header[pos++]);
      }
      ++pos;  // closing quote
    } else {
      size_t value_start = pos;
      while (pos < header.size() && header[pos] != ',') ++pos;
      value = std::string(header.substr(value_start, pos - value_start));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    // A name with a space in it is the next challenge's scheme plus its first parameter.
    if (name.find(' ') != std::string::npos) break;
    challenge.params[name] = value;
    skipSpaces(header, &pos);
    if (pos < header.size() && header[pos] == ',') ++pos;
  }
  return challenge;
}

}  // namespace foundry::oci
