// common/auth: base64url, RS256 signing keys and their file, the token verifier and its cache,
// password hashing and Secret. Tokens that must fail are built by hand (header, payload and
// signature chosen byte by byte) so each attack is the real one, not a stand-in.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/auth/jwt.h"
#include "common/auth/password.h"
#include "common/auth/secret.h"

namespace foundry::auth {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'800'000'000;

// RSA key generation takes a good fraction of a second: two keys for the whole file.
const SigningKey& keyA() {
  static const SigningKey key = SigningKey::generate();
  return key;
}
const SigningKey& keyB() {
  static const SigningKey key = SigningKey::generate();
  return key;
}

json claimsFor(const std::string& sub, int64_t exp) {
  return {{"sub", sub},
          {"scope", {"cloud_controller.read", "openid"}},
          {"iat", kNow - 10},
          {"exp", exp}};
}

struct Parts {
  std::string header, payload, signature;  // still encoded
};
Parts split(const std::string& token) {
  size_t d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}
std::string join(const Parts& p) { return p.header + "." + p.payload + "." + p.signature; }
std::string enc(const json& j) { return base64UrlEncode(j.dump()); }

std::string hmacSha256(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "auth_test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// ---------------------------------------------------------------------------------------------

TEST(JwtBase64Url, KnownVectorsAndRoundTrip) {
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(base64UrlEncode("\xfb\xff\xbf"), "-_-_");  // the two url-safe characters
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string bytes = all.substr(0, n);
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(bytes)), bytes) << n;
  }
}

