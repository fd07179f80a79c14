// Route services outside the router, over TLS as gorouter speaks to them (ROUTER-PROTOCOL.md 7):
// the route service's certificate is verified against ca_certs for the URL's host name, the
// router presents route_services.cert_chain when the route service asks for a client
// certificate, and skip_ssl_validation (which gorouter applies to route services only) lets an
// untrusted certificate through. The route service sends the request back through the router's
// plain port, as a real one would through the load balancer.

#include <string>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/fake_route_service.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

class RouteServiceTlsTest : public RouterFixture {
 protected:
  RouteServiceTlsTest()
      : ca_("RS CA"),
        router_client_ca_("Router client CA"),
        rs_cert_(ca_.issue({.common_name = "rs", .dns = {"localhost"}})),
        router_cert_(router_client_ca_.issue({.common_name = "router-to-rs", .client = true})) {}

  void configure(RouterOptions& options) override {
    options.extra_yaml = "route_services_secret: rs-secret\n"
                         "ca_certs: " + yamlBlock(ca_.cert_pem(), 2) +
                         "route_services:\n  cert_chain: " + yamlBlock(router_cert_.cert_pem, 4) +
                         "  private_key: " + yamlBlock(router_cert_.key_pem, 4) + extra_yaml_;
  }

  void SetUp() override {
    RouterFixture::SetUp();
    if (HasFatalFailure()) return;
    rs_ = std::make_unique<FakeRouteService>(port());
    ASSERT_TRUE(rs_->ok());
  }

  // The route service behind TLS with `cert`, asking for the router's client certificate.
  std::unique_ptr<TlsServerRelay> tlsInFront(const TestCert& cert) {
    return std::make_unique<TlsServerRelay>(
        rs_->port(),
        TlsServerOptions{.cert = cert, .client_ca_pem = router_client_ca_.cert_pem()});
  }

  void addAppWithRouteService(uint16_t app_port, uint16_t rs_port) {
    addRoute("app.example.com", app_port,
             R"("route_service_url":"https://localhost:)" + std::to_string(rs_port) +
                 R"(/check")");
  }

  TestCa ca_, router_client_ca_;
  TestCert rs_cert_, router_cert_;
  std::string extra_yaml_;
  std::unique_ptr<FakeRouteService> rs_;
};

TEST_F(RouteServiceTlsTest, FirstPassGoesOverVerifiedMutualTls) {
  FakeBackend app("app");
  auto tls = tlsInFront(rs_cert_);
  addAppWithRouteService(app.port(), tls->port());
  auto r = httpGet(port(), "app.example.com", "/orders");
  ASSERT_TRUE(r) << router_->logs();
  EXPECT_EQ(r->status, 200) << r->body << router_->logs();
  EXPECT_EQ(r->body, "backend app");
  ASSERT_EQ(rs_->requestCount(), 1u);
  EXPECT_EQ(rs_->requests()[0].target, "/check");
  EXPECT_EQ(rs_->requests()[0].header("Host").value_or(""),
            "localhost:" + std::to_string(tls->port()));
  EXPECT_EQ(rs_->requests()[0].header("X-CF-Forwarded-Url").value_or(""),
            "https://app.example.com/orders");  // route_services_recommend_https (default)
  ASSERT_GE(tls->handshakeCount(), 1u);
  // The route service saw the router's route_services client certificate.
  EXPECT_EQ(tls->handshakes()[0].peer_cn, "router-to-rs");
  EXPECT_EQ(app.requestCount(), 1u);
}

TEST_F(RouteServiceTlsTest, UntrustedRouteServiceCertificateIsRefused) {
  FakeBackend app("app");
  TestCa rogue("Rogue CA");
  auto tls = tlsInFront(rogue.issue({.common_name = "rs", .dns = {"localhost"}}));
  addAppWithRouteService(app.port(), tls->port());
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 526) << r->body;
  EXPECT_EQ(rs_->requestCount(), 0u);
  EXPECT_EQ(app.requestCount(), 0u);
}

TEST_F(RouteServiceTlsTest, CertificateForAnotherNameIsRefused) {
  FakeBackend app("app");
  auto tls = tlsInFront(ca_.issue({.common_name = "other", .dns = {"other.example.com"}}));
  addAppWithRouteService(app.port(), tls->port());
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 500) << r->body;
  EXPECT_EQ(rs_->requestCount(), 0u);
  EXPECT_EQ(app.requestCount(), 0u);
}

class RouteServiceSkipValidationTest : public RouteServiceTlsTest {
 protected:
  RouteServiceSkipValidationTest() { extra_yaml_ = "skip_ssl_validation: true\n"; }
};

TEST_F(RouteServiceSkipValidationTest, UntrustedCertificatePassesOnlyForRouteServices) {
  FakeBackend app("app");
  TestCa rogue("Rogue CA");
  auto tls = tlsInFront(rogue.issue({.common_name = "rs", .dns = {"localhost"}}));
  addAppWithRouteService(app.port(), tls->port());
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body << router_->logs();
  EXPECT_EQ(rs_->requestCount(), 1u);
}

}  // namespace
}  // namespace foundry::test
