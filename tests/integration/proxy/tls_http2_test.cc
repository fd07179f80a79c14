// HTTP/2 over TLS on the router's TLS port: ALPN offers h2 (enable_http2), the connection is
// served as on h2c with https as its scheme; http/1.1 clients on the same port are unaffected;
// with enable_http2 off, ALPN never picks h2. nghttp and h2load speak to the router over https.

#include <chrono>
#include <string>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/h2_client.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/shell.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class TlsHttp2Test : public RouterFixture {
 protected:
  TlsHttp2Test()
      : ca_("H2 CA"),
        cert_(ca_.issue({.common_name = "app", .dns = {"app.example.com"}})),
        tls_port_(freeTcpPort()) {}

  void configure(RouterOptions& options) override {
    options.extra_yaml = "enable_ssl: true\nssl_port: " + std::to_string(tls_port_) +
                         "\nenable_http2: " + (http2_ ? "true" : "false") +
                         "\ntls_pem:\n  - cert_chain: " + yamlBlock(cert_.cert_pem, 6) +
                         "    private_key: " + yamlBlock(cert_.key_pem, 6);
  }

  void SetUp() override {
    RouterFixture::SetUp();
    addRoute("app.example.com", backend_.port());
  }

  TlsClientOptions client(std::vector<std::string> alpn) const {
    TlsClientOptions o;
    o.sni = "app.example.com";
    o.ca_pem = ca_.cert_pem();
    o.alpn = std::move(alpn);
    return o;
  }

  TestCa ca_;
  TestCert cert_;
  uint16_t tls_port_;
  bool http2_ = true;
  FakeBackend backend_{"a"};
};

TEST_F(TlsHttp2Test, AlpnChoosesH2AndStreamsAreProxiedAsHttps) {
  TlsClientRelay tls(tls_port_, client({"h2", "http/1.1"}));
  H2Client h2(tls.port());
  ASSERT_TRUE(h2.connect()) << h2.lastError();
  // Several streams over the one TLS connection.
  for (int i = 0; i < 3; ++i) {
    H2Request req;
    req.authority = "app.example.com";
    req.path = "/s" + std::to_string(i);
    req.scheme = "https";
    auto r = h2.request(req);
    ASSERT_TRUE(r) << h2.lastError() << " " << tls.last().error;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "backend a");
  }
  EXPECT_EQ(tls.handshakes().size(), 1u);
  EXPECT_EQ(tls.last().alpn, "h2");
  ASSERT_TRUE(backend_.lastRequest());
  EXPECT_EQ(backend_.lastRequest()->target, "/s2");
  EXPECT_EQ(backend_.lastRequest()->header("X-Forwarded-Proto").value_or(""), "https");

  // An http/1.1 client on the same port still gets HTTP/1.1.
  TlsClientRelay h1tls(tls_port_, client({"http/1.1"}));
  HttpClient h1(h1tls.port());
  auto r = h1.get("app.example.com", "/one");
  ASSERT_TRUE(r) << h1.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(h1tls.last().alpn, "http/1.1");
}

TEST_F(TlsHttp2Test, NghttpAndH2loadOverHttps) {
  const std::string url = "https://127.0.0.1:" + std::to_string(tls_port_) + "/tool";
  auto [status, out] = runShell("nghttp -v -H ':authority: app.example.com' " + url);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("The negotiated protocol: h2"), std::string::npos) << out;
  EXPECT_NE(out.find(":status: 200"), std::string::npos) << out;
  auto [load_status, load] =
      runShell("h2load -n 300 -c 3 -m 10 -H ':authority: app.example.com' " + url);
  EXPECT_EQ(load_status, 0) << load;
  EXPECT_NE(load.find("Application protocol: h2"), std::string::npos) << load;
  EXPECT_NE(load.find("300 succeeded, 0 failed, 0 errored"), std::string::npos) << load;
}

class TlsHttp2OffTest : public TlsHttp2Test {
 protected:
  TlsHttp2OffTest() { http2_ = false; }
};

TEST_F(TlsHttp2OffTest, AlpnNeverPicksH2) {
  TlsClientRelay tls(tls_port_, client({"h2", "http/1.1"}));
  HttpClient h1(tls.port());
  auto r = h1.get("app.example.com");
  ASSERT_TRUE(r) << h1.lastError() << " " << tls.last().error;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(tls.last().alpn, "http/1.1");
}

}  // namespace
}  // namespace foundry::test
