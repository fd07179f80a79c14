#pragma once
// base64 WITH padding in both RFC 4648 alphabets, as Go's base64.StdEncoding and
// base64.URLEncoding write it: the route-service headers are base64url with padding, and the
// nonce inside X-CF-Proxy-Metadata is standard base64 (Go's JSON encoding of []byte).
// Decoding follows Go's non-strict decoder: padding is required (length a multiple of 4),
// characters outside the alphabet fail, spare bits in the last symbol are ignored.

#include <optional>
#include <string>
#include <string_view>

namespace foundry::router {

enum class Base64Alphabet { Standard, Url };

std::string base64PaddedEncode(std::string_view bytes, Base64Alphabet alphabet);
// nullopt for a length that is not a multiple of 4, a character outside the alphabet, or '='
// anywhere but in the last one or two places.
std::optional<std::string> base64PaddedDecode(std::string_view text, Base64Alphabet alphabet);

}  // namespace foundry::router
