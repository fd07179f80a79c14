// The TLS configuration's pieces without sockets: config keys and their checks, cipher-name
// translation, certificate names for SNI, ticket keys across rotation, the contexts' builds.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "router/config/config.h"
#include "router/tls/client_tls.h"
#include "router/tls/server_tls.h"
#include "router/tls/ticket_keys.h"
#include "tests/test_common/test_certs.h"

namespace foundry::router {
namespace {

using foundry::test::CertOptions;
using foundry::test::TestCa;
using foundry::test::TestCert;
using foundry::test::yamlBlock;


TEST(TlsConfigKeysTest, GorouterKeysAreReadWithDefaults) {
  Config c;
  std::string error;
  ASSERT_TRUE(loadConfigString("port: 8081\n", &c, &error)) << error;
  EXPECT_FALSE(c.enable_ssl);
  EXPECT_EQ(c.min_tls_version, "TLSv1.2");
  EXPECT_EQ(c.max_tls_version, "TLSv1.2");
  EXPECT_EQ(c.client_cert_validation, "request");
  EXPECT_EQ(c.forwarded_client_cert, "always_forward");

  TestCa ca("CA");
  TestCert cert = ca.issue(CertOptions{});
  const std::string yaml = "enable_ssl: true\ntls_port: 8443\nmax_tls_version: TLSv1.3\n"
                           "tls_pem:\n  - cert_chain: " + yamlBlock(cert.cert_pem, 6) +
                           "    private_key: " + yamlBlock(cert.key_pem, 6) +
                           "ca_certs: " + yamlBlock(ca.cert_pem(), 2) +
                           "forwarded_client_cert: sanitize_set\n"
                           "backends:\n  cert_chain: " + yamlBlock(cert.cert_pem, 4) +
                           "  private_key: " + yamlBlock(cert.key_pem, 4);
  ASSERT_TRUE(loadConfigString(yaml, &c, &error)) << error;
  EXPECT_TRUE(c.enable_ssl);
  EXPECT_EQ(c.ssl_port, 8443);
  EXPECT_EQ(c.max_tls_version, "TLSv1.3");
  ASSERT_EQ(c.tls_pem.size(), 1u);
  EXPECT_EQ(c.tls_pem[0].cert_chain, cert.cert_pem);
  EXPECT_EQ(c.tls_pem[0].private_key.reveal(), cert.key_pem);
  EXPECT_EQ(c.tls_pem[0].private_key.str(), "***");  // a key never prints
  ASSERT_EQ(c.ca_certs.size(), 1u);
  EXPECT_EQ(c.backends_tls.cert_chain, cert.cert_pem);
}

TEST(TlsConfigKeysTest, InconsistentSettingsAreRefusedWithTheKey) {
  struct Case {
    std::string yaml;
    std::string expected;
  } cases[] = {
      {"enable_ssl: true\n", "tls_pem"},
      {"disable_http: true\n", "disable_http"},
      {"max_tls_version: TLSv1.1\n", "max_tls_version"},
      {"client_cert_validation: sometimes\n", "client_cert_validation"},
      {"forwarded_client_cert: sanitize_set\nclient_cert_validation: none\n",
       "forwarded_client_cert"},
      {"tls_pem:\n  - cert_chain: x\n", "tls_pem[0]"},
  };
  for (const Case& c : cases) {
    Config config;
    std::string error;
    EXPECT_FALSE(loadConfigString(c.yaml, &config, &error)) << c.yaml;
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.yaml << " -> " << error;
  }
}

TEST(TlsCipherListTest, RfcNamesAreTranslatedAndUnknownOnesNamed) {
  std::string list, error;
  ASSERT_TRUE(tls::translateCipherList(
      "ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", &list, &error))
      << error;
  EXPECT_EQ(list, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_FALSE(tls::translateCipherList("ECDHE-RSA-AES128-GCM-SHA256:BOGUS", &list, &error));
  EXPECT_NE(error.find("'BOGUS'"), std::string::npos) << error;
}

TEST(TlsCertificateNamesTest, DnsSansElseCommonNameLowerCased) {
  TestCa ca("CA");
  auto names = [](const TestCert& cert) {
    BIO* bio = BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size()));
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    auto out = tls::ServerTls::certificateNames(x);
    X509_free(x);
    return out;
  };
  EXPECT_EQ(names(ca.issue({.common_name = "ignored", .dns = {"App.Example.com", "*.apps.test"}})),
            (std::vector<std::string>{"app.example.com", "*.apps.test"}));
  EXPECT_EQ(names(ca.issue({.common_name = "Only-CN.example.com"})),
            (std::vector<std::string>{"only-cn.example.com"}));
}

TEST(TlsContextsTest, BuildChecksEveryCertificateAndKey) {
  TestCa ca("CA");
  TestCert a = ca.issue({.common_name = "a", .dns = {"a.test"}});
  TestCert b = ca.issue({.common_name = "b", .dns = {"b.test"}});
  Config c;
  c.enable_ssl = true;
  c.tls_pem = {CertKeyPair{a.cert_pem, auth::Secret(a.key_pem)},
               CertKeyPair{b.cert_pem, auth::Secret(b.key_pem)}};
  std::string error;
  auto good = tls::ServerTls::build(c, false, nullptr, &error);
  ASSERT_NE(good, nullptr) << error;
  SSL* ssl = good->newConnection();
  ASSERT_NE(ssl, nullptr);
  SSL_free(ssl);
  c.tls_pem[1].private_key = auth::Secret(a.key_pem);  // b's certificate with a's key
  EXPECT_EQ(tls::ServerTls::build(c, false, nullptr, &error), nullptr);
  EXPECT_NE(error.find("tls_pem[1].private_key"), std::string::npos) << error;
  // The error never quotes the key.
  EXPECT_EQ(error.find("PRIVATE KEY"), std::string::npos);

  Config backends;
  backends.ca_certs = {"not a pem"};
  EXPECT_EQ(tls::ClientTls::forBackends(backends, &error), nullptr);
  EXPECT_NE(error.find("ca_certs[0]"), std::string::npos) << error;
}

// Seals a ticket key choice and opens it again, as OpenSSL's callback would.
struct TicketProbe {
  unsigned char name[16];
  unsigned char iv[EVP_MAX_IV_LENGTH];
  int seal(tls::TicketKeys& keys) {
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* m = EVP_MAC_CTX_new(mac);
    int r = keys.seal(name, iv, c, m);
    EVP_MAC_CTX_free(m);
    EVP_MAC_free(mac);
    EVP_CIPHER_CTX_free(c);
    return r;
  }
  int open(tls::TicketKeys& keys) {
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* m = EVP_MAC_CTX_new(mac);
    int r = keys.open(name, iv, c, m);
    EVP_MAC_CTX_free(m);
    EVP_MAC_free(mac);
    EVP_CIPHER_CTX_free(c);
    return r;
  }
};

TEST(TicketKeysTest, CurrentKeyOpensPreviousKeyRenewsUnknownKeyIsRefused) {
  tls::TicketKeys keys(/*rotation_ns=*/200'000'000);  // 200 ms
  TicketProbe first;
  ASSERT_EQ(first.seal(keys), 1);
  EXPECT_EQ(first.open(keys), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  TicketProbe second;
  ASSERT_EQ(second.seal(keys), 1);  // rotates: `first` was sealed with the previous key
  EXPECT_NE(std::memcmp(first.name, second.name, sizeof first.name), 0);
  EXPECT_EQ(first.open(keys), 2);  // still opens, and asks for a new ticket
  EXPECT_EQ(second.open(keys), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  TicketProbe third;
  ASSERT_EQ(third.seal(keys), 1);  // rotates again: `first`'s key is gone
  EXPECT_EQ(first.open(keys), 0);
  TicketProbe stranger = first;
  stranger.name[0] ^= 0xff;
  EXPECT_EQ(stranger.open(keys), 0);
}

}  // namespace
}  // namespace foundry::router