TEST(JwtBase64Url, RejectsWhatIsNotCanonicalBase64Url) {
  EXPECT_EQ(base64UrlDecode("Zg=="), "f");  // padding tolerated
  EXPECT_EQ(base64UrlDecode("Zm8="), "fo");
  EXPECT_EQ(base64UrlDecode("Zm9v+w"), std::nullopt);  // '+' and '/' are plain base64
  EXPECT_EQ(base64UrlDecode("Zm9v/w"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9vY"), std::nullopt);  // 6 bits cannot make a byte
  EXPECT_EQ(base64UrlDecode("Zh"), std::nullopt);     // "f" with non-zero spare bits
  EXPECT_EQ(base64UrlDecode("Z==="), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zg="), std::nullopt);  // padding must complete a quantum
  EXPECT_EQ(base64UrlDecode("Z=g="), std::nullopt);
  EXPECT_EQ(base64UrlDecode(std::string("Zg\0", 3)), std::nullopt);
}

// ---------------------------------------------------------------------------------------------

TEST(JwtSigningKey, SignVerifyRoundTripPreservesClaims) {
  json claims = claimsFor("alice", kNow + 3600);
  claims["nested"] = {{"a", 1}, {"b", {true, nullptr, 2.5}}, {"unicode", "h\u00e9llo"}};
  std::string token = keyA().sign(claims);

  Parts p = split(token);
  json header = json::parse(*base64UrlDecode(p.header));
  EXPECT_EQ(header, (json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", keyA().kid()}}));
  EXPECT_EQ(base64UrlDecode(p.signature)->size(), 256u);
  EXPECT_EQ(token.find('='), std::string::npos);

  TokenVerifier verifier(keyA());
  VerifiedToken v = verifier.verify(token, kNow);
  ASSERT_EQ(v.status, TokenStatus::Valid) << tokenStatusName(v.status);
  ASSERT_NE(v.claims, nullptr);
  EXPECT_EQ(*v.claims, claims);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
}

TEST(JwtSigningKey, KidIsSixteenHexDigitsAndDiffersPerKey) {
  EXPECT_EQ(keyA().kid().size(), 16u);
  EXPECT_EQ(keyA().kid().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(keyA().kid(), keyB().kid());
}

TEST(JwtSigningKey, SignRefusesNonObjectClaims) {
  EXPECT_THROW(keyA().sign(json::array({1, 2})), std::invalid_argument);
}

TEST(JwtSigningKey, PublicJwkHasRsaParameters) {
  json jwk = keyA().publicJwk();
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["kid"], keyA().kid());
  auto n = base64UrlDecode(jwk["n"].get<std::string>());
  auto e = base64UrlDecode(jwk["e"].get<std::string>());
  ASSERT_TRUE(n && e);
  EXPECT_EQ(n->size(), 256u);
  EXPECT_NE((*n)[0], '\0');  // minimal big-endian, top bit set for a 2048-bit modulus
  EXPECT_EQ(*e, std::string("\x01\x00\x01", 3));  // 65537
  EXPECT_EQ(jwk["value"], keyA().publicPem());
  EXPECT_EQ(keyA().publicPem().rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  EXPECT_NE(keyA().publicJwk()["n"], keyB().publicJwk()["n"]);
}

// ---------------------------------------------------------------------------------------------

TEST(JwtVerifier, TamperedPayloadIsBadSignature) {
  std::string token = keyA().sign(claimsFor("alice", kNow + 3600));
  Parts p = split(token);
  json payload = json::parse(*base64UrlDecode(p.payload));
  payload["sub"] = "admin";
  p.payload = enc(payload);

  TokenVerifier verifier(keyA());
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  // Extending the expiry is the same attack.
  p = split(token);
  payload = json::parse(*base64UrlDecode(p.payload));
  payload["exp"] = kNow + 10 * 365 * 86400;
  p.payload = enc(payload);
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  EXPECT_EQ(verifier.cached(), 0u);
}

TEST(JwtVerifier, SignatureFromAnotherKeyIsBadSignature) {
  json claims = claimsFor("alice", kNow + 3600);
  Parts ours = split(keyA().sign(claims));
  Parts theirs = split(keyB().sign(claims));
  ours.signature = theirs.signature;  // our header (our kid) and payload, their signature

  TokenVerifier verifier(keyA());
  EXPECT_EQ(verifier.verify(join(ours), kNow).status, TokenStatus::BadSignature);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
  // Their token as issued names their kid: refused before any crypto.
  EXPECT_EQ(verifier.verify(join(theirs), kNow).status, TokenStatus::BadAlgorithm);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
}

TEST(JwtVerifier, TruncatedOrEmptySignatureIsBadSignature) {
  Parts p = split(keyA().sign(claimsFor("alice", kNow + 3600)));
  std::string sig = *base64UrlDecode(p.signature);
  TokenVerifier verifier(keyA());
  p.signature = base64UrlEncode(sig.substr(1));
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  p.signature = base64UrlEncode(std::string(1, '\0') + sig);
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  p.signature = "";
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
}

TEST(JwtVerifier, AlgNoneIsBadAlgorithm) {
  std::string token =
      enc({{"alg", "none"}, {"typ", "JWT"}}) + "." + enc(claimsFor("admin", kNow + 3600)) + ".";
  TokenVerifier verifier(keyA());
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::BadAlgorithm);
  EXPECT_EQ(verifier.signatureChecks(), 0u);
}

TEST(JwtVerifier, Hs256KeyedWithOurPublicKeyIsBadAlgorithm) {
  // The key-confusion attack: the public key is public, so anyone can compute this HMAC; a
  // verifier that let the token pick the algorithm would check it with the PEM as the secret.
  std::string input = enc({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", keyA().kid()}}) + "." +
                      enc(claimsFor("admin", kNow + 3600));
  std::string token = input + "." + base64UrlEncode(hmacSha256(keyA().publicPem(), input));
  TokenVerifier verifier(keyA());
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::BadAlgorithm);
  // The DER form of the key as the secret, too.
  std::string der = *base64UrlDecode(keyA().publicJwk()["n"].get<std::string>());
  token = input + "." + base64UrlEncode(hmacSha256(der, input));
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::BadAlgorithm);
  EXPECT_EQ(verifier.signatureChecks(), 0u);
}

TEST(JwtVerifier, AnyAlgOtherThanExactlyRs256IsBadAlgorithm) {
  Parts p = split(keyA().sign(claimsFor("alice", kNow + 3600)));
  TokenVerifier verifier(keyA());
  for (const json& alg :
       {json("RS512"), json("HS256"), json("PS256"), json("ES256"), json("rs256"), json("RS256 "),
        json("None"), json(nullptr), json(256), json::array({"RS256"})}) {
    p.header = enc({{"alg", alg}, {"typ", "JWT"}, {"kid", keyA().kid()}});
    EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadAlgorithm) << alg;
  }
  p.header = enc({{"typ", "JWT"}, {"kid", keyA().kid()}});  // no alg at all
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadAlgorithm);
  EXPECT_EQ(verifier.signatureChecks(), 0u);
}

TEST(JwtVerifier, UnknownKidOrCritIsBadAlgorithm) {
  Parts p = split(keyA().sign(claimsFor("alice", kNow + 3600)));
  TokenVerifier verifier(keyA());
  p.header = enc({{"alg", "RS256"}, {"kid", "0000000000000000"}});
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadAlgorithm);
  p.header = enc({{"alg", "RS256"}, {"kid", 7}});
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadAlgorithm);
  p.header = enc({{"alg", "RS256"}, {"kid", keyA().kid()}, {"crit", {"exp"}}});
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadAlgorithm);
  EXPECT_EQ(verifier.signatureChecks(), 0u);
  // Without a kid the token goes on to the signature, which covers the header it was made with.
  p.header = enc({{"alg", "RS256"}, {"typ", "JWT"}});
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
}

