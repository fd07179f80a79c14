// Route-service signatures (router/routeservice/signature.h): gorouter's layout byte for byte.
// The fixed vector's expected values were computed outside this code base: the key with
// Python's hashlib.pbkdf2_hmac (and `openssl kdf ... PBKDF2`, which agrees), the AES-GCM seal
// with the `cryptography` package, the JSON by hand in Go's encoding.

#include "router/routeservice/signature.h"

#include <gtest/gtest.h>

#include "router/routeservice/padded_base64.h"
#include "router/routeservice/rfc3339_time.h"
#include "router/routeservice/route_service_config.h"

namespace foundry::router {
namespace {

std::string fromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string toHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

SignatureNonce countingNonce() {
  SignatureNonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i);
  return nonce;
}

constexpr int64_t kRequestedNs = 1704164645123456780;  // 2024-01-02T03:04:05.12345678Z

TEST(SignatureTest, SealLayoutIsCiphertextThenTag) {
  // The GCM specification's test case 3 (AES-128, 96-bit IV, no additional data).
  SignatureKey key = SignatureKey::fromRawKey(fromHex("feffe9928665731c6d6a8f9467308308"));
  SignatureNonce iv;
  const std::string iv_bytes = fromHex("cafebabefacedbaddecaf888");
  std::copy(iv_bytes.begin(), iv_bytes.end(), iv.begin());
  const std::string plaintext = fromHex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
      "49a6b525b16aedf5aa0de657ba637b391aafd255");
  EXPECT_EQ(toHex(key.seal(plaintext, iv)),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f"
            "6a5aac84aa051ba30b396a0aac973d58e091473f5985"
            "4d5c2af327cd64a62cf35abd2ba6fab4");
}

TEST(SignatureTest, FixedVectorMatchesAnIndependentComputation) {
  SignatureKey key = SignatureKey::derive(auth::Secret("my-route-service-secret"));
  SignatureContents contents{"https://app.example.com/path?x=1&y=<2>", kRequestedNs};
  SignatureHeaders headers = buildSignatureHeaders(key, contents, countingNonce());
  EXPECT_EQ(headers.signature,
            "21b6GE99u7Kz3gHW-4BffXXqRApOJlu60iWxLUc-5svv2xpu-30QPnUHqci_pBtLx38B3Ls4m9m4N9kJI0Z2"
            "JaFJKdl3kuvRVt5GXfDHmUr8Cb1dzK0N38b1QSL8E0OJfUw21s2DqiaE2X8YfSCinYztchQY7bRfb0Q-eLvh"
            "DisfuISSRhyraKFm");
  EXPECT_EQ(headers.metadata, "eyJub25jZSI6IkFBRUNBd1FGQmdjSUNRb0wifQ==");

  SignatureContents back;
  std::string error;
  ASSERT_TRUE(readSignatureHeaders(key, headers.signature, headers.metadata, &back, &error))
      << error;
  EXPECT_EQ(back.forwarded_url, contents.forwarded_url);
  EXPECT_EQ(back.requested_time_ns, kRequestedNs);
}

TEST(SignatureTest, RoundTripWithRandomNonces) {
  SignatureKey key = SignatureKey::derive(auth::Secret("s3cret"));
  SignatureNonce n1, n2;
  ASSERT_TRUE(randomSignatureNonce(&n1));
  ASSERT_TRUE(randomSignatureNonce(&n2));
  EXPECT_NE(n1, n2);
  SignatureContents contents{"http://app.example.com/", kRequestedNs};
  SignatureHeaders a = buildSignatureHeaders(key, contents, n1);
  SignatureHeaders b = buildSignatureHeaders(key, contents, n2);
  EXPECT_NE(a.signature, b.signature);  // a fresh nonce per request
  for (const SignatureHeaders& h : {a, b}) {
    SignatureContents back;
    std::string error;
    ASSERT_TRUE(readSignatureHeaders(key, h.signature, h.metadata, &back, &error)) << error;
    EXPECT_EQ(back.forwarded_url, "http://app.example.com/");
  }
}

