#include "common/oci/sha256.h"

#include <openssl/evp.h>

#include <fstream>

namespace foundry::oci {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

void Sha256::update(const void* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }

std::string Sha256::digest() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx_, raw, &size);
  reset();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(kHex[raw[i] >> 4]);
    out.push_back(kHex[raw[i] & 15]);
  }
  return out;
}

std::string sha256Digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.digest();
}

std::string sha256DigestOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  Sha256 hash;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    hash.update(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return "";
  return hash.digest();
}

}  // namespace foundry::oci
