#include "router/http/head_rewriter.h"

#include <gtest/gtest.h>

#include "router/http/router_error.h"

namespace foundry::router {
namespace {

struct Parsed {
  std::string raw;
  MessageParser parser;
  MessageHead head;
  explicit Parsed(std::string text, MessageParser::Type type = MessageParser::Type::Request)
      : raw(std::move(text)) {
    parser.reset(type);
    EXPECT_TRUE(parser.parseHead(raw.data(), raw.size(), &head));
  }
};

std::string backendHead(const std::string& request, const HeadRewriteOptions& options = {},
                        RequestFacts* facts_out = nullptr) {
  Parsed p(request);
  std::string out;
  RequestFacts facts;
  buildBackendRequestBase(p.head, options, ClientConnection{"192.0.2.1"}, "rid", 1700000000123, &out, &facts);
  EndpointFields f;
  f.host = "10.0.0.1";
  f.port = 8080;
  f.app_id = "app-guid";
  f.private_instance_index = "0";
  appendAttemptHeaders(Endpoint(f), &out);
  if (facts_out) *facts_out = facts;
  return out;
}

TEST(HeadRewriterTest, TokensAndCase) {
  EXPECT_TRUE(headerHasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_FALSE(headerHasToken("keep-alive", "close"));
  EXPECT_TRUE(equalsIgnoreCase("X-Forwarded-For", "x-forwarded-for"));
}

TEST(HeadRewriterTest, BackendHeadHasRouterHeadersInOrder) {
  std::string out = backendHead("GET /a%20b?x HTTP/1.1\r\nHost: App.com:80\r\n\r\n");
  EXPECT_EQ(out,
            "GET /a%20b?x HTTP/1.1\r\n"
            "Host: App.com:80\r\n"
            "X-Forwarded-For: 192.0.2.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Request-Start: 1700000000123\r\n"
            "X-Vcap-Request-Id: rid\r\n"
            "X-CF-ApplicationID: app-guid\r\n"
            "X-CF-InstanceIndex: 0\r\n"
            "X-CF-InstanceID: 10.0.0.1:8080\r\n"
            "\r\n");
}

TEST(HeadRewriterTest, MultipleForwardedForHeadersAreJoinedThenAppended) {
  std::string out = backendHead(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n");
  EXPECT_NE(out.find("X-Forwarded-For: 1.1.1.1, 2.2.2.2, 192.0.2.1\r\n"), std::string::npos) << out;
}

TEST(HeadRewriterTest, ForwardedProtoModes) {
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n\r\n";
  EXPECT_NE(backendHead(req).find("X-Forwarded-Proto: https\r\n"), std::string::npos);
  HeadRewriteOptions sanitize;
  sanitize.sanitize_forwarded_proto = true;
  std::string out = backendHead(req, sanitize);
  EXPECT_NE(out.find("X-Forwarded-Proto: http\r\n"), std::string::npos);
  EXPECT_EQ(out.find("https"), std::string::npos);
  HeadRewriteOptions force;
  force.force_forwarded_proto_https = true;
  EXPECT_NE(backendHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n", force).find("X-Forwarded-Proto: https"),
            std::string::npos);
}

TEST(HeadRewriterTest, ConnectionNamedHeadersStrippedUnlessFiltered) {
  const std::string req =
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-Proto, X-Drop\r\n"
      "X-Drop: 1\r\nX-Forwarded-Proto: https\r\n\r\n";
  std::string out = backendHead(req);
  EXPECT_EQ(out.find("X-Drop"), std::string::npos);
  EXPECT_EQ(out.find("https"), std::string::npos);  // dropped, then set by the router
  HeadRewriteOptions keep;
  keep.hop_by_hop_headers_to_filter = {"X-Forwarded-Proto"};
  out = backendHead(req, keep);
  EXPECT_NE(out.find("X-Forwarded-Proto: https"), std::string::npos);
  EXPECT_EQ(out.find("X-Drop"), std::string::npos);
}

TEST(HeadRewriterTest, UpgradeAndExpectContinue) {
  RequestFacts facts;
  std::string out = backendHead(
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", {},
      &facts);
  EXPECT_TRUE(facts.upgrade);
  EXPECT_NE(out.find("Connection: Upgrade\r\nUpgrade: websocket\r\n"), std::string::npos) << out;

  out = backendHead("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
                    {}, &facts);
  EXPECT_TRUE(facts.expect_continue);
  EXPECT_TRUE(facts.backend_close);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Expect: 100-continue\r\n"), std::string::npos);
}

TEST(HeadRewriterTest, AbsoluteFormBecomesOriginForm) {
  std::string out = backendHead("GET http://app.com/x?y HTTP/1.1\r\n\r\n");
  EXPECT_EQ(out.rfind("GET /x?y HTTP/1.1\r\nHost: app.com\r\n", 0), 0u) << out;
}

TEST(HeadRewriterTest, ClientResponseHead) {
  Parsed p("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=4\r\nTransfer-Encoding: chunked\r\n"
           "X-CF-Proxy-Signature: s\r\nX-A: 1\r\n\r\n",
           MessageParser::Type::Response);
  std::string out;
  buildClientResponseHead(p.head, "HTTP/1.1 200 OK", "rid", true, false, &out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n"
            "X-Vcap-Request-Id: rid\r\n\r\n");
  buildClientResponseHead(p.head, "HTTP/1.1 200 OK", "rid", false, false, &out);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  buildClientResponseHead(p.head, "HTTP/1.1 200 OK", "rid", true, true, &out);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(RouterErrorTest, RendersGorouterBodies) {
  std::string r = renderRouterError(RouterError::NoEndpoints, "h.com", "", false);
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(r.find("X-Cf-Routererror: no_endpoints\r\n"), std::string::npos);
  EXPECT_NE(r.find("Cache-Control: public,max-age=2\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\n503 Service Unavailable: Requested route ('h.com') has no available "
                   "endpoints.\n"),
            std::string::npos);
  r = renderRouterError(RouterError::EndpointFailure, "h", "connection refused", true);
  EXPECT_NE(r.find("X-Cf-Routererror: endpoint_failure (connection refused)\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  r = renderRouterError(RouterError::HeaderTooLarge, "h", "", true);
  EXPECT_NE(r.find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_EQ(renderRouterError(RouterError::UnsupportedProtocol, "", "", true),
            "HTTP/1.0 400 Bad Request\r\n\r\n");
}

}  // namespace
}  // namespace foundry::router

namespace foundry::router {
namespace {

std::string traced(const std::string& request, const HeadRewriteOptions& options) {
  Parsed p(request);
  std::string out;
  RequestFacts facts;
  const std::string id = "6f1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b";
  buildBackendRequestBase(p.head, options, ClientConnection{"192.0.2.1"}, id, 1, &out, &facts);
  appendTraceHeaders(p.head, options, id, 0x1122334455667788ULL, &out);
  return out;
}

std::string headerValue(const std::string& head, const std::string& name) {
  size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "<absent>";
  at += name.size() + 4;
  return head.substr(at, head.find("\r\n", at) - at);
}

TEST(TracingTest, ZipkinCreatesAdoptsOrKeeps) {
  HeadRewriteOptions zipkin;
  zipkin.enable_zipkin = true;
  std::string fresh = traced("GET / HTTP/1.1\r\nHost: a\r\n\r\n", zipkin);
  EXPECT_EQ(headerValue(fresh, "X-B3-TraceId"), "6f1d2c3b4a5946879a0b1c2d3e4f5a6b");
  EXPECT_EQ(headerValue(fresh, "X-B3-SpanId"), "1122334455667788");
  EXPECT_EQ(headerValue(fresh, "b3"), "6f1d2c3b4a5946879a0b1c2d3e4f5a6b-1122334455667788");
  std::string adopted =
      traced("GET / HTTP/1.1\r\nHost: a\r\nX-B3-TraceId: aaaa\r\nX-B3-SpanId: bbbb\r\n\r\n", zipkin);
  EXPECT_EQ(headerValue(adopted, "b3"), "aaaa-bbbb");
  std::string kept = traced("GET / HTTP/1.1\r\nHost: a\r\nb3: x-y-1\r\n\r\n", zipkin);
  EXPECT_EQ(headerValue(kept, "b3"), "x-y-1");
  EXPECT_EQ(headerValue(kept, "X-B3-TraceId"), "<absent>");
}

TEST(TracingTest, W3cKeepsTraceIdReplacesParentAndPrependsState) {
  HeadRewriteOptions w3c;
  w3c.enable_w3c = true;
  const std::string incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  std::string out = traced("GET / HTTP/1.1\r\nHost: a\r\ntraceparent: " + incoming +
                               "\r\ntracestate: gorouter=old,vendor=v1\r\n\r\n",
                           w3c);
  std::string tp = headerValue(out, "traceparent");
  ASSERT_EQ(tp.size(), 55u);
  EXPECT_EQ(tp.substr(0, 36), incoming.substr(0, 36));
  EXPECT_NE(tp.substr(36, 16), incoming.substr(36, 16));
  EXPECT_EQ(tp.substr(52), "-01");
  EXPECT_EQ(headerValue(out, "tracestate"), "gorouter=" + tp.substr(36, 16) + ",vendor=v1");
  EXPECT_EQ(out.find("b7ad6b7169203331"), std::string::npos);  // the old parent is gone

  std::string fresh = traced("GET / HTTP/1.1\r\nHost: a\r\ntraceparent: junk\r\n\r\n", w3c);
  std::string ftp = headerValue(fresh, "traceparent");
  EXPECT_EQ(ftp.substr(0, 36), "00-6f1d2c3b4a5946879a0b1c2d3e4f5a6b-");
  EXPECT_EQ(ftp.substr(52), "-01");

  w3c.w3c_tenant_id = "t1";
  std::string tenant = traced("GET / HTTP/1.1\r\nHost: a\r\n\r\n", w3c);
  EXPECT_EQ(headerValue(tenant, "tracestate").rfind("t1@gorouter=", 0), 0u);
}

}  // namespace
}  // namespace foundry::router
