// HTTP/2 backends (endpoints registered with "protocol":"http2") and gRPC end to end through the
// real router binary: a gRPC-shaped client (H2Client: POST, application/grpc, length-prefixed
// messages, te: trailers) and server (H2Backend), unary, server-streaming and bidirectional
// calls, grpc-status trailers (and trailers-only answers), grpc-timeout passing through, many
// streams multiplexed on one backend connection, HTTP/1.1 clients of an HTTP/2 backend, and
// backend failures (reset streams, dropped connections, unreachable endpoints).

#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/h2_backend.h"
#include "tests/test_common/h2_client.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/test_certs.h"
#include "tests/test_common/tls_relay.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr char kHttp2[] = "\"protocol\":\"http2\"";

H2Request grpcCall(const std::string& method, std::string body = "", bool end = true) {
  H2Request req;
  req.method = "POST";
  req.authority = "grpc.example.com";
  req.path = "/test.Echo/" + method;
  req.headers = {{"content-type", "application/grpc"}, {"te", "trailers"}};
  req.body = std::move(body);
  req.end_stream = end;
  return req;
}

// The gRPC-shaped service: Unary echoes its one message; ServerStream answers with five;
// Bidi answers each message as it arrives and ends when the client does; NotFound is a
// trailers-only error; Slow waits for the client's end, then answers after `grpc-timeout`.
void grpcService(H2Backend::Stream& s, H2Backend::Event e, std::string_view data) {
  using Event = H2Backend::Event;
  const Headers grpc = {{"content-type", "application/grpc"}};
  if (s.path == "/test.Echo/Bidi") {
    if (e == Event::Headers) s.respond(200, grpc);
    if (e == Event::Data) {
      s.pending_input.append(data);
      for (const std::string& m : takeGrpcMessages(&s.pending_input)) {
        s.write(grpcMessage("bidi:" + m));
      }
    }
    if (e == Event::End) s.finish({{"grpc-status", "0"}, {"grpc-message", "bye"}});
    return;
  }
  if (e != Event::End) return;
  std::string buffer = s.body;
  std::vector<std::string> messages = takeGrpcMessages(&buffer);
  if (s.path == "/test.Echo/NotFound") {
    s.respond(200, {{"content-type", "application/grpc"},
                    {"grpc-status", "5"},
                    {"grpc-message", "no such thing"}},
              /*end=*/true);
    return;
  }
  if (s.path == "/test.Echo/Reset") {
    s.reset(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  s.respond(200, grpc);
  if (s.path == "/test.Echo/ServerStream") {
    for (int i = 0; i < 5; ++i) s.write(grpcMessage("item " + std::to_string(i)));
  } else {
    for (const std::string& m : messages) s.write(grpcMessage("echo:" + m));
  }
  s.finish({{"grpc-status", "0"}});
}

class GrpcTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "endpoint_dial_timeout: 1s\n";
  }
};

TEST_F(GrpcTest, UnaryCallWithTrailersAndDeadlineThroughHttp2OnBothSides) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  H2Request req = grpcCall("Unary", grpcMessage("hello"));
  req.headers.emplace_back("grpc-timeout", "5S");
  auto r = client.request(req);
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type").value_or(""), "application/grpc");
  std::string body = r->body;
  EXPECT_EQ(takeGrpcMessages(&body), std::vector<std::string>{"echo:hello"});
  EXPECT_EQ(r->trailer("grpc-status").value_or("missing"), "0");
  EXPECT_TRUE(r->header("x-vcap-request-id"));

  ASSERT_TRUE(be.waitForRequests(1));
  H2Backend::Stream seen = be.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/test.Echo/Unary");
  EXPECT_EQ(seen.authority, "grpc.example.com");
  EXPECT_EQ(findHeader(seen.headers, "te").value_or(""), "trailers");
  EXPECT_EQ(findHeader(seen.headers, "grpc-timeout").value_or(""), "5S");  // deadlines pass
  EXPECT_EQ(findHeader(seen.headers, "x-forwarded-for").value_or(""), "127.0.0.1");
  EXPECT_EQ(findHeader(seen.headers, "x-vcap-request-id").value_or("?"),
            r->header("x-vcap-request-id").value_or("!"));
  EXPECT_FALSE(findHeader(seen.headers, "connection"));
  EXPECT_FALSE(findHeader(seen.headers, "transfer-encoding"));
}

TEST_F(GrpcTest, ServerStreamingAndTrailersOnlyErrors) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  auto r = client.request(grpcCall("ServerStream", grpcMessage("go")));
  ASSERT_TRUE(r) << client.lastError();
  std::string body = r->body;
  EXPECT_EQ(takeGrpcMessages(&body),
            (std::vector<std::string>{"item 0", "item 1", "item 2", "item 3", "item 4"}));
  EXPECT_EQ(r->trailer("grpc-status").value_or("missing"), "0");

  auto err = client.request(grpcCall("NotFound", grpcMessage("x")));
  ASSERT_TRUE(err) << client.lastError();
  EXPECT_EQ(err->status, 200);
  EXPECT_EQ(err->header("grpc-status").value_or("missing"), "5");
  EXPECT_EQ(err->header("grpc-message").value_or(""), "no such thing");
  EXPECT_TRUE(err->body.empty());
}