TEST(SignatureTest, TamperingIsRefused) {
  SignatureKey key = SignatureKey::derive(auth::Secret("s3cret"));
  SignatureHeaders h =
      buildSignatureHeaders(key, {"https://app.example.com/", kRequestedNs}, countingNonce());
  SignatureContents out;
  std::string error;
  // One flipped bit anywhere in the ciphertext or the tag.
  std::string sealed = *base64PaddedDecode(h.signature, Base64Alphabet::Url);
  for (size_t i = 0; i < sealed.size(); i += 7) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(readSignatureHeaders(key, base64PaddedEncode(bad, Base64Alphabet::Url),
                                      h.metadata, &out, &error))
        << "byte " << i;
  }
  EXPECT_EQ(error, "cipher: message authentication failed");
  // Another nonce in the metadata.
  SignatureNonce other = countingNonce();
  other[0] ^= 0x80;
  std::string meta = "{\"nonce\":\"" +
                     base64PaddedEncode(std::string(other.begin(), other.end()),
                                        Base64Alphabet::Standard) +
                     "\"}";
  EXPECT_FALSE(readSignatureHeaders(key, h.signature,
                                    base64PaddedEncode(meta, Base64Alphabet::Url), &out, &error));
  // Malformed headers.
  EXPECT_FALSE(readSignatureHeaders(key, h.signature, "", &out, &error));
  EXPECT_EQ(error, "No metadata found");
  EXPECT_FALSE(readSignatureHeaders(key, h.signature, "not base64!", &out, &error));
  EXPECT_FALSE(readSignatureHeaders(key, h.signature,
                                    base64PaddedEncode("{\"nonce\":1}", Base64Alphabet::Url),
                                    &out, &error));
  EXPECT_FALSE(readSignatureHeaders(key, h.signature,
                                    base64PaddedEncode("[]", Base64Alphabet::Url), &out, &error));
  EXPECT_FALSE(readSignatureHeaders(key, "", h.metadata, &out, &error));
  EXPECT_FALSE(readSignatureHeaders(key, h.signature.substr(1), h.metadata, &out, &error));
  // Unpadded base64url (gorouter's decoder wants the padding too).
  std::string unpadded = h.metadata;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
  ASSERT_NE(unpadded, h.metadata);
  EXPECT_FALSE(readSignatureHeaders(key, h.signature, unpadded, &out, &error));
}

TEST(SignatureTest, WrongKeyIsRefused) {
  SignatureKey key = SignatureKey::derive(auth::Secret("s3cret"));
  SignatureKey other = SignatureKey::derive(auth::Secret("s3cret2"));
  SignatureHeaders h =
      buildSignatureHeaders(key, {"https://app.example.com/", kRequestedNs}, countingNonce());
  SignatureContents out;
  std::string error;
  EXPECT_FALSE(readSignatureHeaders(other, h.signature, h.metadata, &out, &error));
  EXPECT_TRUE(readSignatureHeaders(key, h.signature, h.metadata, &out, &error));
}