TEST(JwtVerifier, ExpiredOrMissingExpIsExpired) {
  TokenVerifier verifier(keyA(), 0);
  EXPECT_EQ(verifier.verify(keyA().sign(claimsFor("a", kNow - 1)), kNow).status,
            TokenStatus::Expired);
  EXPECT_EQ(verifier.verify(keyA().sign(claimsFor("a", kNow)), kNow).status,
            TokenStatus::Expired);  // exp is the first instant it is no longer valid
  EXPECT_EQ(verifier.verify(keyA().sign(claimsFor("a", kNow + 1)), kNow).status,
            TokenStatus::Valid);

  json noExp = claimsFor("a", 0);
  noExp.erase("exp");
  EXPECT_EQ(verifier.verify(keyA().sign(noExp), kNow).status, TokenStatus::Expired);
  for (const json& exp : {json("9999999999"), json(true), json(nullptr), json::array({kNow + 9})}) {
    json c = claimsFor("a", 0);
    c["exp"] = exp;
    EXPECT_EQ(verifier.verify(keyA().sign(c), kNow).status, TokenStatus::Expired) << exp;
  }
}

TEST(JwtVerifier, ExpNumberFormsAreComparedExactly) {
  TokenVerifier verifier(keyA(), 0);
  json c = claimsFor("a", 0);
  c["exp"] = double(kNow) + 0.5;  // still valid at kNow, not at kNow + 1
  std::string token = keyA().sign(c);
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::Valid);
  EXPECT_EQ(verifier.verify(token, kNow + 1).status, TokenStatus::Expired);
  // A huge unsigned exp is far future, not a wrapped negative number.
  c["exp"] = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(verifier.verify(keyA().sign(c), kNow).status, TokenStatus::Valid);
  c["exp"] = 1e300;
  EXPECT_EQ(verifier.verify(keyA().sign(c), kNow).status, TokenStatus::Valid);
  c["exp"] = -1e300;
  EXPECT_EQ(verifier.verify(keyA().sign(c), kNow).status, TokenStatus::Expired);
}

TEST(JwtVerifier, MalformedTokens) {
  std::string good = keyA().sign(claimsFor("alice", kNow + 3600));
  Parts p = split(good);
  std::string headerJson = *base64UrlDecode(p.header);
  TokenVerifier verifier(keyA());
  auto status = [&](const std::string& t) { return verifier.verify(t, kNow).status; };

  EXPECT_EQ(status(""), TokenStatus::Malformed);
  EXPECT_EQ(status("garbage"), TokenStatus::Malformed);
  EXPECT_EQ(status(".."), TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + p.payload), TokenStatus::Malformed);  // two segments
  EXPECT_EQ(status(good + ".x"), TokenStatus::Malformed);                 // four
  EXPECT_EQ(status(good + "."), TokenStatus::Malformed);
  EXPECT_EQ(status(" " + good), TokenStatus::Malformed);
  EXPECT_EQ(status(good + "\n"), TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "=." + p.payload + "." + p.signature), TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + p.payload + "." + p.signature + "=="), TokenStatus::Malformed);
  EXPECT_EQ(status("!" + good), TokenStatus::Malformed);
  EXPECT_EQ(status(base64UrlEncode("not json") + "." + p.payload + "." + p.signature),
            TokenStatus::Malformed);
  EXPECT_EQ(status(base64UrlEncode(headerJson + "x") + "." + p.payload + "." + p.signature),
            TokenStatus::Malformed);
  EXPECT_EQ(status(enc(json::array({"RS256"})) + "." + p.payload + "." + p.signature),
            TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + base64UrlEncode("{\"exp\":") + "." + p.signature),
            TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + enc("a string") + "." + p.signature), TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + p.payload + "." + p.signature + "AAA"), TokenStatus::Malformed);
  EXPECT_EQ(status(p.header + "." + p.payload + std::string(70000, 'A') + "." + p.signature),
            TokenStatus::Malformed);
  EXPECT_EQ(verifier.signatureChecks(), 0u);
  EXPECT_EQ(status(good), TokenStatus::Valid);  // the parts themselves were fine
}