TEST_F(GrpcTest, BidirectionalStreamingInterleavesMessages) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  const int32_t id = client.submit(grpcCall("Bidi", grpcMessage("one"), /*end=*/false));
  ASSERT_GT(id, 0) << client.lastError();
  // Each answer arrives while the call is still open: the router streams both ways at once.
  std::string got;
  auto messages = [&] {
    std::string copy = client.response(id).body;
    return takeGrpcMessages(&copy);
  };
  ASSERT_TRUE(client.run([&] { return messages().size() == 1; }, 5s)) << client.lastError();
  EXPECT_EQ(messages()[0], "bidi:one");
  ASSERT_TRUE(client.sendData(id, grpcMessage("two"), false));
  ASSERT_TRUE(client.run([&] { return messages().size() == 2; }, 5s)) << client.lastError();
  EXPECT_EQ(messages()[1], "bidi:two");
  EXPECT_FALSE(client.response(id).done());
  ASSERT_TRUE(client.sendData(id, grpcMessage("three"), true));
  ASSERT_TRUE(client.waitFor(id)) << client.lastError();
  EXPECT_EQ(messages(), (std::vector<std::string>{"bidi:one", "bidi:two", "bidi:three"}));
  EXPECT_EQ(client.response(id).trailer("grpc-status").value_or("missing"), "0");
  EXPECT_EQ(client.response(id).trailer("grpc-message").value_or(""), "bye");
}

TEST_F(GrpcTest, ManyStreamsShareOneBackendConnection) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  std::vector<int32_t> ids;
  for (int i = 0; i < 60; ++i) {
    ids.push_back(client.submit(grpcCall("Unary", grpcMessage("m" + std::to_string(i)))));
  }
  ASSERT_TRUE(client.run([&] {
    for (int32_t id : ids) {
      if (!client.response(id).done()) return false;
    }
    return true;
  })) << client.lastError();
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string body = client.response(ids[i]).body;
    EXPECT_EQ(takeGrpcMessages(&body), std::vector<std::string>{"echo:m" + std::to_string(i)});
    EXPECT_EQ(client.response(ids[i]).trailer("grpc-status").value_or(""), "0");
  }
  EXPECT_EQ(be.connectionsAccepted(), 1u);  // one worker, one multiplexed connection
}

TEST_F(GrpcTest, Http1ClientsReachHttp2BackendsWithTrailers) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  HttpClient client(port());
  const std::string msg = grpcMessage("from h1");
  auto r = client.request("POST /test.Echo/Unary HTTP/1.1\r\nHost: grpc.example.com\r\n"
                          "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: " +
                          std::to_string(msg.size()) + "\r\n\r\n" + msg);
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunked);
  std::string body = r->body;
  EXPECT_EQ(takeGrpcMessages(&body), std::vector<std::string>{"echo:from h1"});
  EXPECT_EQ(findHeader(r->trailers, "grpc-status").value_or("missing"), "0");
  // Plain requests too, on the same keep-alive connection.
  be.setHandler([](H2Backend::Stream& s, H2Backend::Event e, std::string_view) {
    if (e == H2Backend::Event::End) {
      s.respond(200, {{"content-type", "text/plain"}, {"content-length", "2"}});
      s.write("ok");
      s.finish();
    }
  });
  auto plain = client.get("grpc.example.com", "/plain");
  ASSERT_TRUE(plain) << client.lastError();
  EXPECT_EQ(plain->body, "ok");
  EXPECT_FALSE(plain->chunked);
}

TEST_F(GrpcTest, LargeBodiesBothWaysThroughAnHttp2Backend) {
  H2Backend be("g");
  be.setHandler([](H2Backend::Stream& s, H2Backend::Event e, std::string_view) {
    if (e == H2Backend::Event::End) {
      s.respond(200, {{"content-type", "application/octet-stream"}});
      s.write(s.body);
      s.write(s.body);
      s.finish({{"x-size", std::to_string(s.body.size())}});
    }
  });
  addRoute("grpc.example.com", be.port(), kHttp2);
  const std::string big = patternBody(3 * 1024 * 1024 + 5);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  H2Request req;
  req.method = "POST";
  req.authority = "grpc.example.com";
  req.path = "/upload";
  req.body = big;
  auto r = client.request(req, 30s);
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 2 * big.size());
  EXPECT_TRUE(r->body == big + big);
  EXPECT_EQ(r->trailer("x-size").value_or(""), std::to_string(big.size()));
}

