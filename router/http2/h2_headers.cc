#include "router/http2/h2_headers.h"

#include <http_parser.h>
#include <strings.h>

#include <array>
#include <cctype>
#include <cstdio>

namespace foundry::router {
namespace {

constexpr std::array<std::string_view, 6> kConnectionSpecific = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    "http2-settings",
};

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// CR, LF and NUL would end a field (or the head) early in HTTP/1.1.
bool safeForH1(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool isTeTrailers(std::string_view name, std::string_view value) {
  return equalsNoCase(name, "te") && equalsNoCase(value, "trailers");
}

void appendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

bool methodHasBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

void H2RequestHead::add(std::string_view name, std::string_view value) {
  counted_bytes += name.size() + value.size() + 4;
  if (name.empty()) return;
  if (name[0] == ':') {
    if (name == ":method") {
      method.assign(value);
    } else if (name == ":scheme") {
      scheme.assign(value);
    } else if (name == ":authority") {
      authority.assign(value);
    } else if (name == ":path") {
      path.assign(value);
    }
    return;
  }
  if (name == "cookie") {
    if (!cookie.empty()) cookie.append("; ");
    cookie.append(value);
    return;
  }
  if (name == "content-length") has_content_length = true;
  fields.emplace_back(std::string(name), std::string(value));
}

bool isConnectionSpecific(std::string_view name) {
  for (std::string_view c : kConnectionSpecific) {
    if (equalsNoCase(name, c)) return true;
  }
  return false;
}

bool writeH1Request(const H2RequestHead& head, bool end_stream, std::string* out) {
  out->clear();
  if (head.method.empty() || head.path.empty()) return false;
  for (char c : head.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  for (char c : head.method) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  if (!safeForH1(head.authority) || !safeForH1(head.cookie)) return false;
  out->reserve(head.counted_bytes + 64);
  out->append(head.method);
  out->push_back(' ');
  out->append(head.path);
  out->append(" HTTP/1.1\r\n");
  bool host_written = false;
  if (!head.authority.empty()) {
    appendField(out, "Host", head.authority);
    host_written = true;
  }
  // One request per session: the session closes after answering (and never reads past it).
  out->append("Connection: close\r\n");
  for (const auto& [name, value] : head.fields) {
    if (!safeForH1(name) || !safeForH1(value) || name.find(':') != std::string::npos) {
      return false;
    }
    if (isConnectionSpecific(name)) continue;
    if (name == "te" && !isTeTrailers(name, value)) continue;
    if (name == "host") {
      if (host_written) continue;  // :authority wins (RFC 9113 8.3.1)
      host_written = true;
    }
    appendField(out, name, value);
  }
  if (!head.cookie.empty()) appendField(out, "cookie", head.cookie);
  if (end_stream) {
    if (!head.has_content_length && methodHasBody(head.method)) {
      out->append("Content-Length: 0\r\n");
    }
  } else if (!head.has_content_length) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
  out->append("\r\n");
  return true;
}

void NvList::add(std::string_view name, std::string_view value) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  strings_.push_back(std::move(lower));
  strings_.emplace_back(value);
}

void NvList::seal() {
  nv_.clear();
  nv_.reserve(strings_.size() / 2);
  for (size_t i = 0; i + 1 < strings_.size(); i += 2) {
    nghttp2_nv nv;
    nv.name = reinterpret_cast<uint8_t*>(strings_[i].data());
    nv.namelen = strings_[i].size();
    nv.value = reinterpret_cast<uint8_t*>(strings_[i + 1].data());
    nv.valuelen = strings_[i + 1].size();
    nv.flags = NGHTTP2_NV_FLAG_NONE;
    nv_.push_back(nv);
  }
}

void h2ResponseFields(const DecodedHead& head, NvList* out) {
  out->add(":status", std::to_string(head.status));
  for (const auto& [name, value] : head.headers) {
    if (isConnectionSpecific(name) || equalsNoCase(name, "te")) continue;
    out->add(name, value);
  }
  out->seal();
}

void h2TrailerFields(const OwnedHeaders& trailers, NvList* out) {
  for (const auto& [name, value] : trailers) {
    if (isConnectionSpecific(name) || equalsNoCase(name, "te")) continue;
    out->add(name, value);
  }
  out->seal();
}

void h2RequestFields(const DecodedHead& head, std::string_view scheme, NvList* out) {
  out->add(":method", head.method);
  out->add(":scheme", scheme);
  std::string_view host = head.find("Host");
  if (!host.empty()) out->add(":authority", host);
  out->add(":path", head.target);
  for (const auto& [name, value] : head.headers) {
    if (isConnectionSpecific(name) || equalsNoCase(name, "host")) continue;
    if (equalsNoCase(name, "te") && !isTeTrailers(name, value)) continue;
    out->add(name, value);
  }
  out->seal();
}

void writeH1Response(int status, const OwnedHeaders& fields, bool end_stream, bool no_body,
                     bool* chunked, std::string* out) {
  out->clear();
  const char* reason = http_status_str(static_cast<http_status>(status));
  out->append("HTTP/1.1 ");
  out->append(std::to_string(status));
  out->push_back(' ');
  out->append(reason);
  out->append("\r\n");
  bool has_length = false;
  for (const auto& [name, value] : fields) {
    if (isConnectionSpecific(name)) continue;
    if (!safeForH1(name) || !safeForH1(value)) continue;
    if (equalsNoCase(name, "content-length")) has_length = true;
    appendField(out, name, value);
  }
  *chunked = false;
  if (!no_body && !has_length) {
    if (end_stream) {
      out->append("Content-Length: 0\r\n");
    } else {
      out->append("Transfer-Encoding: chunked\r\n");
      *chunked = true;
    }
  }
  out->append("\r\n");
}

void writeH1ChunkedEnd(const OwnedHeaders& trailers, std::string* out) {
  out->append("0\r\n");
  for (const auto& [name, value] : trailers) {
    if (isConnectionSpecific(name) || !safeForH1(name) || !safeForH1(value)) continue;
    appendField(out, name, value);
  }
  out->append("\r\n");
}

void writeChunkHeader(size_t len, std::string* out) {
  char line[24];
  int n = std::snprintf(line, sizeof line, "%zx\r\n", len);
  out->append(line, static_cast<size_t>(n));
}

}  // namespace foundry::router