// ---------------------------------------------------------------------------------------------

TEST(JwtVerifierCache, SecondVerifyIsAHitWithoutRsa) {
  std::string token = keyA().sign(claimsFor("alice", kNow + 3600));
  TokenVerifier verifier(keyA());
  VerifiedToken first = verifier.verify(token, kNow);
  ASSERT_EQ(first.status, TokenStatus::Valid);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
  EXPECT_EQ(verifier.cacheHits(), 0u);
  EXPECT_EQ(verifier.cached(), 1u);

  VerifiedToken second = verifier.verify(token, kNow + 1);
  ASSERT_EQ(second.status, TokenStatus::Valid);
  EXPECT_EQ(verifier.signatureChecks(), 1u);
  EXPECT_EQ(verifier.cacheHits(), 1u);
  EXPECT_EQ(second.claims, first.claims);  // the same shared claims object
}

TEST(JwtVerifierCache, CachedTokenPastItsExpIsExpired) {
  std::string token = keyA().sign(claimsFor("alice", kNow + 10));
  TokenVerifier verifier(keyA());
  ASSERT_EQ(verifier.verify(token, kNow).status, TokenStatus::Valid);
  EXPECT_EQ(verifier.verify(token, kNow + 9).status, TokenStatus::Valid);
  VerifiedToken late = verifier.verify(token, kNow + 10);
  EXPECT_EQ(late.status, TokenStatus::Expired);
  EXPECT_EQ(late.claims, nullptr);
  EXPECT_EQ(verifier.verify(token, kNow + 1000).status, TokenStatus::Expired);
  EXPECT_EQ(verifier.signatureChecks(), 1u);  // answered from the cache each time
}

TEST(JwtVerifierCache, RejectedTokensAreNotCached) {
  Parts p = split(keyA().sign(claimsFor("alice", kNow + 3600)));
  json payload = json::parse(*base64UrlDecode(p.payload));
  payload["sub"] = "admin";
  p.payload = enc(payload);
  TokenVerifier verifier(keyA());
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  EXPECT_EQ(verifier.verify(join(p), kNow).status, TokenStatus::BadSignature);
  EXPECT_EQ(verifier.signatureChecks(), 2u);
  EXPECT_EQ(verifier.cached(), 0u);
  EXPECT_EQ(verifier.cacheHits(), 0u);
}

TEST(JwtVerifierCache, CapacityBoundEvictsOldest) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 10; ++i)
    tokens.push_back(keyA().sign(claimsFor(std::to_string(i), kNow + 3600)));
  TokenVerifier verifier(keyA(), 4);
  for (const std::string& t : tokens) {
    ASSERT_EQ(verifier.verify(t, kNow).status, TokenStatus::Valid);
    EXPECT_LE(verifier.cached(), 4u);
  }
  EXPECT_EQ(verifier.signatureChecks(), 10u);
  // The newest is still cached, the oldest is not.
  verifier.verify(tokens[9], kNow);
  EXPECT_EQ(verifier.signatureChecks(), 10u);
  verifier.verify(tokens[0], kNow);
  EXPECT_EQ(verifier.signatureChecks(), 11u);
  EXPECT_LE(verifier.cached(), 4u);
}

TEST(JwtVerifierCache, EvictsExpiredBeforeOldest) {
  std::string shortLived = keyA().sign(claimsFor("short", kNow + 5));
  std::string b = keyA().sign(claimsFor("b", kNow + 3600));
  std::string c = keyA().sign(claimsFor("c", kNow + 3600));
  std::string d = keyA().sign(claimsFor("d", kNow + 3600));
  std::string e = keyA().sign(claimsFor("e", kNow + 3600));
  TokenVerifier verifier(keyA(), 4);
  // b is the oldest entry; the short-lived one came after it but has expired by the time e
  // needs room.
  for (const std::string* t : {&b, &shortLived, &c, &d}) {
    ASSERT_EQ(verifier.verify(*t, kNow).status, TokenStatus::Valid);
  }
  ASSERT_EQ(verifier.verify(e, kNow + 10).status, TokenStatus::Valid);
  EXPECT_EQ(verifier.cached(), 4u);
  uint64_t checks = verifier.signatureChecks();
  for (const std::string* t : {&b, &c, &d, &e}) {
    EXPECT_EQ(verifier.verify(*t, kNow + 10).status, TokenStatus::Valid);
  }
  EXPECT_EQ(verifier.signatureChecks(), checks);  // all four were hits
  EXPECT_EQ(verifier.verify(shortLived, kNow + 10).status, TokenStatus::Expired);
}

