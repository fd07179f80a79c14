// Route services end to end through the real router (ROUTER-PROTOCOL.md 7): the first pass to
// the route service with the signed headers, the return pass validated (expired, tampered,
// wrong key, key rotation, another route), strict validation, hairpinning with its allowlist,
// WebSockets through a route service, and X-Forwarded-Proto on the return pass (6.2).
//
// Signatures the tests send themselves are made with the router's own code and the configured
// secret (router/routeservice), the way a second gorouter sharing the secret would make them.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "router/common/clock.h"
#include "router/config/config.h"
#include "router/routeservice/route_service_config.h"
#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/fake_route_service.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;
using router::RouteServiceConfig;
using router::SignatureHeaders;

constexpr const char* kSecret = "route-service-secret-1";
constexpr const char* kPreviousSecret = "route-service-secret-0";
// Never contacted: the return-pass tests bring their own signatures.
constexpr const char* kUnreachableRs = "https://rs.unreachable.example.com/rs";

std::string routeServiceJson(const std::string& url) {
  return "\"route_service_url\":\"" + url + "\"";
}

// Signs like a router configured with `secret`, `age` ago.
SignatureHeaders signFor(const std::string& secret, const std::string& forwarded_url,
                         std::chrono::seconds age = 0s) {
  router::Config c;
  c.route_services_secret = auth::Secret(secret);
  RouteServiceConfig rs(c);
  SignatureHeaders h;
  EXPECT_TRUE(rs.sign(forwarded_url, wallNanos() - age.count() * kNanosPerSecond, &h));
  return h;
}

std::vector<std::string> signedHeaders(const SignatureHeaders& h, const std::string& forwarded) {
  return {"X-CF-Forwarded-Url: " + forwarded, "X-CF-Proxy-Signature: " + h.signature,
          "X-CF-Proxy-Metadata: " + h.metadata};
}

class RouteServiceTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = std::string("route_services_secret: ") + kSecret +
                         "\nroute_services_recommend_https: true\n" + extraYaml();
  }
  virtual std::string extraYaml() { return ""; }
};

// ---------------------------------------------------------------------------------------------
// Return pass: the router validates what a route service sends back.

TEST_F(RouteServiceTest, ValidReturnPassReachesTheAppWithoutTheHeaders) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(),
           R"("app":"app-guid",)" + routeServiceJson(kUnreachableRs));
  const std::string forwarded = "https://app.example.com/orders?id=7";
  HttpClient client(port());
  auto r = client.get("app.example.com", "/orders?id=7",
                      signedHeaders(signFor(kSecret, forwarded), forwarded));
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "backend app");
  auto req = app.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->target, "/orders?id=7");
  EXPECT_FALSE(req->hasHeader("X-CF-Proxy-Signature"));
  EXPECT_FALSE(req->hasHeader("X-CF-Proxy-Metadata"));
  EXPECT_FALSE(req->hasHeader("X-CF-Forwarded-Url"));
  EXPECT_EQ(req->header("X-CF-ApplicationID").value_or(""), "app-guid");
}

