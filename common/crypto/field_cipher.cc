#include "common/crypto/field_cipher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/auth/base64url.h"

namespace foundry::crypto {
namespace {

constexpr std::string_view kPrefix = "enc:v1:";
constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx newContext() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx) throw CipherError("cannot allocate a cipher context");
  return ctx;
}

// "enc:v1:<label>:<payload>" -> {label, payload}; nullopt when not that shape.
std::optional<std::pair<std::string, std::string>> split(std::string_view sealed) {
  if (sealed.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  sealed.remove_prefix(kPrefix.size());
  const size_t colon = sealed.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return std::make_pair(std::string(sealed.substr(0, colon)),
                        std::string(sealed.substr(colon + 1)));
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw CipherError("no randomness");
  }
  return out;
}

}  // namespace

FieldCipher::FieldCipher(std::map<std::string, auth::Secret> keys, std::string current)
    : keys_(std::move(keys)), current_(std::move(current)) {
  if (!keys_.count(current_)) throw CipherError("the current key '" + current_ + "' is not known");
  for (const auto& [label, key] : keys_) {
    if (key.reveal().size() != kKeyBytes) {
      throw CipherError("key '" + label + "' is not 32 bytes");
    }
    if (label.empty() || label.find(':') != std::string::npos) {
      throw CipherError("a key label may not be empty or contain ':'");
    }
  }
}

FieldCipher FieldCipher::fromKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    // First start: one fresh key, written only by us (O_EXCL: two processes cannot both win).
    nlohmann::json file = {{"current", "key-1"},
                           {"keys", {{"key-1", auth::base64UrlEncode(randomBytes(kKeyBytes))}}}};
    const std::string text = file.dump(2) + "\n";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      if (!ok) throw CipherError("cannot write " + path);
    } else if (errno != EEXIST) {
      throw CipherError("cannot create " + path);
    }
    in.open(path);
    if (!in) throw CipherError("cannot read " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("current") || !j["current"].is_string() ||
      !j.contains("keys") || !j["keys"].is_object()) {
    throw CipherError(path + ": expected {\"current\": label, \"keys\": {label: base64url}}");
  }
  std::map<std::string, auth::Secret> keys;
  for (const auto& [label, value] : j["keys"].items()) {
    auto raw = value.is_string() ? auth::base64UrlDecode(value.get<std::string>()) : std::nullopt;
    if (!raw) throw CipherError(path + ": key '" + label + "' is not base64url");
    keys.emplace(label, auth::Secret(std::move(*raw)));
  }
  return FieldCipher(std::move(keys), j["current"].get<std::string>());
}

bool FieldCipher::isSealed(std::string_view value) { return split(value).has_value(); }

bool FieldCipher::needsRotation(std::string_view sealed) const {
  auto parts = split(sealed);
  return parts && parts->first != current_;
}

std::string FieldCipher::seal(std::string_view plaintext) const {
  const std::string& key = keys_.at(current_).reveal();
  const std::string nonce = randomBytes(kNonceBytes);
  auto ctx = newContext();
  std::string out = nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes;
  int len = 0, tail = 0;
  const bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(current_.data()),
                        static_cast<int>(current_.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), dst, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          dst + plaintext.size()) == 1;
  if (!ok) throw CipherError("encryption failed");
  return std::string(kPrefix) + current_ + ":" + auth::base64UrlEncode(out);
}

auth::Secret FieldCipher::open(std::string_view sealed) const {
  auto parts = split(sealed);
  if (!parts) throw CipherError("not a sealed value");
  auto key = keys_.find(parts->first);
  if (key == keys_.end()) throw CipherError("sealed by an unknown key '" + parts->first + "'");
  auto raw = auth::base64UrlDecode(parts->second);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) throw CipherError("malformed sealed value");
  const size_t text_len = raw->size() - kNonceBytes - kTagBytes;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  std::string plain(text_len, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(plain.data());
  auto ctx = newContext();
  int len = 0, tail = 0;
  std::string tag = raw->substr(kNonceBytes + text_len);
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key->second.reveal().data()),
                         bytes) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(parts->first.data()),
                        static_cast<int>(parts->first.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), dst, &len, bytes + kNonceBytes,
                        static_cast<int>(text_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &tail) == 1;
  if (!ok) throw CipherError("sealed value does not authenticate (tampered or wrong key)");
  return auth::Secret(std::move(plain));
}

}  // namespace foundry::crypto