TEST_F(GrpcTest, BackendFailuresStayOnTheirStream) {
  H2Backend be("g");
  be.setHandler(grpcService);
  addRoute("grpc.example.com", be.port(), kHttp2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  // Reset by the backend before answering: not retried (a POST that was sent), 502.
  auto reset = client.request(grpcCall("Reset", grpcMessage("x")));
  ASSERT_TRUE(reset) << client.lastError();
  EXPECT_EQ(reset->status, 502);
  EXPECT_EQ(reset->header("x-cf-routererror").value_or("").rfind("endpoint_failure", 0), 0u);
  // A call in flight when the backend drops its connection is reset; the client's connection
  // lives on and the next call gets a fresh backend connection.
  const int32_t open = client.submit(grpcCall("Bidi", grpcMessage("one"), /*end=*/false));
  ASSERT_TRUE(client.run([&] { return !client.response(open).body.empty(); }, 5s));
  be.dropConnections();
  ASSERT_TRUE(client.waitFor(open)) << client.lastError();
  EXPECT_TRUE(client.response(open).reset);
  auto after = client.request(grpcCall("Unary", grpcMessage("again")));
  ASSERT_TRUE(after) << client.lastError();
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->trailer("grpc-status").value_or(""), "0");
  EXPECT_FALSE(client.goawayReceived());
}

TEST_F(GrpcTest, UnreachableHttp2EndpointIsRetriedElsewhere) {
  H2Backend be("g");
  be.setHandler(grpcService);
  const uint16_t dead = freeTcpPort();
  addRoute("grpc.example.com", dead, kHttp2, 1);
  addRoute("grpc.example.com", be.port(), kHttp2, 2);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  for (int i = 0; i < 4; ++i) {
    auto r = client.request(grpcCall("Unary", grpcMessage("r")));
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->trailer("grpc-status").value_or(""), "0");
  }
  EXPECT_EQ(be.requestCount(), 4u);
}

// HTTP/2 backends over TLS (tls_port + protocol http2): the router dials TLS with the SAN
// checked and ALPN h2; a backend that does not agree to h2 fails the stream, never the router.
class GrpcTlsBackendTest : public RouterFixture {
 protected:
  GrpcTlsBackendTest()
      : ca_("gRPC backend CA"), cert_(ca_.issue({.common_name = "g", .dns = {"grpc.internal"}})) {}
  void configure(RouterOptions& options) override {
    options.extra_yaml = "endpoint_dial_timeout: 1s\nca_certs: " + yamlBlock(ca_.cert_pem(), 2);
  }
  std::string tlsHttp2Fields(uint16_t tls_port) const {
    return std::string(kHttp2) + ",\"tls_port\":" + std::to_string(tls_port) +
           ",\"server_cert_domain_san\":\"grpc.internal\"";
  }
  TestCa ca_;
  TestCert cert_;
};

TEST_F(GrpcTlsBackendTest, UnaryAndStreamingCallsOverTlsWithAlpnH2) {
  H2Backend be("g");
  be.setHandler(grpcService);
  TlsServerRelay tls(be.port(), {.cert = cert_, .alpn = {"h2"}});
  addRoute("grpc.example.com", tls.port(), tlsHttp2Fields(tls.port()));
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  for (int i = 0; i < 3; ++i) {  // three calls share one TLS connection to the backend
    auto r = client.request(grpcCall("Unary", grpcMessage("m" + std::to_string(i))));
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200);
    std::string body = r->body;
    EXPECT_EQ(takeGrpcMessages(&body), std::vector<std::string>{"echo:m" + std::to_string(i)});
    EXPECT_EQ(r->trailer("grpc-status").value_or("missing"), "0");
  }
  auto stream = client.request(grpcCall("ServerStream", grpcMessage("x")));
  ASSERT_TRUE(stream) << client.lastError();
  std::string body = stream->body;
  EXPECT_EQ(takeGrpcMessages(&body).size(), 5u);
  EXPECT_EQ(tls.handshakeCount(), 1u);
  EXPECT_EQ(tls.handshakes()[0].alpn, "h2");
}

TEST_F(GrpcTlsBackendTest, BackendWithoutH2OrWithTheWrongNameFailsTheCall) {
  H2Backend be("g");
  be.setHandler(grpcService);
  TlsServerRelay no_h2(be.port(), {.cert = cert_, .alpn = {"http/1.1"}});
  addRoute("grpc.example.com", no_h2.port(), tlsHttp2Fields(no_h2.port()));
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  auto r = client.request(grpcCall("Unary", grpcMessage("hello")));
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 502);
  EXPECT_TRUE(router_->waitForLog("did not agree to h2")) << router_->logs();

  TestCert wrong = ca_.issue({.common_name = "w", .dns = {"other.internal"}});
  TlsServerRelay wrong_name(be.port(), {.cert = wrong, .alpn = {"h2"}});
  addRoute("grpc2.example.com", wrong_name.port(), tlsHttp2Fields(wrong_name.port()));
  H2Request req = grpcCall("Unary", grpcMessage("hello"));
  req.authority = "grpc2.example.com";
  auto r2 = client.request(req);
  ASSERT_TRUE(r2) << client.lastError();
  EXPECT_GE(r2->status, 500);
  EXPECT_EQ(be.requestCount(), 0u);
}

}  // namespace
}  // namespace foundry::test
