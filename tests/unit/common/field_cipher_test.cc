// FieldCipher: AES-256-GCM sealing of secrets at rest, key labels and rotation, tamper checks.
#include "common/crypto/field_cipher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace foundry::crypto {
namespace {

std::map<std::string, auth::Secret> keys(std::initializer_list<std::pair<std::string, char>> ks) {
  std::map<std::string, auth::Secret> out;
  for (const auto& [label, fill] : ks) out.emplace(label, auth::Secret(std::string(32, fill)));
  return out;
}

TEST(FieldCipherTest, SealsAndOpens) {
  FieldCipher c(keys({{"k1", 'a'}}), "k1");
  const std::string sealed = c.seal(R"({"password":"hunter2"})");
  EXPECT_EQ(sealed.rfind("enc:v1:k1:", 0), 0u);
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_EQ(c.open(sealed).reveal(), R"({"password":"hunter2"})");
  EXPECT_NE(c.seal("same"), c.seal("same")) << "a fresh nonce every time";
  EXPECT_EQ(c.open(c.seal("")).reveal(), "");
}

TEST(FieldCipherTest, RefusesTamperingWrongKeysAndMovedLabels) {
  FieldCipher c(keys({{"k1", 'a'}, {"k2", 'b'}}), "k1");
  std::string sealed = c.seal("secret");
  std::string flipped = sealed;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_THROW(c.open(flipped), CipherError);
  // Same payload under another label: the label is authenticated data.
  std::string moved = "enc:v1:k2:" + sealed.substr(std::string("enc:v1:k1:").size());
  EXPECT_THROW(c.open(moved), CipherError);
  EXPECT_THROW(c.open("enc:v1:unknown:AAAA"), CipherError);
  EXPECT_THROW(c.open("plaintext"), CipherError);
  EXPECT_THROW(c.open("enc:v1:k1:"), CipherError);
  EXPECT_THROW(FieldCipher(keys({{"k1", 'a'}}), "k9"), CipherError);
  EXPECT_THROW(FieldCipher({{"short", auth::Secret("16-bytes-only!!!")}}, "short"), CipherError);
}

TEST(FieldCipherTest, RotationOpensOldValuesAndFlagsThem) {
  FieldCipher before(keys({{"k1", 'a'}}), "k1");
  const std::string old_value = before.seal("rotate me");
  FieldCipher after(keys({{"k1", 'a'}, {"k2", 'b'}}), "k2");
  EXPECT_TRUE(after.needsRotation(old_value));
  EXPECT_EQ(after.open(old_value).reveal(), "rotate me");
  const std::string resealed = after.seal(after.open(old_value).reveal());
  EXPECT_FALSE(after.needsRotation(resealed));
  EXPECT_EQ(resealed.rfind("enc:v1:k2:", 0), 0u);
}

TEST(FieldCipherTest, KeyFileIsCreatedPrivateAndReused) {
  char tmpl[] = "/tmp/cipher-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  const std::string path = std::string(tmpl) + "/keys.json";
  const std::string sealed = FieldCipher::fromKeyFile(path).seal("kept");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(FieldCipher::fromKeyFile(path).open(sealed).reveal(), "kept");
  std::ofstream(path) << "{\"current\":\"x\"}";
  EXPECT_THROW(FieldCipher::fromKeyFile(path), CipherError);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace foundry::crypto
