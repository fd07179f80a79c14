#include "common/auth/jwt.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <vector>

namespace foundry::auth {

namespace {

constexpr const char* kKeyFileName = "token-signing-key.pem";
constexpr int kKeyBits = 2048;
// Far above any token we issue (a UAA token with many scopes is a few KB); keeps decoding and
// JSON parsing of unauthenticated input bounded.
constexpr size_t kMaxTokenBytes = 64 * 1024;
// A PEM private key of any sane size is a few KB; refuse to slurp something huge.
constexpr off_t kMaxKeyFileBytes = 1 << 20;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// The first queued OpenSSL error as text, and an empty queue afterwards: a stale error left on
// this thread's queue would confuse a later SSL_get_error() in the same thread.
std::string takeOpensslError() {
  unsigned long code = ERR_get_error();
  std::string text = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

[[noreturn]] void throwOpenssl(const std::string& what) {
  throw std::runtime_error(what + ": " + takeOpensslError());
}

std::string bioText(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return std::string(mem->data, mem->length);
}

// Never prompt on the terminal for a passphrase (OpenSSL's default callback does): an
// encrypted key file is simply unreadable for us.
int noPassphrase(char*, int, int, void*) { return 0; }

std::string publicDer(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) throwOpenssl("i2d_PUBKEY");
  std::string out(reinterpret_cast<char*>(der), size_t(len));
  OPENSSL_free(der);
  return out;
}

std::string computeKid(EVP_PKEY* pkey) {
  std::string der = publicDer(pkey);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  if (EVP_Digest(der.data(), der.size(), md, &mdLen, EVP_sha256(), nullptr) != 1) {
    throwOpenssl("SHA-256");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string kid;
  for (int i = 0; i < 8; ++i) {
    kid += kHex[md[i] >> 4];
    kid += kHex[md[i] & 15];
  }
  return kid;
}

std::string bnBytes(EVP_PKEY* pkey, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) throwOpenssl(param);
  BnPtr bn(raw);
  std::string out(size_t(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// exp as whole seconds such that `now < exp` holds exactly when it holds for the JSON number
// (a fraction rounds up; values beyond int64 clamp rather than wrap). nullopt: absent or not a
// number (nlohmann's is_number excludes booleans).
std::optional<int64_t> expiryOf(const nlohmann::json& claims) {
  auto it = claims.find("exp");
  if (it == claims.end()) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    return v > uint64_t(kMax) ? kMax : int64_t(v);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    double d = std::ceil(it->get<double>());
    if (d >= 9.2e18) return kMax;
    if (d <= -9.2e18) return kMin;
    return int64_t(d);
  }
  return std::nullopt;
}

void ensureDirectory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error(dir + ": not a directory");
    return;
  }
  if (errno != ENOENT) throw std::runtime_error(dir + ": " + std::strerror(errno));
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // Only the key's own directory is made private; the parents are whatever the caller uses.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error(dir + ": cannot create directory: " + std::strerror(errno));
  }
}

// The file's contents, or nullopt when it does not exist.
std::optional<std::string> readKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxKeyFileBytes) {
    ::close(fd);
    throw std::runtime_error(path + ": not a regular file of a sane size");
  }
  std::string text(size_t(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  ::close(fd);
  text.resize(got);
  return text;
}

void writeAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    done += size_t(n);
  }
}

