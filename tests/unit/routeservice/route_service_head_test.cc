// The head and error side of route services: how the request changes on each pass, the error
// responses of ROUTER-PROTOCOL.md 5.4, and the config keys.

#include <gtest/gtest.h>

#include "router/config/config.h"
#include "router/http/head_rewriter.h"
#include "router/http/router_error.h"

namespace foundry::router {
namespace {

struct Parsed {
  std::string raw;
  MessageParser parser;
  MessageHead head;
  explicit Parsed(std::string text) : raw(std::move(text)) {
    parser.reset(MessageParser::Type::Request);
    EXPECT_TRUE(parser.parseHead(raw.data(), raw.size(), &head));
  }
};

std::string rewrite(const std::string& request, const RouteServiceRewrite* rs,
                    const HeadRewriteOptions& options = {}) {
  Parsed p(request);
  std::string out;
  RequestFacts facts;
  buildBackendRequestBase(p.head, options, {.client_ip = "192.0.2.1"}, "rid", 1700000000123, &out, &facts, rs);
  endHeadWithoutAttemptHeaders(&out);
  return out;
}

TEST(RouteServiceHeadTest, FirstPassGoesToTheRouteServiceSigned) {
  RouteServiceRewrite rs;
  rs.pass = RouteServiceRewrite::Pass::ToRouteService;
  rs.target = "/filter?mode=strict";
  rs.host = "rs.example.com:8443";
  rs.forwarded_url = "https://app.example.com/orders?id=7";
  rs.signature = "SIG==";
  rs.metadata = "META==";
  std::string out = rewrite(
      "POST /orders?id=7 HTTP/1.1\r\nHost: app.example.com\r\nX-CF-Forwarded-Url: spoofed\r\n"
      "X-CF-Proxy-Signature: spoofed\r\nX-Custom: kept\r\nContent-Length: 0\r\n\r\n",
      &rs);
  EXPECT_EQ(out,
            "POST /filter?mode=strict HTTP/1.1\r\n"
            "X-Custom: kept\r\n"
            "Content-Length: 0\r\n"
            "Host: rs.example.com:8443\r\n"
            "X-Forwarded-For: 192.0.2.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Request-Start: 1700000000123\r\n"
            "X-Vcap-Request-Id: rid\r\n"
            "X-CF-Forwarded-Url: https://app.example.com/orders?id=7\r\n"
            "X-CF-Proxy-Signature: SIG==\r\n"
            "X-CF-Proxy-Metadata: META==\r\n"
            "\r\n");
}

TEST(RouteServiceHeadTest, FirstPassKeepsTheUpgrade) {
  RouteServiceRewrite rs;
  rs.target = "/";
  rs.host = "rs.example.com";
  RequestFacts facts;
  Parsed p(
      "GET /ws HTTP/1.1\r\nHost: app.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: k\r\n\r\n");
  std::string out;
  buildBackendRequestBase(p.head, {}, {.client_ip = "192.0.2.1"}, "rid", 1, &out, &facts, &rs);
  EXPECT_TRUE(facts.upgrade);
  EXPECT_NE(out.find("Connection: Upgrade\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(out.find("Sec-WebSocket-Key: k\r\n"), std::string::npos);
}

TEST(RouteServiceHeadTest, ReturnPassStripsTheHeadersAndKeepsForwardedProto) {
  RouteServiceRewrite rs;
  rs.pass = RouteServiceRewrite::Pass::FromRouteService;
  HeadRewriteOptions force;
  force.force_forwarded_proto_https = true;
  const std::string request =
      "GET /orders HTTP/1.1\r\nHost: app.example.com\r\nX-CF-Forwarded-Url: https://a/\r\n"
      "X-CF-Proxy-Signature: s\r\nX-CF-Proxy-Metadata: m\r\nX-Forwarded-Proto: http\r\n"
      "X-Forwarded-For: 198.51.100.7\r\n\r\n";
  std::string out = rewrite(request, &rs, force);
  EXPECT_EQ(out.find("X-CF-"), std::string::npos) << out;
  // 6.2: the first pass's value, not force_forwarded_proto_https's.
  EXPECT_NE(out.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Forwarded-For: 198.51.100.7, 192.0.2.1\r\n"), std::string::npos);
  EXPECT_NE(out.find("GET /orders HTTP/1.1\r\nHost: app.example.com\r\n"), std::string::npos);
  // Without the route service, the same request has its proto forced.
  std::string plain = rewrite(request, nullptr, force);
  EXPECT_NE(plain.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("X-CF-Proxy-Signature: s\r\n"), std::string::npos);
}

TEST(RouteServiceHeadTest, ErrorResponses) {
  struct Case {
    RouterError error;
    const char* status_line;
    const char* body;
    const char* router_error;  // "" = no header
  };
  const Case cases[] = {
      {RouterError::RouteServiceUnsupported, "HTTP/1.1 502 Bad Gateway\r\n",
       "502 Bad Gateway: Support for route services is disabled.\n", "route_service_unsupported"},
      {RouterError::RouteServiceSignatureInvalid, "HTTP/1.1 502 Bad Gateway\r\n",
       "502 Bad Gateway: Failed to validate Route Service Signature: why\n", ""},
      {RouterError::RouteServiceSignatureExpired, "HTTP/1.1 504 Gateway Timeout\r\n",
       "504 Gateway Timeout: Failed to validate Route Service Signature: why\n", ""},
      {RouterError::InvalidRouteServiceSignature, "HTTP/1.1 400 Bad Request\r\n",
       "400 Bad Request: invalid route service signature detected\n",
       "invalid_route_service_signature"},
      {RouterError::ExpiredRouteServiceSignature, "HTTP/1.1 504 Gateway Timeout\r\n",
       "504 Gateway Timeout: Failed to validate Route Service Signature: why\n",
       "expired_route_service_signature"},
      {RouterError::RouteServiceRequestFailed, "HTTP/1.1 500 Internal Server Error\r\n",
       "500 Internal Server Error: Route service request failed.\n", ""},
  };
  for (const Case& c : cases) {
    std::string r = renderRouterError(c.error, "app.example.com", "why", false);
    EXPECT_EQ(r.rfind(c.status_line, 0), 0u) << r;
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), c.body);
    EXPECT_EQ(r.find("Cache-Control"), std::string::npos) << r;
    if (*c.router_error == '\0') {
      EXPECT_EQ(r.find("X-Cf-Routererror"), std::string::npos) << r;
    } else {
      EXPECT_NE(r.find(std::string("X-Cf-Routererror: ") + c.router_error + "\r\n"),
                std::string::npos)
          << r;
    }
  }
}

TEST(RouteServiceConfigKeysTest, DefaultsAreBosh) {
  Config c;
  std::string error;
  ASSERT_TRUE(loadConfigString("", &c, &error)) << error;
  EXPECT_TRUE(c.route_services_secret.empty());
  EXPECT_EQ(c.route_services_timeout_ns, 60'000'000'000);
  EXPECT_TRUE(c.route_services_recommend_https);
  EXPECT_FALSE(c.route_services_hairpinning);
  EXPECT_FALSE(c.route_services_strict_signature_validation);
  EXPECT_EQ(c.route_services_max_attempts, 3);
  EXPECT_FALSE(c.skip_ssl_validation);
}

TEST(RouteServiceConfigKeysTest, GorouterAndBoshNames) {
  Config c;
  std::string error;
  ASSERT_TRUE(loadConfigString(R"(
route_services_secret: current-secret
route_services_secret_decrypt_only: previous-secret
route_services_timeout: 90s
route_services_recommend_https: false
route_services_hairpinning: true
route_services_hairpinning_allowlist: ["rs.example.com", "*.internal.example.com"]
skip_ssl_validation: true
route_services:
  max_attempts: 0
  strict_signature_validation: true
  cert_chain: CHAIN
  private_key: KEY
)",
                               &c, &error))
      << error;
  EXPECT_EQ(c.route_services_secret.reveal(), "current-secret");
  EXPECT_EQ(c.route_services_secret.str(), "***");  // never printed
  EXPECT_EQ(c.route_services_secret_decrypt_only.reveal(), "previous-secret");
  EXPECT_EQ(c.route_services_timeout_ns, 90'000'000'000);
  EXPECT_FALSE(c.route_services_recommend_https);
  EXPECT_TRUE(c.route_services_hairpinning);
  EXPECT_EQ(c.route_services_hairpinning_allowlist.size(), 2u);
  EXPECT_TRUE(c.skip_ssl_validation);
  EXPECT_EQ(c.route_services_max_attempts, 1);  // 0 means one attempt
  EXPECT_TRUE(c.route_services_strict_signature_validation);
  EXPECT_EQ(c.route_services_tls.cert_chain, "CHAIN");
  EXPECT_EQ(c.route_services_tls.private_key.reveal(), "KEY");

  ASSERT_TRUE(loadConfigString("route_services_internal_lookup: true\n"
                               "route_services_internal_lookup_allowlist: [\"*.apps.internal\"]\n"
                               "route_services_strict_signature_validation: true\n",
                               &c, &error))
      << error;
  EXPECT_TRUE(c.route_services_hairpinning);
  EXPECT_EQ(c.route_services_hairpinning_allowlist,
            std::vector<std::string>{"*.apps.internal"});
  EXPECT_TRUE(c.route_services_strict_signature_validation);
}

TEST(RouteServiceConfigKeysTest, BadValuesNameTheKey) {
  Config c;
  std::string error;
  EXPECT_FALSE(loadConfigString("route_services_hairpinning_allowlist: [\"*.*.example.com\"]\n",
                                &c, &error));
  EXPECT_NE(error.find("'route_services_hairpinning_allowlist'"), std::string::npos) << error;
  EXPECT_FALSE(loadConfigString("route_services_timeout: soon\n", &c, &error));
  EXPECT_NE(error.find("'route_services_timeout'"), std::string::npos) << error;
  EXPECT_FALSE(loadConfigString("route_services:\n  max_attempts: -1\n", &c, &error));
  EXPECT_NE(error.find("route_services.max_attempts"), std::string::npos) << error;
  // A secret's value never appears in an error message.
  EXPECT_FALSE(loadConfigString("route_services_secret: [\"hunter2\"]\n", &c, &error));
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

}  // namespace
}  // namespace foundry::router