TEST(JwtVerifierCache, ZeroCapacityCachesNothing) {
  std::string token = keyA().sign(claimsFor("alice", kNow + 3600));
  TokenVerifier verifier(keyA(), 0);
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::Valid);
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::Valid);
  EXPECT_EQ(verifier.signatureChecks(), 2u);
  EXPECT_EQ(verifier.cached(), 0u);
}

// ---------------------------------------------------------------------------------------------

TEST(JwtKeyFile, LoadOrCreateWritesPrivateFileAndReloadsSameKey) {
  TempDir tmp;
  std::string dir = tmp.path() + "/state/keys";  // neither level exists yet
  std::string file = dir + "/token-signing-key.pem";
  SigningKey first = SigningKey::loadOrCreate(dir);
  EXPECT_EQ(modeOf(file), 0600u);
  EXPECT_EQ(modeOf(dir), 0700u);
  // Nothing but the key is left behind (no temporary file).
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1u);

  std::string token = first.sign(claimsFor("alice", kNow + 3600));
  SigningKey second = SigningKey::loadOrCreate(dir);
  EXPECT_EQ(second.kid(), first.kid());
  EXPECT_EQ(second.publicPem(), first.publicPem());
  TokenVerifier verifier(second);
  EXPECT_EQ(verifier.verify(token, kNow).status, TokenStatus::Valid);
}

TEST(JwtKeyFile, CorruptKeyFileThrowsNamingTheFile) {
  TempDir tmp;
  std::string file = tmp.path() + "/token-signing-key.pem";
  auto expectThrowNaming = [&](const char* what) {
    try {
      SigningKey::loadOrCreate(tmp.path());
      ADD_FAILURE() << what << ": no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << what << ": " << e.what();
    }
  };

  std::ofstream(file) << "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n";
  expectThrowNaming("garbage");

  // A valid PEM key that is not RSA.
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, ec, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY_free(ec);
  expectThrowNaming("EC key");

  // An RSA key too short to trust.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(1024));
  ASSERT_NE(small, nullptr);
  f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, small, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY_free(small);
  expectThrowNaming("1024-bit key");

  // The file was left as it was: a bad key is an operator's problem, not something to replace.
  EXPECT_TRUE(std::filesystem::exists(file));
}

// ---------------------------------------------------------------------------------------------

TEST(AuthPassword, HashRoundTripAndFormat) {
  Secret pw("correct horse battery staple");
  std::string encoded = hashPassword(pw, 1000);
  EXPECT_EQ(encoded.rfind("pbkdf2-sha256$1000$", 0), 0u) << encoded;
  std::string rest = encoded.substr(std::string("pbkdf2-sha256$1000$").size());
  size_t dollar = rest.find('$');
  ASSERT_NE(dollar, std::string::npos);
  EXPECT_EQ(base64UrlDecode(rest.substr(0, dollar))->size(), 16u);
  EXPECT_EQ(base64UrlDecode(rest.substr(dollar + 1))->size(), 32u);

  EXPECT_TRUE(verifyPassword(pw, encoded));
  EXPECT_FALSE(verifyPassword(Secret("correct horse battery stapl"), encoded));
  EXPECT_FALSE(verifyPassword(Secret("Correct horse battery staple"), encoded));
  EXPECT_FALSE(verifyPassword(Secret(""), encoded));
}

TEST(AuthPassword, KnownAnswer) {
  // PBKDF2-HMAC-SHA256("password", "salt", 1 iteration, 32 bytes), the widely published
  // vector: guards against encoding the right shape around the wrong function.
  std::string encoded = "pbkdf2-sha256$1$" + base64UrlEncode("salt") + "$" +
                        base64UrlEncode(std::string(
                            "\x12\x0f\xb6\xcf\xfc\xf8\xb3\x2c\x43\xe7\x22\x52\x56\xc4\xf8\x37"
                            "\xa8\x65\x48\xc9\x2c\xcc\x35\x48\x08\x05\x98\x7c\xb7\x0b\xe1\x7b",
                            32));
  EXPECT_TRUE(verifyPassword(Secret("password"), encoded));
  EXPECT_FALSE(verifyPassword(Secret("passwore"), encoded));
}

