// The router's TLS listener (ROUTER-PROTOCOL.md 6.2, 6.3, 8.1) with certificates made by the
// test: SNI, versions, client certificates, X-Forwarded-Client-Cert, resumption, ALPN.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

class TlsFrontendTest : public RouterFixture {
 protected:
  TlsFrontendTest()
      : ca_("Frontend CA"),
        client_ca_("Client CA"),
        other_ca_("Untrusted CA"),
        default_cert_(ca_.issue({.common_name = "default", .dns = {"default.example.com"}})),
        exact_cert_(ca_.issue({.common_name = "exact", .dns = {"app.apps.test"}})),
        wildcard_cert_(ca_.issue({.common_name = "wild", .dns = {"*.apps.test"}})),
        client_cert_(client_ca_.issue({.common_name = "client-1", .client = true})),
        rogue_client_(other_ca_.issue({.common_name = "rogue", .client = true})),
        tls_port_(freeTcpPort()) {}

  void configure(RouterOptions& options) override {
    std::string yaml = "enable_ssl: true\nssl_port: " + std::to_string(tls_port_) + "\n";
    yaml += "tls_pem:\n";
    // The default first, then a wildcard listed before the exact name: SNI must still prefer
    // the exact one.
    for (const TestCert* c : {&default_cert_, &wildcard_cert_, &exact_cert_}) {
      yaml += "  - cert_chain: " + yamlBlock(c->cert_pem, 6);
      yaml += "    private_key: " + yamlBlock(c->key_pem, 6);
    }
    yaml += "client_ca_certs: " + yamlBlock(client_ca_.cert_pem(), 2);
    yaml += "only_trust_client_ca_certs: true\n";
    yaml += extra_yaml_;
    options.extra_yaml = yaml;
    options.workers = workers_;
  }

  TlsClientOptions client(const std::string& sni) const {
    TlsClientOptions o;
    o.sni = sni;
    o.ca_pem = ca_.cert_pem();
    return o;
  }

  TestCa ca_, client_ca_, other_ca_;
  TestCert default_cert_, exact_cert_, wildcard_cert_, client_cert_, rogue_client_;
  uint16_t tls_port_;
  std::string extra_yaml_;
  int workers_ = 1;
};

TEST_F(TlsFrontendTest, SniPicksExactThenWildcardThenDefault) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  struct Case {
    std::string sni;
    std::string expected_cn;
  } cases[] = {{"app.apps.test", "exact"},
               {"other.apps.test", "wild"},
               {"deep.other.apps.test", "default"},  // a wildcard covers one label only
               {"unknown.example.org", "default"},
               {"", "default"}};
  for (const Case& c : cases) {
    TlsClientRelay tls(tls_port_, client(c.sni));
    HttpClient http(tls.port());
    auto r = http.get("app.apps.test");
    ASSERT_TRUE(r) << c.sni << ": " << http.lastError() << " " << tls.last().error;
    EXPECT_EQ(r->status, 200) << c.sni;
    EXPECT_EQ(tls.last().peer_cn, c.expected_cn) << "SNI '" << c.sni << "'";
  }
}

TEST_F(TlsFrontendTest, ProxiesWithHttpsSchemeAndPlainPortStillServes) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientRelay tls(tls_port_, client("app.apps.test"));
  HttpClient http(tls.port());
  for (int i = 0; i < 3; ++i) {  // keep-alive over one TLS connection
    auto r = http.get("app.apps.test", "/x");
    ASSERT_TRUE(r) << http.lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "backend a");
  }
  EXPECT_EQ(tls.handshakes().size(), 1u);
  EXPECT_EQ(tls.last().version, "TLSv1.2");  // max_tls_version defaults to TLSv1.2 (8.1)
  ASSERT_TRUE(a.lastRequest());
  EXPECT_EQ(a.lastRequest()->header("X-Forwarded-Proto").value_or(""), "https");
  auto plain = httpGet(port(), "app.apps.test", "/");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(a.lastRequest()->header("X-Forwarded-Proto").value_or(""), "http");
}

TEST_F(TlsFrontendTest, Tls13OnlyClientIsRefusedByDefault) {
  TlsClientOptions o = client("app.apps.test");
  o.min_version = "TLSv1.3";
  TlsClientRelay tls(tls_port_, o);
  HttpClient http(tls.port());
  EXPECT_FALSE(http.get("app.apps.test"));
  EXPECT_FALSE(tls.last().ok);
  EXPECT_NE(tls.last().error, "");
  // The router is fine afterwards.
  TlsClientRelay good(tls_port_, client("app.apps.test"));
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  HttpClient http2(good.port());
  auto r = http2.get("app.apps.test");
  ASSERT_TRUE(r) << good.last().error;
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsFrontendTest, UntrustedClientCertificateFailsEvenInRequestMode) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientOptions o = client("app.apps.test");
  o.client_cert = &rogue_client_;
  TlsClientRelay rogue(tls_port_, o);
  HttpClient http(rogue.port());
  EXPECT_FALSE(http.get("app.apps.test"));
  EXPECT_EQ(a.requestCount(), 0u);
  // No certificate at all is fine in request mode; a trusted one too.
  TlsClientRelay none(tls_port_, client("app.apps.test"));
  HttpClient h1(none.port());
  auto r1 = h1.get("app.apps.test");
  ASSERT_TRUE(r1) << none.last().error;
  EXPECT_EQ(r1->status, 200);
  o.client_cert = &client_cert_;
  TlsClientRelay good(tls_port_, o);
  HttpClient h2(good.port());
  auto r2 = h2.get("app.apps.test");
  ASSERT_TRUE(r2) << good.last().error;
  EXPECT_EQ(r2->status, 200);
}

