#include "router/routeservice/signature.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "router/routeservice/padded_base64.h"
#include "router/routeservice/rfc3339_time.h"

namespace foundry::router {
namespace {

constexpr size_t kTagBytes = 16;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Length of a valid UTF-8 sequence starting at s[0], or 0 if it is not one.
size_t utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

SignatureKey SignatureKey::derive(const auth::Secret& secret) {
  SignatureKey key;
  const std::string& password = secret.reveal();
  // An empty salt, as gorouter (secure.NewPbkdf2 passes none).
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), nullptr, 0,
                    kSignatureKdfIterations, EVP_sha256(), static_cast<int>(key.key_.size()),
                    key.key_.data());
  return key;
}

SignatureKey SignatureKey::fromRawKey(std::string_view raw) {
  SignatureKey key;
  for (size_t i = 0; i < key.key_.size() && i < raw.size(); ++i) {
    key.key_[i] = static_cast<uint8_t>(raw[i]);
  }
  return key;
}

std::string SignatureKey::seal(std::string_view plaintext, const SignatureNonce& nonce) const {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int tail = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(nonce.size()), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), dst, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kTagBytes),
                          dst + plaintext.size()) == 1;
  if (!ok) return {};
  return out;
}

std::optional<std::string> SignatureKey::open(std::string_view sealed,
                                              std::string_view nonce) const {
  if (sealed.size() < kTagBytes || nonce.size() != kSignatureNonceBytes) return std::nullopt;
  const size_t text_len = sealed.size() - kTagBytes;
  std::string tag(sealed.substr(text_len));
  std::string out(text_len, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  int tail = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(nonce.size()), nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(sealed.data()),
                        static_cast<int>(text_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kTagBytes), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &tail) == 1;
  if (!ok) return std::nullopt;
  return out;
}

void appendGoJsonString(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < value.size()) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default:
          // Control characters, and the HTML-sensitive ones Go escapes by default.
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xF]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const size_t n = utf8SequenceLength(value.substr(i));
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(value[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(value[i + 2]) == 0xA9)) {
      // U+2028 / U+2029: valid JSON, but not valid JavaScript; Go escapes them.
      out->append(static_cast<unsigned char>(value[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
    } else {
      out->append(value.substr(i, n));
    }
    i += n;
  }
  out->push_back('"');
}

bool randomSignatureNonce(SignatureNonce* nonce) {
  return RAND_bytes(nonce->data(), static_cast<int>(nonce->size())) == 1;
}

SignatureHeaders buildSignatureHeaders(const SignatureKey& key, const SignatureContents& contents,
                                       const SignatureNonce& nonce) {
  std::string plaintext;
  plaintext.reserve(contents.forwarded_url.size() + 80);
  plaintext.append("{\"forwarded_url\":");
  appendGoJsonString(contents.forwarded_url, &plaintext);
  plaintext.append(",\"requested_time\":\"");
  plaintext.append(formatRfc3339Nano(contents.requested_time_ns));
  plaintext.append("\"}");

  std::string metadata = "{\"nonce\":\"";
  metadata.append(base64PaddedEncode(
      std::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()),
      Base64Alphabet::Standard));
  metadata.append("\"}");

  SignatureHeaders headers;
  headers.signature = base64PaddedEncode(key.seal(plaintext, nonce), Base64Alphabet::Url);
  headers.metadata = base64PaddedEncode(metadata, Base64Alphabet::Url);
  return headers;
}

bool readSignatureHeaders(const SignatureKey& key, std::string_view signature,
                          std::string_view metadata, SignatureContents* out, std::string* error) {
  if (metadata.empty()) {
    *error = "No metadata found";
    return false;
  }
  std::optional<std::string> metadata_json = base64PaddedDecode(metadata, Base64Alphabet::Url);
  if (!metadata_json) {
    *error = "illegal base64 data in metadata";
    return false;
  }
  nlohmann::json meta = nlohmann::json::parse(*metadata_json, nullptr, false);
  if (!meta.is_object() || !meta.contains("nonce") || !meta["nonce"].is_string()) {
    *error = "invalid metadata: no nonce";
    return false;
  }
  std::optional<std::string> nonce =
      base64PaddedDecode(meta["nonce"].get_ref<const std::string&>(), Base64Alphabet::Standard);
  if (!nonce || nonce->size() != kSignatureNonceBytes) {
    *error = "invalid metadata: bad nonce";
    return false;
  }
  std::optional<std::string> sealed = base64PaddedDecode(signature, Base64Alphabet::Url);
  if (!sealed) {
    *error = "illegal base64 data in signature";
    return false;
  }
  std::optional<std::string> plaintext = key.open(*sealed, *nonce);
  if (!plaintext) {
    *error = "cipher: message authentication failed";  // Go's text for the same failure
    return false;
  }
  nlohmann::json body = nlohmann::json::parse(*plaintext, nullptr, false);
  if (!body.is_object() || !body.contains("forwarded_url") || !body["forwarded_url"].is_string() ||
      !body.contains("requested_time") || !body["requested_time"].is_string() ||
      !parseRfc3339(body["requested_time"].get_ref<const std::string&>(),
                    &out->requested_time_ns)) {
    *error = "invalid signature contents";
    return false;
  }
  out->forwarded_url = body["forwarded_url"].get<std::string>();
  return true;
}

}  // namespace foundry::router