TEST(AuthPassword, SaltMakesHashesDiffer) {
  Secret pw("hunter2");
  std::string a = hashPassword(pw, 1000), b = hashPassword(pw, 1000);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verifyPassword(pw, a));
  EXPECT_TRUE(verifyPassword(pw, b));
}

TEST(AuthPassword, DefaultIterationsAreEncoded) {
  Secret pw("hunter2");
  std::string encoded = hashPassword(pw);
  EXPECT_EQ(encoded.rfind("pbkdf2-sha256$" + std::to_string(kDefaultPbkdf2Iterations) + "$", 0),
            0u);
  EXPECT_TRUE(verifyPassword(pw, encoded));
  EXPECT_THROW(hashPassword(pw, 0), std::invalid_argument);
}

TEST(AuthPassword, MalformedEncodingsVerifyFalse) {
  Secret pw("hunter2");
  std::string good = hashPassword(pw, 1000);
  ASSERT_TRUE(verifyPassword(pw, good));
  std::string rest = good.substr(std::string("pbkdf2-sha256$1000$").size());
  std::string salt = rest.substr(0, rest.find('$'));
  std::string key = rest.substr(rest.find('$') + 1);
  auto make = [](const std::string& prefix, const std::string& iters, const std::string& s,
                 const std::string& k) { return prefix + "$" + iters + "$" + s + "$" + k; };

  const std::string cases[] = {
      "",
      "pbkdf2-sha256$",
      "pbkdf2-sha256$1000$" + salt,
      make("pbkdf2-sha1", "1000", salt, key),
      make("PBKDF2-SHA256", "1000", salt, key),
      make("pbkdf2-sha256", "0", salt, key),
      make("pbkdf2-sha256", "-1000", salt, key),
      make("pbkdf2-sha256", "+1000", salt, key),
      make("pbkdf2-sha256", " 1000", salt, key),
      make("pbkdf2-sha256", "1e3", salt, key),
      make("pbkdf2-sha256", "", salt, key),
      make("pbkdf2-sha256", "10000001", salt, key),
      make("pbkdf2-sha256", "99999999999999999999", salt, key),
      make("pbkdf2-sha256", "1000", "", key),
      make("pbkdf2-sha256", "1000", "!!!!", key),
      make("pbkdf2-sha256", "1000", salt, key + "$"),
      make("pbkdf2-sha256", "1000", salt, key.substr(0, key.size() - 2)),  // 31-byte key
      make("pbkdf2-sha256", "1000", salt, key + "AA"),
      make("pbkdf2-sha256", "1000", salt, key + "*"),
      good + "$extra",
      " " + good,
  };
  for (const std::string& encoded : cases) {
    EXPECT_FALSE(verifyPassword(pw, encoded)) << encoded;
  }
  // A different iteration count or salt with the same key does not verify either.
  EXPECT_FALSE(verifyPassword(pw, make("pbkdf2-sha256", "1001", salt, key)));
  std::string otherSalt = salt;
  otherSalt[0] = otherSalt[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifyPassword(pw, make("pbkdf2-sha256", "1000", otherSalt, key)));
}

TEST(AuthPassword, RandomSecretIsRandomBase64Url) {
  Secret a = randomSecret(), b = randomSecret();
  EXPECT_EQ(a.reveal().size(), 32u);  // 24 bytes
  EXPECT_EQ(base64UrlDecode(a.reveal())->size(), 24u);
  EXPECT_FALSE(a == b);
  EXPECT_EQ(base64UrlDecode(randomSecret(5).reveal())->size(), 5u);
}

// ---------------------------------------------------------------------------------------------

TEST(AuthSecret, PrintsStarsNeverTheValue) {
  Secret s("s3cr3t-value");
  std::ostringstream os;
  os << "password=" << s;
  EXPECT_EQ(os.str(), "password=***");
  EXPECT_EQ(s.str(), "***");
  EXPECT_EQ(Secret().str(), "");
  EXPECT_EQ(s.reveal(), "s3cr3t-value");
  EXPECT_TRUE(s.equals("s3cr3t-value"));
  EXPECT_FALSE(s.equals("s3cr3t-valuf"));
  EXPECT_FALSE(s.equals("s3cr3t"));
  EXPECT_TRUE(s == Secret("s3cr3t-value"));
}

}  // namespace
}  // namespace foundry::auth
