#include "router/routeservice/padded_base64.h"

#include <array>
#include <cstdint>

namespace foundry::router {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> makeDecodeTable(const char* alphabet) {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = int8_t(i);
  return table;
}
constexpr std::array<int8_t, 256> kStandardDecode = makeDecodeTable(kStandard);
constexpr std::array<int8_t, 256> kUrlDecode = makeDecodeTable(kUrl);

}  // namespace

std::string base64PaddedEncode(std::string_view bytes, Base64Alphabet alphabet) {
  const char* table = alphabet == Base64Alphabet::Url ? kUrl : kStandard;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += table[v >> 6 & 63];
    out += table[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = byte(i) << 16;
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += table[v >> 6 & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64PaddedDecode(std::string_view text, Base64Alphabet alphabet) {
  const std::array<int8_t, 256>& table =
      alphabet == Base64Alphabet::Url ? kUrlDecode : kStandardDecode;
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t symbols = last ? 4 - pad : 4;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int8_t d = 0;
      if (k < symbols) {
        d = table[static_cast<unsigned char>(text[i + k])];
        if (d < 0) return std::nullopt;  // '=' in the middle lands here too
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out += static_cast<char>(v >> 16 & 0xff);
    if (symbols > 2) out += static_cast<char>(v >> 8 & 0xff);
    if (symbols > 3) out += static_cast<char>(v & 0xff);
  }
  return out;
}

}  // namespace foundry::router
