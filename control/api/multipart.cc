#include "control/api/multipart.h"

#include <algorithm>
#include <cctype>

namespace foundry::control {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameters of a header value "type; a=1; b="x; y"" -> lower-case name to unquoted value.
// Returns false on an unterminated quote.
bool headerParams(std::string_view value, std::string* type,
                  std::vector<std::pair<std::string, std::string>>* params) {
  size_t semi = value.find(';');
  *type = lower(trim(value.substr(0, semi)));
  size_t i = semi == std::string_view::npos ? value.size() : semi + 1;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ';')) ++i;
    if (i >= value.size()) break;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return true;  // a bare token: ignore
    std::string name = lower(trim(value.substr(i, eq - i)));
    i = eq + 1;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      ++i;
      bool closed = false;
      while (i < value.size()) {
        char c = value[i++];
        if (c == '\\' && i < value.size()) {
          v += value[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          v += c;
        }
      }
      if (!closed) return false;
    } else {
      size_t end = value.find(';', i);
      if (end == std::string_view::npos) end = value.size();
      v = std::string(trim(value.substr(i, end - i)));
      i = end;
    }
    params->emplace_back(std::move(name), std::move(v));
  }
  return true;
}

std::string param(const std::vector<std::pair<std::string, std::string>>& params,
                  const std::string& name, bool* found = nullptr) {
  for (const auto& [k, v] : params) {
    if (k == name) {
      if (found) *found = true;
      return v;
    }
  }
  if (found) *found = false;
  return "";
}

}  // namespace

const MultipartPart* MultipartResult::find(const std::string& name) const {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string multipartBoundary(const std::string& content_type, std::string* error) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  if (!headerParams(content_type, &type, &params)) {
    *error = "malformed Content-Type header";
    return "";
  }
  if (type != "multipart/form-data") {
    *error = "Content-Type must be multipart/form-data";
    return "";
  }
  std::string boundary = param(params, "boundary");
  // RFC 2046: 1..70 characters.
  if (boundary.empty() || boundary.size() > 70) {
    *error = "multipart/form-data without a valid boundary";
    return "";
  }
  return boundary;
}

MultipartResult parseMultipart(const std::string& content_type, std::string_view body) {
  MultipartResult r;
  std::string boundary = multipartBoundary(content_type, &r.error);
  if (!r.ok()) return r;
  const std::string first = "--" + boundary;
  const std::string delimiter = "\r\n--" + boundary;

  // The body starts with the first delimiter (a preamble before it is allowed by RFC 2046).
  size_t pos;
  if (body.substr(0, first.size()) == first) {
    pos = first.size();
  } else {
    size_t at = body.find(delimiter);
    if (at == std::string_view::npos) {
      r.error = "multipart body does not contain the boundary";
      return r;
    }
    pos = at + delimiter.size();
  }
  while (true) {
    // After a delimiter: "--" ends the body, "\r\n" starts a part (transport padding allowed).
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) == "--") {
      if (r.parts.empty()) {
        r.error = "multipart body has no parts";
        r.parts.clear();
      }
      return r;
    }
    if (body.substr(pos, 2) != "\r\n") {
      r.error = "malformed multipart delimiter line";
      r.parts.clear();
      return r;
    }
    // pos stays on that CRLF: it may be the first half of an empty header block.
    // Headers end at the first blank line; with no headers the blank line comes at once.
    size_t head_end = body.find("\r\n\r\n", pos);
    size_t boundary_at = body.find(delimiter, pos);
    if (head_end == std::string_view::npos ||
        (boundary_at != std::string_view::npos && boundary_at < head_end)) {
      r.error = "multipart part headers are truncated";
      r.parts.clear();
      return r;
    }
    std::string_view head = head_end > pos ? body.substr(pos + 2, head_end - pos - 2)
                                           : std::string_view();
    const size_t data_start = head_end + 4;
    const size_t next = body.find(delimiter, data_start);
    if (next == std::string_view::npos) {
      r.error = "multipart body is truncated (no closing boundary)";
      r.parts.clear();
      return r;
    }
    MultipartPart part;
    bool has_disposition = false;
    size_t line_start = 0;
    while (line_start <= head.size() && !head.empty()) {
      size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = head.size();
      std::string_view line = head.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      if (line.empty()) continue;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        r.error = "malformed multipart part header";
        r.parts.clear();
        return r;
      }
      std::string name = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        std::string type;
        std::vector<std::pair<std::string, std::string>> params;
        bool found = false;
        if (!headerParams(value, &type, &params) || type != "form-data") {
          r.error = "multipart part is not form-data";
          r.parts.clear();
          return r;
        }
        part.name = param(params, "name", &found);
        if (!found || part.name.empty()) {
          r.error = "multipart part without a name";
          r.parts.clear();
          return r;
        }
        part.filename = param(params, "filename");
        has_disposition = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
      if (line_end >= head.size()) break;
    }
    if (!has_disposition) {
      r.error = "multipart part without Content-Disposition";
      r.parts.clear();
      return r;
    }
    part.data = body.substr(data_start, next - data_start);
    r.parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

}  // namespace foundry::control
