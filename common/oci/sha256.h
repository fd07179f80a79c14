#pragma once
// Streaming SHA-256 (OpenSSL EVP) for blob and manifest digests.
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace foundry::oci {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<64 hex>" of everything so far; the hash then starts over.
  std::string digest();
  void reset();

 private:
  evp_md_ctx_st* ctx_;
};

// "sha256:<64 hex>" of `data`.
std::string sha256Digest(std::string_view data);
// "sha256:<64 hex>" of a file's content; "" when it cannot be read.
std::string sha256DigestOfFile(const std::string& path);

}  // namespace foundry::oci