TEST_F(TlsFrontendTest, AlwaysForwardPassesTheClientsXfccUntouched) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientOptions o = client("app.apps.test");
  o.client_cert = &client_cert_;
  TlsClientRelay tls(tls_port_, o);
  HttpClient http(tls.port());
  auto r = http.request(
      "GET / HTTP/1.1\r\nHost: app.apps.test\r\nX-Forwarded-Client-Cert: from-client\r\n\r\n");
  ASSERT_TRUE(r) << http.lastError();
  ASSERT_TRUE(a.lastRequest());
  EXPECT_EQ(a.lastRequest()->header("X-Forwarded-Client-Cert").value_or(""), "from-client");
}

TEST_F(TlsFrontendTest, Tls12SessionsResumeAcrossWorkersWithTickets) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientOptions o = client("app.apps.test");
  o.resume = true;
  TlsClientRelay tls(tls_port_, o);
  for (int i = 0; i < 6; ++i) {
    HttpClient http(tls.port());
    auto r = http.get("app.apps.test");
    ASSERT_TRUE(r) << tls.last().error;
    EXPECT_EQ(r->status, 200);
  }
  auto all = tls.handshakes();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_FALSE(all[0].resumed);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_TRUE(all[i].resumed) << "connection " << i;
}

TEST_F(TlsFrontendTest, AlpnChoosesHttp11AndIgnoresUnknownProtocols) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientOptions o = client("app.apps.test");
  o.alpn = {"http/1.1"};
  TlsClientRelay h1(tls_port_, o);
  HttpClient http(h1.port());
  ASSERT_TRUE(http.get("app.apps.test")) << h1.last().error;
  EXPECT_EQ(h1.last().alpn, "http/1.1");
  o.alpn = {"spdy/3"};
  TlsClientRelay other(tls_port_, o);
  HttpClient http2(other.port());
  ASSERT_TRUE(http2.get("app.apps.test")) << other.last().error;
  EXPECT_EQ(other.last().alpn, "");
}

class TlsFrontendTwoWorkersTest : public TlsFrontendTest {
 protected:
  TlsFrontendTwoWorkersTest() {
    workers_ = 2;
    extra_yaml_ = "max_tls_version: TLSv1.3\n";
  }
};

TEST_F(TlsFrontendTwoWorkersTest, Tls13TicketsResumeOnEitherWorker) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientOptions o = client("app.apps.test");
  o.resume = true;
  TlsClientRelay tls(tls_port_, o);
  for (int i = 0; i < 8; ++i) {
    HttpClient http(tls.port());
    auto r = http.get("app.apps.test");
    ASSERT_TRUE(r) << tls.last().error;
  }
  auto all = tls.handshakes();
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0].version, "TLSv1.3");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_TRUE(all[i].resumed) << "connection " << i;
}

class XfccSanitizeSetTest : public TlsFrontendTest {
 protected:
  XfccSanitizeSetTest() { extra_yaml_ = "forwarded_client_cert: sanitize_set\n"; }
};

TEST_F(XfccSanitizeSetTest, SetsTheLeafCertificateAndDropsTheClientsValue) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  const std::string request =
      "GET / HTTP/1.1\r\nHost: app.apps.test\r\nX-Forwarded-Client-Cert: forged\r\n\r\n";
  TlsClientOptions o = client("app.apps.test");
  o.client_cert = &client_cert_;
  TlsClientRelay with_cert(tls_port_, o);
  HttpClient h1(with_cert.port());
  ASSERT_TRUE(h1.request(request)) << with_cert.last().error;
  EXPECT_EQ(a.lastRequest()->headerValues("X-Forwarded-Client-Cert"),
            std::vector<std::string>{client_cert_.der_base64});
  TlsClientRelay without(tls_port_, client("app.apps.test"));
  HttpClient h2(without.port());
  ASSERT_TRUE(h2.request(request));
  EXPECT_FALSE(a.lastRequest()->hasHeader("X-Forwarded-Client-Cert"));
  HttpClient plain(port());
  ASSERT_TRUE(plain.request(request));
  EXPECT_FALSE(a.lastRequest()->hasHeader("X-Forwarded-Client-Cert"));
}

