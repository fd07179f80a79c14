// Keep-alive, bodies, Expect: 100-continue, upgrades and bad input, through the real router
// binary (ROUTER-PROTOCOL.md sections 5, 6, 10).

#include <fstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class ProxyStreamingTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "read_header_timeout: 1s\nmax_request_header_bytes: 8192\n";
  }
};

TEST_F(ProxyStreamingTest, KeepAliveOnBothSidesReusesBackendConnections) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  for (int i = 0; i < 20; ++i) {
    auto r = client.get("app.example.com");
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->closed);
  }
  EXPECT_EQ(a.requestCount(), 20u);
  EXPECT_EQ(a.connectionsAccepted(), 1u);
}

TEST_F(ProxyStreamingTest, PipelinedRequestsAreAnsweredInOrder) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) { return BackendResponse::text(200, r.target); });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  ASSERT_TRUE(client.send("GET /1 HTTP/1.1\r\nHost: app.example.com\r\n\r\n"
                          "GET /2 HTTP/1.1\r\nHost: app.example.com\r\n\r\n"
                          "GET /3 HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  for (const char* want : {"/1", "/2", "/3"}) {
    auto r = client.readResponse();
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->body, want);
  }
}

TEST_F(ProxyStreamingTest, ContentLengthUploadAndDownloadStreamIntact) {
  FakeBackend a("a");
  const std::string big = patternBody(3 * 1024 * 1024 + 17);
  a.setHandler([&big](const BackendRequest& r) {
    return BackendResponse::text(200, r.body == big ? big : std::string("mismatch"));
  });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request("POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: " +
                          std::to_string(big.size()) + "\r\n\r\n" + big);
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), big.size());
  EXPECT_TRUE(r->body == big);
  // The connection is still usable.
  auto again = client.get("app.example.com");
  ASSERT_TRUE(again) << client.lastError();
}

TEST_F(ProxyStreamingTest, ChunkedBodiesPassThroughBothWays) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(200, r.body + "|" + (r.chunked ? "chunked" : "plain"));
    resp.chunked = true;
    resp.chunk_size = 3;
    return resp;
  });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request(
      "POST / HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(r->body, "hello world|chunked");
  auto again = client.get("app.example.com");
  ASSERT_TRUE(again) << client.lastError();
  EXPECT_EQ(again->status, 200);
}

TEST_F(ProxyStreamingTest, LargeResponseIsStreamedNotBuffered) {
  // 256 MiB through the router: its memory must stay far below the body size. Under
  // AddressSanitizer the router also carries shadow memory and a quarantine of freed buffers
  // (about 75 MiB seen in CI), still well under what buffering the body would take.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kRssLimitKib = 128 * 1024;
#else
  constexpr long kRssLimitKib = 64 * 1024;
#endif
  FakeBackend a("a");
  const size_t size = 256u * 1024 * 1024;
  a.setHandler([size](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, std::string(size, 'z'));
    return resp;
  });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  ASSERT_TRUE(client.send("GET /big HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  // Read slowly at first so the router has to hold back the backend.
  std::string first = client.readSome();
  ASSERT_FALSE(first.empty());
  std::this_thread::sleep_for(300ms);
  long rss_kib = rssKib(router_->pid());
  // Then drain 32 MiB more: the bytes keep flowing while memory stays flat.
  size_t got = first.size();
  while (got < 32u * 1024 * 1024) {
    std::string more = client.readSome(5s);
    ASSERT_FALSE(more.empty()) << "stalled after " << got << " bytes";
    got += more.size();
  }
  rss_kib = std::max(rss_kib, rssKib(router_->pid()));
  EXPECT_GT(rss_kib, 0);
  EXPECT_LT(rss_kib, kRssLimitKib) << "router RSS while streaming 256 MiB: " << rss_kib << " KiB";
}

TEST_F(ProxyStreamingTest, ExpectContinueIsRelayed) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) { return BackendResponse::text(200, "got " + r.body); });
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  ASSERT_TRUE(client.send("PUT /x HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 4\r\n"
                          "Expect: 100-continue\r\n\r\n"));
  auto interim = client.readResponse();
  ASSERT_TRUE(interim) << client.lastError();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("data"));
  auto r = client.readResponse();
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "got data");
  auto req = a.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_TRUE(req->sent_100_continue);
  // gorouter closes the backend connection after a 100-continue exchange.
  EXPECT_EQ(req->header("Connection").value_or(""), "close");
}