TEST_F(RouteServiceTest, ExpiredSignatureGets504) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  const std::string forwarded = "https://app.example.com/";
  // route_services_timeout is 60 s.
  auto r = httpGet(port(), "app.example.com", "/",
                   signedHeaders(signFor(kSecret, forwarded, 61s), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->body,
            "504 Gateway Timeout: Failed to validate Route Service Signature: route service "
            "request expired\n");
  EXPECT_FALSE(r->hasHeader("X-Cf-Routererror"));
  EXPECT_EQ(app.requestCount(), 0u);
  // Just inside the timeout still passes.
  r = httpGet(port(), "app.example.com", "/",
              signedHeaders(signFor(kSecret, forwarded, 55s), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(RouteServiceTest, TamperedOrForeignSignaturesGet502) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  const std::string forwarded = "https://app.example.com/";
  SignatureHeaders good = signFor(kSecret, forwarded);

  SignatureHeaders tampered = good;
  tampered.signature[5] = tampered.signature[5] == 'A' ? 'B' : 'A';
  auto r = httpGet(port(), "app.example.com", "/", signedHeaders(tampered, forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body,
            "502 Bad Gateway: Failed to validate Route Service Signature: cipher: message "
            "authentication failed\n");
  EXPECT_FALSE(r->hasHeader("X-Cf-Routererror"));

  r = httpGet(port(), "app.example.com", "/",
              signedHeaders(signFor("another-routers-secret", forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);

  SignatureHeaders no_metadata = good;
  no_metadata.metadata.clear();
  r = httpGet(port(), "app.example.com", "/",
              {"X-CF-Proxy-Signature: " + good.signature});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_NE(r->body.find("No metadata found"), std::string::npos) << r->body;
  EXPECT_EQ(app.requestCount(), 0u);
}

TEST_F(RouteServiceTest, SignatureForAnotherRouteGets502) {
  FakeBackend app("app");
  FakeBackend other("other");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  addRoute("other.example.com", other.port(), routeServiceJson(kUnreachableRs));
  addRoute("app.example.com/admin", app.port(), routeServiceJson(kUnreachableRs));
  // A signature a route service got for other.example.com, replayed against app.example.com.
  const std::string forwarded = "https://other.example.com/";
  auto r = httpGet(port(), "app.example.com", "/",
                   signedHeaders(signFor(kSecret, forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body,
            "502 Bad Gateway: Failed to validate Route Service Signature: route service "
            "forwarded URL app.example.com does not match the original request URL "
            "other.example.com/\n");
  // Same host, another context path: another route.
  const std::string admin = "https://app.example.com/admin/users";
  r = httpGet(port(), "app.example.com", "/", signedHeaders(signFor(kSecret, admin), admin));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  // A forwarded URL no route matches.
  const std::string gone = "https://gone.example.com/";
  r = httpGet(port(), "app.example.com", "/", signedHeaders(signFor(kSecret, gone), gone));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_NE(r->body.find("original request URL gone.example.com/ does not exist in the routing "
                         "table"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(app.requestCount() + other.requestCount(), 0u);
}

TEST_F(RouteServiceTest, RouteWithoutRouteServiceIgnoresSignaturesWhenNotStrict) {
  FakeBackend app("app");
  addRoute("plain.example.com", app.port());
  auto r = httpGet(port(), "plain.example.com", "/",
                   {"X-CF-Proxy-Signature: garbage", "X-CF-Proxy-Metadata: garbage"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto req = app.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header("X-CF-Proxy-Signature").value_or(""), "garbage");  // passed through
}

// ---------------------------------------------------------------------------------------------
// Key rotation: the previous secret validates (decrypt only); a router without it refuses.

class RouteServiceRotationTest : public RouteServiceTest {
 protected:
  std::string extraYaml() override {
    return std::string("route_services_secret_decrypt_only: ") + kPreviousSecret + "\n";
  }
};

TEST_F(RouteServiceRotationTest, PreviousSecretStillValidates) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  const std::string forwarded = "https://app.example.com/";
  auto r = httpGet(port(), "app.example.com", "/",
                   signedHeaders(signFor(kPreviousSecret, forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = httpGet(port(), "app.example.com", "/",
              signedHeaders(signFor(kSecret, forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // Expiry applies to old-key signatures too.
  r = httpGet(port(), "app.example.com", "/",
              signedHeaders(signFor(kPreviousSecret, forwarded, 120s), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  r = httpGet(port(), "app.example.com", "/",
              signedHeaders(signFor("older-still", forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(app.requestCount(), 2u);
}

TEST_F(RouteServiceTest, WithoutTheDecryptOnlyKeyTheOldSecretIsRefused) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  const std::string forwarded = "https://app.example.com/";
  auto r = httpGet(port(), "app.example.com", "/",
                   signedHeaders(signFor(kPreviousSecret, forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

// ---------------------------------------------------------------------------------------------
// Strict validation: a signature on a route without a route service is checked too.

class RouteServiceStrictTest : public RouteServiceTest {
 protected:
  std::string extraYaml() override {
    return "route_services:\n  strict_signature_validation: true\n";
  }
};

TEST_F(RouteServiceStrictTest, BadOrExpiredSignaturesOnPlainRoutesAreRefused) {
  FakeBackend app("app");
  addRoute("plain.example.com", app.port());
  const std::string forwarded = "https://plain.example.com/";
  auto r = httpGet(port(), "plain.example.com", "/",
                   {"X-CF-Proxy-Signature: garbage", "X-CF-Proxy-Metadata: garbage"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "invalid_route_service_signature");
  EXPECT_EQ(r->body, "400 Bad Request: invalid route service signature detected\n");

  r = httpGet(port(), "plain.example.com", "/",
              signedHeaders(signFor(kSecret, forwarded, 90s), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "expired_route_service_signature");
  EXPECT_EQ(app.requestCount(), 0u);

  // A valid one passes (as gorouter: untouched), and no signature at all is fine.
  r = httpGet(port(), "plain.example.com", "/",
              signedHeaders(signFor(kSecret, forwarded), forwarded));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = httpGet(port(), "plain.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(app.requestCount(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Route services disabled (no secret).

class RouteServiceDisabledTest : public RouterFixture {};

TEST_F(RouteServiceDisabledTest, RouteWithARouteServiceGets502) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson(kUnreachableRs));
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "route_service_unsupported");
  EXPECT_EQ(r->body, "502 Bad Gateway: Support for route services is disabled.\n");
  EXPECT_EQ(app.requestCount(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Hairpinning: the route service is a route of this router, served in-process.

class RouteServiceHairpinTest : public RouteServiceTest {
 protected:
  std::string extraYaml() override {
    return "route_services_hairpinning: true\n"
           "route_services_hairpinning_allowlist: [\"*.rs.example.com\"]\n"
           "sanitize_forwarded_proto: true\n";
  }
  void SetUp() override {
    RouteServiceTest::SetUp();
    if (HasFatalFailure()) return;
    rs_ = std::make_unique<FakeRouteService>(port());
    ASSERT_TRUE(rs_->ok());
    addRoute("auth.rs.example.com", rs_->port(), R"("app":"rs-app-guid")");
  }
  std::unique_ptr<FakeRouteService> rs_;
};

TEST_F(RouteServiceHairpinTest, RequestGoesThroughTheRouteServiceAndBack) {
  FakeBackend app("app");
  app.setHandler([](const BackendRequest& r) {
    return BackendResponse::text(201, "app saw " + r.method + " " + r.target + " " + r.body);
  });
  addRoute("app.example.com", app.port(),
           R"("app":"app-guid",)" + routeServiceJson("https://auth.rs.example.com/check?v=1"));
  HttpClient client(port());
  auto r = client.request(
      "POST /orders?id=7 HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n"
      "X-Custom: kept\r\n\r\nhello");
  ASSERT_TRUE(r) << client.lastError() << router_->logs();
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->body, "app saw POST /orders?id=7 hello");
  EXPECT_FALSE(r->hasHeader("X-CF-Proxy-Signature"));

  // The route service got the first pass: its own path and Host, the three headers, and (it
  // is an app of ours) its own X-CF-ApplicationID, never the app's.
  ASSERT_EQ(rs_->requestCount(), 1u);
  BackendRequest first = rs_->requests()[0];
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "/check?v=1");
  EXPECT_EQ(first.header("Host").value_or(""), "auth.rs.example.com");
  EXPECT_EQ(first.header("X-CF-Forwarded-Url").value_or(""),
            "https://app.example.com/orders?id=7");
  EXPECT_FALSE(first.header("X-CF-Proxy-Signature").value_or("").empty());
  EXPECT_FALSE(first.header("X-CF-Proxy-Metadata").value_or("").empty());
  EXPECT_EQ(first.header("X-CF-ApplicationID").value_or(""), "rs-app-guid");
  EXPECT_EQ(first.header("X-Custom").value_or(""), "kept");

  // The app got the return pass without the route-service headers.
  auto req = app.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->target, "/orders?id=7");
  EXPECT_EQ(req->header("Host").value_or(""), "app.example.com");
  EXPECT_EQ(req->body, "hello");
  EXPECT_EQ(req->header("X-CF-ApplicationID").value_or(""), "app-guid");
  EXPECT_EQ(req->header("X-Custom").value_or(""), "kept");
  EXPECT_FALSE(req->hasHeader("X-CF-Proxy-Signature"));
  EXPECT_FALSE(req->hasHeader("X-CF-Proxy-Metadata"));
  EXPECT_FALSE(req->hasHeader("X-CF-Forwarded-Url"));
  // The client, then the route service (both on loopback), in X-Forwarded-For.
  EXPECT_EQ(req->header("X-Forwarded-For").value_or(""), "127.0.0.1, 127.0.0.1");

  // Keep-alive: the client's connection serves the next request the same way.
  r = client.get("app.example.com", "/second");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(rs_->requestCount(), 2u);
}

TEST_F(RouteServiceHairpinTest, RouteServiceMayAnswerItself) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(),
           routeServiceJson("https://auth.rs.example.com/check"));
  rs_->setHook([](BackendRequest*) {
    RouteServiceHookResult result;
    result.answer = BackendResponse::text(403, "denied by route service");
    return result;
  });
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, "denied by route service");
  EXPECT_EQ(app.requestCount(), 0u);
}

TEST_F(RouteServiceHairpinTest, TamperingRouteServiceIsRefused) {
  FakeBackend app("app");
  addRoute("app.example.com", app.port(),
           routeServiceJson("https://auth.rs.example.com/check"));
  rs_->setHook([](BackendRequest* request) {
    for (auto& [name, value] : request->headers) {
      if (iequals(name, "X-CF-Proxy-Signature")) value[3] = value[3] == 'x' ? 'y' : 'x';
    }
    return RouteServiceHookResult{};
  });
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_NE(r->body.find("Failed to validate Route Service Signature"), std::string::npos);
  EXPECT_EQ(app.requestCount(), 0u);
}

TEST_F(RouteServiceHairpinTest, ForwardedProtoOfTheReturnPassIsKept) {
  // sanitize_forwarded_proto is on: a plain request's X-Forwarded-Proto becomes the connection
  // scheme, but a validated return pass keeps what the route service relays (6.2).
  FakeBackend app("app");
  addRoute("app.example.com", app.port(),
           routeServiceJson("https://auth.rs.example.com/check"));
  addRoute("plain.example.com", app.port());
  rs_->setHook([](BackendRequest* request) {
    for (auto& [name, value] : request->headers) {
      if (iequals(name, "X-Forwarded-Proto")) value = "https";
    }
    return RouteServiceHookResult{};
  });
  auto r = httpGet(port(), "app.example.com", "/", {"X-Forwarded-Proto: https"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(rs_->requests()[0].header("X-Forwarded-Proto").value_or(""), "http");  // sanitized
  EXPECT_EQ(app.lastRequest()->header("X-Forwarded-Proto").value_or(""), "https");  // kept
  r = httpGet(port(), "plain.example.com", "/", {"X-Forwarded-Proto: https"});
  ASSERT_TRUE(r);
  EXPECT_EQ(app.lastRequest()->header("X-Forwarded-Proto").value_or(""), "http");
}

TEST_F(RouteServiceHairpinTest, WebSocketThroughTheRouteService) {
  // gorouter answers 503 here; we let the upgrade go to the route service and, on its return
  // pass, to the app, and the tunnel then carries bytes end to end.
  FakeBackend app("app");
  app.setHandler([](const BackendRequest&) { return BackendResponse::webSocketUpgrade(); });
  addRoute("ws.example.com", app.port(), routeServiceJson("https://auth.rs.example.com/ws"));
  HttpClient client(port());
  auto r = client.request(
      "GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 101);
  ASSERT_EQ(rs_->requestCount(), 1u);
  EXPECT_EQ(rs_->requests()[0].header("Upgrade").value_or(""), "websocket");
  EXPECT_EQ(rs_->requests()[0].target, "/ws");
  auto req = app.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->target, "/chat");
  EXPECT_EQ(req->header("Sec-WebSocket-Key").value_or(""), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_FALSE(req->hasHeader("X-CF-Proxy-Signature"));
  ASSERT_TRUE(client.send("ping-1"));
  EXPECT_EQ(client.readExact(6).value_or(""), "ping-1");
  ASSERT_TRUE(client.send("a second, longer message"));
  EXPECT_EQ(client.readExact(24).value_or(""), "a second, longer message");
}

TEST_F(RouteServiceHairpinTest, RouteServiceOutsideTheAllowlistIsNotHairpinned) {
  // "localhost" is a route here, but not on the allowlist: the router must not serve it
  // in-process, so it dials the URL's address, where nothing listens (502 after the attempts).
  FakeRouteService outside(port());
  addRoute("localhost", outside.port());
  FakeBackend app("app");
  addRoute("app.example.com", app.port(), routeServiceJson("https://localhost:1/rs"));
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or("").rfind("endpoint_failure", 0), 0u);
  EXPECT_EQ(outside.requestCount(), 0u);
  EXPECT_EQ(app.requestCount(), 0u);
}

}  // namespace
}  // namespace foundry::test