class XfccForwardTest : public TlsFrontendTest {
 protected:
  XfccForwardTest() { extra_yaml_ = "forwarded_client_cert: forward\n"; }
};

TEST_F(XfccForwardTest, KeepsTheClientsValueOnlyWithACertificate) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  const std::string request =
      "GET / HTTP/1.1\r\nHost: app.apps.test\r\nX-Forwarded-Client-Cert: from-lb\r\n\r\n";
  TlsClientOptions o = client("app.apps.test");
  o.client_cert = &client_cert_;
  TlsClientRelay with_cert(tls_port_, o);
  HttpClient h1(with_cert.port());
  ASSERT_TRUE(h1.request(request)) << with_cert.last().error;
  EXPECT_EQ(a.lastRequest()->header("X-Forwarded-Client-Cert").value_or(""), "from-lb");
  TlsClientRelay without(tls_port_, client("app.apps.test"));
  HttpClient h2(without.port());
  ASSERT_TRUE(h2.request(request));
  EXPECT_FALSE(a.lastRequest()->hasHeader("X-Forwarded-Client-Cert"));
}

class RequireClientCertTest : public TlsFrontendTest {
 protected:
  RequireClientCertTest() { extra_yaml_ = "client_cert_validation: require\n"; }
};

TEST_F(RequireClientCertTest, ConnectionsWithoutACertificateAreRefused) {
  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientRelay none(tls_port_, client("app.apps.test"));
  HttpClient h1(none.port());
  EXPECT_FALSE(h1.get("app.apps.test"));
  EXPECT_EQ(a.requestCount(), 0u);
  TlsClientOptions o = client("app.apps.test");
  o.client_cert = &client_cert_;
  TlsClientRelay with_cert(tls_port_, o);
  HttpClient h2(with_cert.port());
  auto r = h2.get("app.apps.test");
  ASSERT_TRUE(r) << with_cert.last().error;
  EXPECT_EQ(r->status, 200);
}

TEST(TlsConfigTest, BadCertificateOrKeyStopsStartUpNamingTheKey) {
  NatsServer nats;
  ASSERT_TRUE(nats.start());
  TestCa ca("CA");
  TestCert a = ca.issue({.common_name = "a"});
  TestCert b = ca.issue({.common_name = "b"});
  struct Case {
    std::string yaml;
    std::string expected;
  } cases[] = {
      {"tls_pem:\n  - cert_chain: not a pem\n    private_key: " + yamlBlock(a.key_pem, 6),
       "tls_pem[0].cert_chain"},
      {"tls_pem:\n  - cert_chain: " + yamlBlock(a.cert_pem, 6) +
           "    private_key: " + yamlBlock(b.key_pem, 6),
       "tls_pem[0].private_key': does not match"},
      {"tls_pem: []\n", "tls_pem"},
      {"tls_pem:\n  - cert_chain: " + yamlBlock(a.cert_pem, 6) + "    private_key: " +
           yamlBlock(a.key_pem, 6) + "cipher_suites: NOT-A-CIPHER\n",
       "unknown cipher suite 'NOT-A-CIPHER'"},
  };
  for (const Case& c : cases) {
    RouterOptions options;
    options.nats_port = nats.port();
    options.extra_yaml = "enable_ssl: true\nssl_port: " + std::to_string(freeTcpPort()) + "\n" + c.yaml;
    RouterProcess router(nats, options);
    ASSERT_TRUE(router.start());
    auto status = router.waitExit(std::chrono::seconds(10));
    ASSERT_TRUE(status) << router.logs();
    EXPECT_NE(*status, 0);
    EXPECT_NE(router.logs().find(c.expected), std::string::npos) << router.logs();
    // The private key never reaches the log.
    EXPECT_EQ(router.logs().find("PRIVATE KEY"), std::string::npos);
  }
}

// tls_handshake_timeout: a connection that does not finish its handshake in time is closed;
// once the handshake is done, the first head has the (longer) read_header_timeout.
class TlsHandshakeTimeoutTest : public TlsFrontendTest {
 protected:
  TlsHandshakeTimeoutTest() { extra_yaml_ = "tls_handshake_timeout: 300ms\n"; }
};

TEST_F(TlsHandshakeTimeoutTest, StalledHandshakeIsCutAndAFinishedOneWaitsForItsHead) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(tls_port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);  // a ClientHello's first bytes
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);  // closed by the router
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  ::close(fd);

  FakeBackend a("a");
  addRoute("app.apps.test", a.port());
  TlsClientRelay tls(tls_port_, client("app.apps.test"));
  HttpClient http(tls.port());
  ASSERT_TRUE(http.connect(std::chrono::milliseconds(1000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // past the handshake timeout
  auto r = http.get("app.apps.test");
  ASSERT_TRUE(r) << http.lastError() << " " << tls.last().error;
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace foundry::test