// Publishes `pem` as `path` all at once: written and fsynced under a temporary name (0600 from
// the start, O_EXCL), then hard-linked into place. link() fails with EEXIST rather than
// replacing, so when two processes start together the first key wins and the other loads it
// (rename() would let the second silently replace a key the first is already signing with).
// Returns false if `path` appeared meanwhile.
bool publishKeyFile(const std::string& dir, const std::string& path, const std::string& pem) {
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1) throwOpenssl("RAND_bytes");
  std::string tmp = dir + "/." + kKeyFileName + ".tmp-" + std::to_string(::getpid()) + "-" +
                    base64UrlEncode(std::string_view(reinterpret_cast<char*>(rnd), sizeof rnd));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error(tmp + ": cannot create: " + std::strerror(errno));
  try {
    writeAll(fd, pem, tmp);
    if (::fsync(fd) != 0) throw std::runtime_error(tmp + ": fsync: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(tmp + ": close: " + std::strerror(errno));
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return false;
    throw std::runtime_error(path + ": cannot create: " + std::strerror(err));
  }
  // Make the new directory entry durable too.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace

struct SigningKey::Impl {
  PkeyPtr pkey;
  std::string publicPem;
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  EVP_PKEY* pkey = impl_->pkey.get();
  // Only plain RSA: an "RSA-PSS" key would sign PSS, which is not RS256.
  if (!EVP_PKEY_is_a(pkey, "RSA")) throw std::runtime_error("not an RSA key");
  if (EVP_PKEY_get_bits(pkey) < kKeyBits) {
    throw std::runtime_error("RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey)) +
                             " bits, need at least " + std::to_string(kKeyBits));
  }
  kid_ = computeKid(pkey);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) throwOpenssl("PEM_write_bio_PUBKEY");
  impl_->publicPem = bioText(bio.get());
}

SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

SigningKey SigningKey::generate() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(kKeyBits));
  if (raw == nullptr) throwOpenssl("RSA key generation");
  auto impl = std::make_unique<Impl>();
  impl->pkey.reset(raw);
  return SigningKey(std::move(impl));
}

SigningKey SigningKey::loadOrCreate(const std::string& dir) {
  if (dir.empty()) throw std::invalid_argument("SigningKey::loadOrCreate: empty directory");
  ensureDirectory(dir);
  const std::string path = dir + "/" + kKeyFileName;
  // Two rounds at most: if another process publishes the file between our read and our link,
  // the second round loads theirs.
  for (int round = 0; round < 2; ++round) {
    if (std::optional<std::string> pem = readKeyFile(path)) {
      BioPtr bio(BIO_new_mem_buf(pem->data(), int(pem->size())));
      EVP_PKEY* raw =
          bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr;
      OPENSSL_cleanse(pem->data(), pem->size());
      if (raw == nullptr) throwOpenssl(path + ": not a PEM private key");
      auto impl = std::make_unique<Impl>();
      impl->pkey.reset(raw);
      try {
        return SigningKey(std::move(impl));
      } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
      }
    }
    SigningKey fresh = generate();
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), fresh.impl_->pkey.get(), nullptr, nullptr, 0,
                                         nullptr, nullptr) != 1) {
      throwOpenssl(path + ": PEM_write_bio_PrivateKey");
    }
    std::string pem = bioText(bio.get());
    bool published = publishKeyFile(dir, path, pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (published) return fresh;
  }
  throw std::runtime_error(path + ": appeared and vanished while loading");
}

std::string SigningKey::sign(const nlohmann::json& claims) const {
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid_}};
  // dump() throws on strings that are not valid UTF-8: such claims are a caller bug.
  std::string input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());

  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, impl_->pkey.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    throwOpenssl("RS256 sign init");
  }
  auto data = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) throwOpenssl("RS256");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                     input.size()) != 1) {
    throwOpenssl("RS256 sign");
  }
  sig.resize(len);
  return input + "." + base64UrlEncode(sig);
}

nlohmann::json SigningKey::publicJwk() const {
  EVP_PKEY* pkey = impl_->pkey.get();
  return {{"kty", "RSA"},
          {"use", "sig"},
          {"alg", "RS256"},
          {"kid", kid_},
          {"n", base64UrlEncode(bnBytes(pkey, OSSL_PKEY_PARAM_RSA_N))},
          {"e", base64UrlEncode(bnBytes(pkey, OSSL_PKEY_PARAM_RSA_E))},
          {"value", impl_->publicPem}};
}

std::string SigningKey::publicPem() const { return impl_->publicPem; }