TEST(SignatureTest, GoJsonStringEscaping) {
  auto go = [](std::string_view s) {
    std::string out;
    appendGoJsonString(s, &out);
    return out;
  };
  EXPECT_EQ(go("plain/path?a=b"), "\"plain/path?a=b\"");
  EXPECT_EQ(go("a&b<c>d"), "\"a\\u0026b\\u003cc\\u003ed\"");
  EXPECT_EQ(go("q\"\\\n\r\t"), "\"q\\\"\\\\\\n\\r\\t\"");
  EXPECT_EQ(go(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(go("caf\xc3\xa9"), "\"caf\xc3\xa9\"");             // valid UTF-8 kept
  EXPECT_EQ(go("\xe2\x80\xa8"), "\"\\u2028\"");                 // U+2028 escaped
  EXPECT_EQ(go("bad\xff"), "\"bad\\ufffd\"");                   // invalid UTF-8 replaced
  EXPECT_EQ(go("\xc0\xaf"), "\"\\ufffd\\ufffd\"");              // overlong
}

TEST(Rfc3339Test, FormatsLikeGo) {
  EXPECT_EQ(formatRfc3339Nano(kRequestedNs), "2024-01-02T03:04:05.12345678Z");
  EXPECT_EQ(formatRfc3339Nano(1704164645000000000), "2024-01-02T03:04:05Z");
  EXPECT_EQ(formatRfc3339Nano(1704164645000000001), "2024-01-02T03:04:05.000000001Z");
  EXPECT_EQ(formatRfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339Nano(951782400500000000), "2000-02-29T00:00:00.5Z");
}

TEST(Rfc3339Test, Parses) {
  int64_t ns = 0;
  ASSERT_TRUE(parseRfc3339("2024-01-02T03:04:05.12345678Z", &ns));
  EXPECT_EQ(ns, kRequestedNs);
  ASSERT_TRUE(parseRfc3339("2024-01-02T04:04:05.12345678+01:00", &ns));  // Go writes local time
  EXPECT_EQ(ns, kRequestedNs);
  ASSERT_TRUE(parseRfc3339("2024-01-01T21:34:05.12345678-05:30", &ns));
  EXPECT_EQ(ns, kRequestedNs);
  ASSERT_TRUE(parseRfc3339("2000-02-29T00:00:00Z", &ns));
  EXPECT_EQ(ns, 951782400000000000);
  for (const char* bad : {"", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z",
                          "2023-02-29T00:00:00Z", "2024-01-02T24:00:00Z",
                          "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.1234567891Z",
                          "2024-01-02T03:04:05Zjunk", "9999-01-01T00:00:00Z",
                          "2024-01-02 03:04:05Z"}) {
    EXPECT_FALSE(parseRfc3339(bad, &ns)) << bad;
  }
}

TEST(PaddedBase64Test, BothAlphabetsWithPadding) {
  EXPECT_EQ(base64PaddedEncode("", Base64Alphabet::Url), "");
  EXPECT_EQ(base64PaddedEncode("f", Base64Alphabet::Url), "Zg==");
  EXPECT_EQ(base64PaddedEncode("fo", Base64Alphabet::Url), "Zm8=");
  EXPECT_EQ(base64PaddedEncode("foo", Base64Alphabet::Url), "Zm9v");
  EXPECT_EQ(base64PaddedEncode("\xfb\xff", Base64Alphabet::Url), "-_8=");
  EXPECT_EQ(base64PaddedEncode("\xfb\xff", Base64Alphabet::Standard), "+/8=");
  EXPECT_EQ(*base64PaddedDecode("-_8=", Base64Alphabet::Url), "\xfb\xff");
  EXPECT_EQ(*base64PaddedDecode("+/8=", Base64Alphabet::Standard), "\xfb\xff");
  EXPECT_FALSE(base64PaddedDecode("+/8=", Base64Alphabet::Url));
  EXPECT_FALSE(base64PaddedDecode("-_8=", Base64Alphabet::Standard));
  EXPECT_FALSE(base64PaddedDecode("Zg", Base64Alphabet::Url));
  EXPECT_FALSE(base64PaddedDecode("Z===", Base64Alphabet::Url));
  EXPECT_FALSE(base64PaddedDecode("Zg==Zg==", Base64Alphabet::Url));
  EXPECT_FALSE(base64PaddedDecode("Zm=v", Base64Alphabet::Url));
}

Config routeServiceConfig(const std::string& secret, const std::string& previous = "") {
  Config c;
  c.route_services_secret = auth::Secret(secret);
  c.route_services_secret_decrypt_only = auth::Secret(previous);
  c.route_services_timeout_ns = 60'000'000'000;
  return c;
}

TEST(RouteServiceConfigTest, DisabledWithoutASecret) {
  RouteServiceConfig rs{Config{}};
  EXPECT_FALSE(rs.enabled());
  SignatureHeaders h;
  EXPECT_FALSE(rs.sign("https://a/", kRequestedNs, &h));
  SignatureContents out;
  std::string error;
  EXPECT_EQ(rs.validate("x", "y", kRequestedNs, &out, &error),
            RouteServiceConfig::Verdict::Invalid);
}

TEST(RouteServiceConfigTest, ValidatesAndExpires) {
  RouteServiceConfig rs(routeServiceConfig("current"));
  ASSERT_TRUE(rs.enabled());
  SignatureHeaders h;
  ASSERT_TRUE(rs.sign("https://app.example.com/x", kRequestedNs, &h));
  SignatureContents out;
  std::string error;
  EXPECT_EQ(rs.validate(h.signature, h.metadata, kRequestedNs + 60'000'000'000, &out, &error),
            RouteServiceConfig::Verdict::Valid);
  EXPECT_EQ(out.forwarded_url, "https://app.example.com/x");
  EXPECT_EQ(rs.validate(h.signature, h.metadata, kRequestedNs + 60'000'000'001, &out, &error),
            RouteServiceConfig::Verdict::Expired);
  EXPECT_EQ(error, "route service request expired");
  EXPECT_EQ(rs.validate(h.signature + "A", h.metadata, kRequestedNs, &out, &error),
            RouteServiceConfig::Verdict::Invalid);
}

TEST(RouteServiceConfigTest, DecryptOnlyKeyValidatesButNeverSigns) {
  RouteServiceConfig before(routeServiceConfig("old"));
  RouteServiceConfig rotated(routeServiceConfig("new", "old"));
  RouteServiceConfig rotated_away(routeServiceConfig("new"));
  SignatureHeaders old_sig;
  ASSERT_TRUE(before.sign("https://app.example.com/", kRequestedNs, &old_sig));
  SignatureContents out;
  std::string error;
  EXPECT_EQ(rotated.validate(old_sig.signature, old_sig.metadata, kRequestedNs, &out, &error),
            RouteServiceConfig::Verdict::Valid);
  EXPECT_EQ(rotated_away.validate(old_sig.signature, old_sig.metadata, kRequestedNs, &out,
                                  &error),
            RouteServiceConfig::Verdict::Invalid);
  // New signatures use the current key: the old-only router cannot read them.
  SignatureHeaders new_sig;
  ASSERT_TRUE(rotated.sign("https://app.example.com/", kRequestedNs, &new_sig));
  EXPECT_EQ(before.validate(new_sig.signature, new_sig.metadata, kRequestedNs, &out, &error),
            RouteServiceConfig::Verdict::Invalid);
  EXPECT_EQ(rotated_away.validate(new_sig.signature, new_sig.metadata, kRequestedNs, &out,
                                  &error),
            RouteServiceConfig::Verdict::Valid);
}

}  // namespace
}  // namespace foundry::router