TEST_F(ProxyStreamingTest, WebSocketUpgradeTunnelsBytes) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest&) { return BackendResponse::webSocketUpgrade(); });
  addRoute("ws.example.com", a.port());
  HttpClient client(port());
  auto r = client.request(
      "GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->header("Upgrade").value_or(""), "websocket");
  auto req = a.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header("Upgrade").value_or(""), "websocket");
  EXPECT_EQ(req->header("Sec-WebSocket-Key").value_or(""), "dGhlIHNhbXBsZSBub25jZQ==");
  ASSERT_TRUE(client.send("ping-1"));
  EXPECT_EQ(client.readExact(6).value_or(""), "ping-1");
  ASSERT_TRUE(client.send("second message"));
  EXPECT_EQ(client.readExact(14).value_or(""), "second message");
}

TEST_F(ProxyStreamingTest, MalformedRequestGets400AndClose) {
  HttpClient client(port());
  auto r = client.request("THIS IS NOT HTTP\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError() << client.rawReceived();
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(client.waitForClose(2s));
}

TEST_F(ProxyStreamingTest, UnsupportedVersionGetsRaw400) {
  HttpClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/2.0\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(client.waitForClose(2s));
  EXPECT_EQ(client.rawReceived().rfind("HTTP/1.0 400 Bad Request\r\n", 0), 0u) << client.rawReceived();
}

TEST_F(ProxyStreamingTest, OversizedHeadersGet431AndClose) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request("GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Big: " +
                          std::string(9000, 'x') + "\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "max-request-size-exceeded");
  EXPECT_TRUE(client.waitForClose(2s));
  EXPECT_EQ(a.requestCount(), 0u);
}

TEST_F(ProxyStreamingTest, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient slow(port());
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHost: app"));
  // Meanwhile other clients are served normally.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(httpGet(port(), "app.example.com", "/")->status, 200);
  // read_header_timeout is 1 s: the slow client is disconnected without a response.
  EXPECT_TRUE(slow.waitForClose(3s));
  EXPECT_EQ(slow.rawReceived(), "");
}

TEST_F(ProxyStreamingTest, BackendDyingMidResponseTruncatesAndClosesOnlyThatClient) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(200, std::string(100000, 'q'));
    if (r.target == "/die") resp.truncate_after = 5000;
    return resp;
  });
  addRoute("app.example.com", a.port());
  HttpClient victim(port());
  ASSERT_TRUE(victim.send("GET /die HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  EXPECT_FALSE(victim.readResponse(5s));  // incomplete body, then the router closes
  EXPECT_TRUE(victim.peerClosed() || victim.waitForClose(2s));
  EXPECT_GT(victim.rawReceived().size(), 0u);
  auto ok = httpGet(port(), "app.example.com", "/fine");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.size(), 100000u);
}

TEST_F(ProxyStreamingTest, HeadResponsesHaveNoBody) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request("HEAD / HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  auto next = client.get("app.example.com");
  ASSERT_TRUE(next) << client.lastError();
  EXPECT_EQ(next->body, "backend a");
}

TEST_F(ProxyStreamingTest, Http10ClientGetsAnswerAndClose) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request("GET / HTTP/1.0\r\nHost: app.example.com\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "backend a");
  EXPECT_TRUE(client.waitForClose(2s));
}

}  // namespace
}  // namespace foundry::test