const char* tokenStatusName(TokenStatus status) {
  switch (status) {
    case TokenStatus::Valid:
      return "valid";
    case TokenStatus::Malformed:
      return "malformed";
    case TokenStatus::BadAlgorithm:
      return "bad-algorithm";
    case TokenStatus::BadSignature:
      return "bad-signature";
    case TokenStatus::Expired:
      return "expired";
  }
  return "unknown";
}

TokenVerifier::TokenVerifier(const SigningKey& key, size_t capacity)
    : key_(key), capacity_(capacity) {}

VerifiedToken TokenVerifier::verify(std::string_view token, int64_t now) {
  // Only fully verified tokens are ever cached, so an exact-text match needs no further check
  // but the expiry, which moves with `now`.
  if (auto it = cache_.find(std::string(token)); it != cache_.end()) {
    ++hits_;
    if (now >= it->second.exp) return {TokenStatus::Expired, nullptr};
    return {TokenStatus::Valid, it->second.claims};
  }
  VerifiedToken result = verifyUncached(token, now);
  if (result.status != TokenStatus::Valid || capacity_ == 0) return result;

  if (cache_.size() >= capacity_) {
    // Expired entries first (a full sweep)...
    size_t swept = std::erase_if(cache_, [now](const auto& kv) { return kv.second.exp <= now; });
    if (swept > 0) {
      std::erase_if(order_, [this](const std::string& t) { return !cache_.contains(t); });
    }
    // ...then the oldest, down to 1/16 below capacity, so that the O(capacity) sweep above runs
    // at most once per capacity/16 insertions even when nothing has expired.
    size_t target = capacity_ - std::max<size_t>(1, capacity_ / 16);
    while (cache_.size() > target && !order_.empty()) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
  }
  // verifyUncached accepted exp, so it is present and a number.
  int64_t exp = expiryOf(*result.claims).value_or(now);
  cache_.emplace(std::string(token), Entry{result.claims, exp});
  order_.emplace_back(token);
  return result;
}

VerifiedToken TokenVerifier::verifyUncached(std::string_view token, int64_t now) {
  const VerifiedToken malformed{TokenStatus::Malformed, nullptr};
  if (token.size() > kMaxTokenBytes) return malformed;
  size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return malformed;
  size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed;
  }
  // JWS compact serialisation has no padding; refuse it so one token has one spelling.
  if (token.find('=') != std::string_view::npos) return malformed;
  const std::string_view signingInput = token.substr(0, dot2);
  auto headerBytes = base64UrlDecode(token.substr(0, dot1));
  auto payloadBytes = base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64UrlDecode(token.substr(dot2 + 1));
  if (!headerBytes || !payloadBytes || !signature) return malformed;

  nlohmann::json header = nlohmann::json::parse(*headerBytes, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return malformed;
  nlohmann::json payload =
      nlohmann::json::parse(*payloadBytes, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return malformed;

  // The algorithm is ours to choose, never the token's: anything but exactly RS256 is refused
  // here, before any key is used ("none", and HS256 keyed with our public key, are the attacks).
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "RS256") {
    return {TokenStatus::BadAlgorithm, nullptr};
  }
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>() != key_.kid()) {
      return {TokenStatus::BadAlgorithm, nullptr};
    }
  }
  // RFC 7515 4.1.11: extensions marked critical must be understood; we understand none.
  if (header.contains("crit")) return {TokenStatus::BadAlgorithm, nullptr};

  EVP_PKEY* pkey = key_.impl_->pkey.get();
  if (signature->size() != size_t(EVP_PKEY_get_size(pkey))) {
    return {TokenStatus::BadSignature, nullptr};
  }
  ++checks_;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                             signature->size(),
                             reinterpret_cast<const unsigned char*>(signingInput.data()),
                             signingInput.size()) == 1;
  if (!ok) {
    ERR_clear_error();
    return {TokenStatus::BadSignature, nullptr};
  }

  std::optional<int64_t> exp = expiryOf(payload);
  if (!exp || now >= *exp) return {TokenStatus::Expired, nullptr};
  return {TokenStatus::Valid, std::make_shared<const nlohmann::json>(std::move(payload))};
}

}  // namespace foundry::auth
