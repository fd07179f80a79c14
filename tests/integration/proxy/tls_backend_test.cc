// TLS to backends, route integrity (ROUTER-PROTOCOL.md 5.2, 8.2): endpoints registered with a
// tls_port are reached over TLS and their certificate checked against server_cert_domain_san;
// each failure class has its status and prunes the endpoint. The backends' TLS is terminated
// by a sidecar of the test's (as CF's Envoy does), in front of a plain FakeBackend.

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

// register JSON for a TLS endpoint: the plain port is unused, tls_port wins.
std::string tlsFields(uint16_t tls_port, const std::string& san) {
  return "\"tls_port\":" + std::to_string(tls_port) + ",\"server_cert_domain_san\":\"" + san +
         "\"";
}

class TlsBackendTest : public RouterFixture {
 protected:
  TlsBackendTest()
      : backend_ca_("Backend CA"),
        router_client_ca_("Router client CA"),
        app_cert_(backend_ca_.issue({.common_name = "app", .dns = {"app-guid-1.internal"}})),
        router_cert_(router_client_ca_.issue({.common_name = "gorouter", .client = true})) {}

  void configure(RouterOptions& options) override {
    std::string yaml = "ca_certs: " + yamlBlock(backend_ca_.cert_pem(), 2);
    if (present_client_cert_) {
      yaml += "backends:\n  cert_chain: " + yamlBlock(router_cert_.cert_pem, 4) +
              "  private_key: " + yamlBlock(router_cert_.key_pem, 4);
    }
    options.extra_yaml = yaml;
  }

  void addTlsRoute(const std::string& host, uint16_t tls_port, const std::string& san,
                   size_t expected = 1) {
    addRoute(host, tls_port, tlsFields(tls_port, san), expected);
  }

  TestCa backend_ca_, router_client_ca_;
  TestCert app_cert_, router_cert_;
  bool present_client_cert_ = false;
};

TEST_F(TlsBackendTest, ReachesTheBackendOverTlsAndReusesTheConnection) {
  FakeBackend app("app");
  TlsServerRelay sidecar(app.port(), {.cert = app_cert_});
  addTlsRoute("app.example.com", sidecar.port(), "app-guid-1.internal");
  HttpClient client(port());
  for (int i = 0; i < 5; ++i) {
    auto r = client.get("app.example.com");
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "backend app");
  }
  // One handshake: the TLS connection is pooled and reused.
  EXPECT_EQ(sidecar.handshakeCount(), 1u);
  auto facts = sidecar.handshakes();
  ASSERT_FALSE(facts.empty());
  EXPECT_TRUE(facts[0].ok);
  EXPECT_EQ(facts[0].peer_cn, "");  // no client certificate configured
}

TEST_F(TlsBackendTest, ANewConnectionResumesTheSession) {
  FakeBackend app(FakeBackendOptions{.name = "app", .keep_alive = false});
  TlsServerRelay sidecar(app.port(), {.cert = app_cert_});
  addTlsRoute("app.example.com", sidecar.port(), "app-guid-1.internal");
  for (int i = 0; i < 3; ++i) {
    auto r = httpGet(port(), "app.example.com", "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto facts = sidecar.handshakes();
  ASSERT_GE(facts.size(), 3u);
  EXPECT_FALSE(facts[0].resumed);
  EXPECT_TRUE(facts[1].resumed);
  EXPECT_TRUE(facts[2].resumed);
}

TEST_F(TlsBackendTest, NameMismatchIs503AndPrunesTheEndpoint) {
  FakeBackend impostor("impostor"), healthy("healthy");
  TlsServerRelay bad(impostor.port(), {.cert = app_cert_});
  addTlsRoute("app.example.com", bad.port(), "app-guid-2.internal");
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "503 Service Unavailable\n");
  EXPECT_NE(r->header("X-Cf-Routererror").value_or("").find("endpoint_failure"), std::string::npos);
  EXPECT_EQ(impostor.requestCount(), 0u);
  // Pruned: with a healthy endpoint beside it, every request goes to the healthy one.
  TestCert healthy_cert = backend_ca_.issue({.common_name = "h", .dns = {"app-guid-3.internal"}});
  TlsServerRelay good(healthy.port(), {.cert = healthy_cert});
  addTlsRoute("app.example.com", good.port(), "app-guid-3.internal", 2);
  for (int i = 0; i < 4; ++i) {
    auto ok = httpGet(port(), "app.example.com", "/");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, "backend healthy");
  }
  EXPECT_EQ(bad.handshakeCount(), 1u);
}

TEST_F(TlsBackendTest, UntrustedOrExpiredCertificateIs526) {
  TestCa stranger("Stranger CA");
  FakeBackend app("app");
  TlsServerRelay untrusted(app.port(),
                           {.cert = stranger.issue({.common_name = "x", .dns = {"a.internal"}})});
  addTlsRoute("untrusted.example.com", untrusted.port(), "a.internal");
  auto r = httpGet(port(), "untrusted.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 526);
  EXPECT_EQ(r->body, "526 Invalid SSL Certificate\n");

  TlsServerRelay expired(
      app.port(), {.cert = backend_ca_.issue({.common_name = "e", .dns = {"b.internal"}, .expired = true})});
  addTlsRoute("expired.example.com", expired.port(), "b.internal");
  auto e = httpGet(port(), "expired.example.com", "/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 526);
  EXPECT_EQ(app.requestCount(), 0u);
  // gorouter's counter, one per failed attempt (each route had one endpoint: one attempt).
  auto m = httpGet(router_->statusPort(), "localhost", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("\nbackend_invalid_tls_cert 2\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("\nbackend_invalid_id 0\n"), std::string::npos) << m->body;
}

TEST_F(TlsBackendTest, PlainBackendRegisteredAsTlsIs525) {
  FakeBackend app("app");
  addTlsRoute("app.example.com", app.port(), "app-guid-1.internal");
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 525);
  auto m = httpGet(router_->statusPort(), "localhost", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("\nbackend_tls_handshake_failed 1\n"), std::string::npos) << m->body;
  EXPECT_EQ(r->body, "525 SSL Handshake Failed\n");
}

TEST_F(TlsBackendTest, BackendRequiringAClientCertificateIs496WithoutOne) {
  FakeBackend app("app");
  TlsServerRelay sidecar(app.port(),
                         {.cert = app_cert_, .client_ca_pem = router_client_ca_.cert_pem()});
  addTlsRoute("app.example.com", sidecar.port(), "app-guid-1.internal");
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 496);
  EXPECT_EQ(r->body, "496 SSL Certificate Required\n");
  EXPECT_EQ(app.requestCount(), 0u);
}

class TlsBackendMutualTest : public TlsBackendTest {
 protected:
  TlsBackendMutualTest() { present_client_cert_ = true; }
};

TEST_F(TlsBackendMutualTest, PresentsTheRouterCertificate) {
  FakeBackend app("app");
  TlsServerRelay sidecar(app.port(),
                         {.cert = app_cert_, .client_ca_pem = router_client_ca_.cert_pem()});
  addTlsRoute("app.example.com", sidecar.port(), "app-guid-1.internal");
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto facts = sidecar.handshakes();
  ASSERT_FALSE(facts.empty());
  EXPECT_EQ(facts[0].peer_cn, "gorouter");
}

}  // namespace
}  // namespace foundry::test
