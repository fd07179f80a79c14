#pragma once
// multipart/form-data bodies (RFC 7578) for the package upload.
#include <string>
#include <vector>

namespace foundry::cli {

struct FormPart {
  std::string name;
  std::string content;
  std::string filename;      // empty: a plain field
  std::string content_type;  // empty: none sent
};

struct MultipartBody {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

// A boundary that does not occur in any part is chosen.
MultipartBody buildMultipart(const std::vector<FormPart>& parts);

}  // namespace foundry::cli
