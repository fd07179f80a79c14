#pragma once
// base64url without padding (RFC 4648 section 5), as JWTs and our key files use it. Decoding is
// strict: the url alphabet only, '=' only as proper trailing padding, and no non-zero spare
// bits, so every value has exactly one accepted spelling.

#include <optional>
#include <string>
#include <string_view>

namespace foundry::auth {

std::string base64UrlEncode(std::string_view bytes);
// nullopt for anything that is not canonical base64url.
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace foundry::auth
