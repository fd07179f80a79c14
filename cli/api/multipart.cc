#include "cli/api/multipart.h"

#include <random>

namespace foundry::cli {

MultipartBody buildMultipart(const std::vector<FormPart>& parts) {
  std::random_device device;
  std::mt19937_64 rng(device());
  std::string boundary;
  bool clash = true;
  while (clash) {
    boundary = "foundry-" + std::to_string(rng());
    clash = false;
    for (const auto& part : parts) {
      if (part.content.find(boundary) != std::string::npos) clash = true;
    }
  }
  MultipartBody out;
  out.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& part : parts) {
    out.body += "--" + boundary + "\r\n";
    out.body += "Content-Disposition: form-data; name=\"" + part.name + "\"";
    if (!part.filename.empty()) out.body += "; filename=\"" + part.filename + "\"";
    out.body += "\r\n";
    if (!part.content_type.empty()) out.body += "Content-Type: " + part.content_type + "\r\n";
    out.body += "\r\n";
    out.body += part.content;
    out.body += "\r\n";
  }
  out.body += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace foundry::cli
