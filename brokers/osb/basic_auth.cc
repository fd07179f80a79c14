#include "brokers/osb/basic_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <vector>

namespace foundry::osb {
namespace {

// Strict base64 (RFC 4648 with padding); false on anything else.
bool decodeBase64(std::string_view in, std::string* out) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return false;
  std::vector<unsigned char> buf(in.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes: drop them.
  size_t len = static_cast<size_t>(n);
  if (in.ends_with("==")) {
    len -= 2;
  } else if (in.ends_with("=")) {
    len -= 1;
  }
  out->assign(reinterpret_cast<const char*>(buf.data()), len);
  return true;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // Compare over b's length whatever a's is, so that the time depends on the expected value only.
  std::string padded(a.substr(0, b.size()));
  padded.resize(b.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), b.data(), b.size()) == 0;
  return same && a.size() == b.size();
}

}  // namespace

bool BasicAuth::check(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.size() <= kScheme.size()) return false;
  // The scheme name is case-insensitive (RFC 9110 11.1).
  for (size_t i = 0; i + 1 < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  if (authorization[kScheme.size() - 1] != ' ') return false;
  std::string decoded;
  if (!decodeBase64(authorization.substr(kScheme.size()), &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  bool user_ok = constantTimeEquals(std::string_view(decoded).substr(0, colon), username_);
  bool pass_ok = constantTimeEquals(std::string_view(decoded).substr(colon + 1), password_.reveal());
  return user_ok & pass_ok;
}

}  // namespace foundry::osb
