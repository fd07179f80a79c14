// The TLS listener with the router's other edge features: a SIGHUP reload that replaces the
// certificates (new connections get the new one, tickets issued before still resume, a broken
// certificate is refused with the old one kept serving, ssl_port moves), and a PROXY protocol
// header in front of the TLS handshake (enable_proxy on the TLS port, as behind an AWS NLB).

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class TlsReloadTest : public RouterFixture {
 protected:
  TlsReloadTest()
      : ca_("Reload CA"),
        first_(ca_.issue({.common_name = "first", .dns = {"app.example.com"}})),
        second_(ca_.issue({.common_name = "second", .dns = {"app.example.com"}})),
        tls_port_(freeTcpPort()) {}

  // The TLS part of the config: `cert` on `ssl_port`, the PROXY protocol on.
  std::string tlsYaml(const TestCert& cert, uint16_t ssl_port) const {
    return "enable_proxy: true\nenable_ssl: true\nssl_port: " + std::to_string(ssl_port) +
           "\ntls_pem:\n  - cert_chain: " + yamlBlock(cert.cert_pem, 6) +
           "    private_key: " + yamlBlock(cert.key_pem, 6);
  }

  void configure(RouterOptions& options) override {
    options.workers = 2;
    options.extra_yaml = tlsYaml(first_, tls_port_);
  }

  void SetUp() override {
    RouterFixture::SetUp();
    addRoute("app.example.com", backend_.port());
  }

  void writeConfig(const std::string& extra_yaml) {
    RouterOptions options = router_->options();
    options.extra_yaml = extra_yaml;
    std::ofstream(router_->configPath()) << routerConfigYaml(options);
  }
  bool reloadTo(int generation) {
    router_->signal(SIGHUP);
    return router_->waitForLog("\"message\":\"config-reloaded\",\"data\":{\"generation\":\"" +
                                   std::to_string(generation) + "\"",
                               5s);
  }

  TlsClientOptions client() const {
    TlsClientOptions o;
    o.sni = "app.example.com";
    o.ca_pem = ca_.cert_pem();
    o.verify_name = "app.example.com";
    return o;
  }

  // One request through a new TLS connection on `port`; the certificate's CN it saw, or why not.
  std::string servedCertificate(uint16_t port, TlsClientRelay* relay = nullptr) {
    TlsClientRelay own(port, client());
    TlsClientRelay& tls = relay != nullptr ? *relay : own;
    HttpClient http(tls.port());
    auto r = http.get("app.example.com");
    if (!r) return "no response: " + http.lastError() + " " + tls.last().error;
    if (r->status != 200) return "status " + std::to_string(r->status);
    return tls.last().peer_cn;
  }

  TestCa ca_;
  TestCert first_, second_;
  uint16_t tls_port_;
  FakeBackend backend_{"a"};
};

TEST_F(TlsReloadTest, ReloadServesTheNewCertificateAndOldTicketsStillResume) {
  TlsClientOptions resuming = client();
  TlsClientRelay tls(tls_port_, resuming);
  ASSERT_EQ(servedCertificate(tls_port_, &tls), "first");

  writeConfig(tlsYaml(second_, tls_port_));
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  EXPECT_EQ(servedCertificate(tls_port_), "second");

  // The ticket the router issued before the reload opens with the carried-over keys: the
  // client resumes (an abbreviated handshake shows no certificate, so only `resumed` tells).
  resuming.resume = true;
  tls.setOptions(resuming);
  HttpClient http(tls.port());
  auto r = http.get("app.example.com");
  ASSERT_TRUE(r) << http.lastError() << " " << tls.last().error;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(tls.last().resumed);
}

TEST_F(TlsReloadTest, BrokenCertificateIsRefusedAndTheOldOneKeepsServing) {
  TestCert mismatched = first_;
  mismatched.key_pem = second_.key_pem;  // a key that is not the certificate's
  writeConfig(tlsYaml(mismatched, tls_port_));
  router_->signal(SIGHUP);
  ASSERT_TRUE(router_->waitForLog("config-reload-failed", 5s)) << router_->logs();
  EXPECT_TRUE(router_->waitForLog("tls_pem[0]", 1s)) << router_->logs();  // names the entry
  // Never the key itself.
  EXPECT_EQ(router_->logs().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(servedCertificate(tls_port_), "first");
}

TEST_F(TlsReloadTest, SslPortMovesOnReload) {
  const uint16_t moved = freeTcpPort();
  writeConfig(tlsYaml(first_, moved));
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  EXPECT_EQ(servedCertificate(moved), "first");
  // The old TLS port is closed once every worker moved.
  bool old_closed = false;
  for (int i = 0; i < 50 && !old_closed; ++i) {
    HttpClient probe(tls_port_);
    old_closed = !probe.connect(200ms);
    if (!old_closed) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(old_closed);
  // The plain port did not move.
  auto plain = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
}

TEST_F(TlsReloadTest, ProxyHeaderBeforeTheHandshakeGivesTheClientAddress) {
  TlsClientOptions o = client();
  o.preamble = "PROXY TCP4 203.0.113.7 10.0.0.1 40001 443\r\n";
  TlsClientRelay tls(tls_port_, o);
  HttpClient http(tls.port());
  auto r = http.get("app.example.com");
  ASSERT_TRUE(r) << http.lastError() << " " << tls.last().error;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(tls.last().peer_cn, "first");
  ASSERT_TRUE(backend_.lastRequest());
  EXPECT_EQ(backend_.lastRequest()->header("X-Forwarded-For").value_or(""), "203.0.113.7");
  EXPECT_EQ(backend_.lastRequest()->header("X-Forwarded-Proto").value_or(""), "https");

  // Without a header the TLS port still serves (the header is optional, as in gorouter).
  EXPECT_EQ(servedCertificate(tls_port_), "first");

  // A v2 header with its binary signature works the same way.
  static const char kV2[] =
      "\r\n\r\n\0\r\nQUIT\n"           // signature
      "\x21\x11\x00\x0c"               // v2 PROXY, TCP over IPv4, 12 address bytes
      "\xc6\x33\x64\x05"               // 198.51.100.5
      "\x0a\x00\x00\x01"               // 10.0.0.1
      "\x9c\x41\x01\xbb";              // ports 40001, 443
  o.preamble.assign(kV2, sizeof kV2 - 1);
  tls.setOptions(o);
  HttpClient http2(tls.port());
  r = http2.get("app.example.com");
  ASSERT_TRUE(r) << http2.lastError() << " " << tls.last().error;
  EXPECT_EQ(backend_.lastRequest()->header("X-Forwarded-For").value_or(""), "198.51.100.5");
}

}  // namespace
}  // namespace foundry::test
