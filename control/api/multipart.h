#pragma once
// A small, strict multipart/form-data parser (RFC 7578) for package uploads: the whole body is
// in memory (evhttp buffers it), parts are views into it. Strict: a missing or malformed
// boundary, a part without `Content-Disposition: form-data; name="..."`, headers that never end,
// or a body without the closing delimiter are errors, never a partial result.

#include <string>
#include <string_view>
#include <vector>

namespace foundry::control {

struct MultipartPart {
  std::string name;          // the form field ("bits", "resources")
  std::string filename;      // "" when the part has none
  std::string content_type;  // "" when the part has none
  std::string_view data;     // points into the body given to parseMultipart
};

struct MultipartResult {
  std::vector<MultipartPart> parts;
  std::string error;  // "" on success
  bool ok() const { return error.empty(); }
  // The first part named `name`, or nullptr.
  const MultipartPart* find(const std::string& name) const;
};

// The boundary parameter of a multipart/form-data Content-Type ("" with `error` set if absent
// or not multipart/form-data).
std::string multipartBoundary(const std::string& content_type, std::string* error);

// Parses `body` (which must outlive the result) against the Content-Type header's boundary.
MultipartResult parseMultipart(const std::string& content_type, std::string_view body);

}  // namespace foundry::control
