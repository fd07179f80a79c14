#include "control/blobstore/hashing.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <memory>

namespace foundry::control {
namespace {

std::string toHex(const unsigned char* digest, unsigned length) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::optional<std::string> hashFile(const std::string& path, const EVP_MD* md) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return std::nullopt;
  }
  char buf[64 * 1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buf, n);
  }
  if (std::ferror(f.get())) {
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return toHex(digest, length);
}

std::string hashString(std::string_view data, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr);
  return toHex(digest, length);
}

}  // namespace

std::optional<std::string> sha256File(const std::string& path) {
  return hashFile(path, EVP_sha256());
}
std::optional<std::string> sha1File(const std::string& path) { return hashFile(path, EVP_sha1()); }
std::string sha256Hex(std::string_view data) { return hashString(data, EVP_sha256()); }
std::string sha1Hex(std::string_view data) { return hashString(data, EVP_sha1()); }

bool isHex(std::string_view s, size_t length) {
  if (s.size() != length) {
    return false;
  }
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace foundry::control
