// Self-test of the test helpers FakeBackend and HttpClient, talking to each other directly
// (no router), so that integration tests can trust them.

#include "tests/test_common/fake_backend.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/test_common/http_client.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

TEST(FakeBackendTest, DefaultHandlerAnswersWithItsNameAndKeepsTheConnection) {
  FakeBackend be("a");
  ASSERT_TRUE(be.ok());
  ASSERT_NE(be.port(), 0);
  HttpClient client(be.port());
  for (int i = 0; i < 3; ++i) {
    auto r = client.get("app.example.com", "/path?q=" + std::to_string(i), {"X-Test: one"});
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->reason, "OK");
    EXPECT_EQ(r->version, "HTTP/1.1");
    EXPECT_EQ(r->body, "backend a");
    EXPECT_EQ(r->header("content-length"), "9");
    EXPECT_FALSE(r->closed);
  }
  EXPECT_EQ(be.connectionsAccepted(), 1u);
  ASSERT_EQ(be.requestCount(), 3u);
  auto reqs = be.requests();
  EXPECT_EQ(reqs[2].method, "GET");
  EXPECT_EQ(reqs[2].target, "/path?q=2");
  EXPECT_EQ(reqs[2].version, "HTTP/1.1");
  EXPECT_EQ(reqs[2].connection, 1u);
  EXPECT_EQ(reqs[2].index_on_connection, 2u);
  ASSERT_EQ(reqs[2].headers.size(), 2u);
  EXPECT_EQ(reqs[2].headers[0], (std::pair<std::string, std::string>{"Host", "app.example.com"}));
  EXPECT_EQ(reqs[2].headers[1], (std::pair<std::string, std::string>{"X-Test", "one"}));
  EXPECT_EQ(reqs[2].header("x-TEST"), "one");
}

TEST(FakeBackendTest, RecordsContentLengthAndChunkedBodies) {
  FakeBackend be;
  be.setHandler([](const BackendRequest& req) {
    return BackendResponse::text(201, "got " + std::to_string(req.body.size()));
  });
  HttpClient client(be.port());
  auto r = client.request("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->reason, "Created");
  EXPECT_EQ(r->body, "got 11");

  std::string body = patternBody(100000);
  r = client.request("PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     encodeChunked(body, 4000).substr(0, encodeChunked(body, 4000).size() - 2) +
                     "X-Trailer: t\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->body, "got 100000");

  auto reqs = be.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, "hello world");
  EXPECT_FALSE(reqs[0].chunked);
  EXPECT_EQ(reqs[1].method, "PUT");
  EXPECT_TRUE(reqs[1].chunked);
  EXPECT_EQ(reqs[1].body, body);
  ASSERT_EQ(reqs[1].trailers.size(), 1u);
  EXPECT_EQ(reqs[1].trailers[0].second, "t");
  EXPECT_EQ(be.connectionsAccepted(), 1u);
}

TEST(FakeBackendTest, LargeBodiesPlainAndChunked) {
  const std::string big = patternBody(3 << 20);
  FakeBackend be;
  be.setHandler([&](const BackendRequest& req) {
    BackendResponse r = BackendResponse::text(200, big);
    r.chunked = req.target == "/chunked";
    r.chunk_size = 100000;
    r.trailers = {{"X-Sum", "none"}};
    return r;
  });
  HttpClient client(be.port());
  auto plain = client.get("h", "/plain");
  ASSERT_TRUE(plain) << client.lastError();
  EXPECT_FALSE(plain->chunked);
  EXPECT_EQ(plain->header("Content-Length"), std::to_string(big.size()));
  EXPECT_TRUE(plain->body == big);

  auto chunked = client.get("h", "/chunked");
  ASSERT_TRUE(chunked) << client.lastError();
  EXPECT_TRUE(chunked->chunked);
  EXPECT_FALSE(chunked->hasHeader("Content-Length"));
  EXPECT_TRUE(chunked->body == big);
  EXPECT_EQ(findHeader(chunked->trailers, "x-sum"), "none");
}

TEST(FakeBackendTest, AnswersExpectContinueBeforeTheBody) {
  FakeBackend be;
  HttpClient client(be.port());
  ASSERT_TRUE(client.send(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto cont = client.readResponse(2s);
  ASSERT_TRUE(cont) << client.lastError();
  EXPECT_EQ(cont->status, 100);
  EXPECT_EQ(be.requestCount(), 0u);  // still waiting for the body
  ASSERT_TRUE(client.send("data"));
  auto r = client.readResponse();
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(be.requestCount(), 1u);
  EXPECT_TRUE(be.lastRequest()->sent_100_continue);
  EXPECT_EQ(be.lastRequest()->body, "data");

  // skip_informational hides the 100.
  auto r2 = client.request(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
      ReadOptions{.skip_informational = true});
  ASSERT_TRUE(r2) << client.lastError();
  EXPECT_EQ(r2->status, 200);
}

TEST(FakeBackendTest, ConnectionCloseIsHonouredAndReported) {
  FakeBackend be;
  HttpClient client(be.port());
  auto r = client.get("h", "/", {"Connection: close"});
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(r->closed);
  EXPECT_FALSE(client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  client.close();
  r = client.get("h");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(be.connectionsAccepted(), 2u);

  be.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "bye");
    resp.close = true;
    return resp;
  });
  r = client.get("h");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_TRUE(r->closed);
}

TEST(FakeBackendTest, BodyDelimitedByClose) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) {
    BackendResponse r = BackendResponse::text(200, "until the end");
    r.no_length = true;
    return r;
  });
  HttpClient client(be.port());
  auto r = client.get("h");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_TRUE(r->until_close);
  EXPECT_TRUE(r->closed);
  EXPECT_EQ(r->body, "until the end");
}

TEST(FakeBackendTest, TruncatedResponseIsAnErrorForTheClient) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) {
    BackendResponse r = BackendResponse::text(200, std::string(1000, 'x'));
    r.truncate_after = 200;
    return r;
  });
  HttpClient client(be.port());
  auto r = client.get("h");
  EXPECT_FALSE(r);
  EXPECT_TRUE(client.peerClosed());
  EXPECT_NE(client.lastError().find("closed"), std::string::npos) << client.lastError();
  EXPECT_EQ(client.rawReceived().size(), 200u);
}

TEST(FakeBackendTest, ResetWithoutResponse) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) {
    BackendResponse r;
    r.reset_without_response = true;
    return r;
  });
  HttpClient client(be.port());
  EXPECT_FALSE(client.get("h"));
  EXPECT_TRUE(client.peerClosed());
  EXPECT_EQ(be.requestCount(), 1u);
}

TEST(FakeBackendTest, DelayAndClientTimeout) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) {
    BackendResponse r = BackendResponse::text(200, "slow");
    r.delay = 300ms;
    return r;
  });
  HttpClient client(be.port());
  auto start = Clock::now();
  EXPECT_FALSE(client.get("h", "/", {}, ReadOptions{.timeout = 50ms}));
  EXPECT_NE(client.lastError().find("timeout"), std::string::npos) << client.lastError();
  auto r = client.readResponse(2s);  // the late answer still arrives on the same connection
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->body, "slow");
  EXPECT_GE(Clock::now() - start, 300ms);
}

TEST(FakeBackendTest, ChunkedStreamingWithDelays) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) {
    BackendResponse r = BackendResponse::text(200, "aaaabbbbcccc");
    r.chunked = true;
    r.chunk_size = 4;
    r.chunk_delay = 100ms;
    return r;
  });
  HttpClient client(be.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::string first = client.readSome(2s);
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_EQ(first.find("cccc"), std::string::npos);  // later chunks are not there yet
}

TEST(FakeBackendTest, PipelinedRequestsAnsweredInOrder) {
  FakeBackend be;
  be.setHandler([](const BackendRequest& req) { return BackendResponse::text(200, req.target); });
  HttpClient client(be.port());
  ASSERT_TRUE(client.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto r1 = client.readResponse();
  auto r2 = client.readResponse();
  ASSERT_TRUE(r1 && r2) << client.lastError();
  EXPECT_EQ(r1->body, "/1");
  EXPECT_EQ(r2->body, "/2");
}

TEST(FakeBackendTest, HeadAnd204HaveNoBody) {
  FakeBackend be;
  be.setHandler([](const BackendRequest& req) {
    return BackendResponse::text(req.target == "/empty" ? 204 : 200, "some body");
  });
  HttpClient client(be.port());
  auto head = client.request("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(head) << client.lastError();
  EXPECT_EQ(head->header("Content-Length"), "9");
  EXPECT_EQ(head->body, "");
  auto empty = client.get("h", "/empty");
  ASSERT_TRUE(empty) << client.lastError();
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->body, "");
  EXPECT_FALSE(empty->hasHeader("Content-Length"));
  auto after = client.get("h", "/");  // framing stayed in sync
  ASSERT_TRUE(after) << client.lastError();
  EXPECT_EQ(after->body, "some body");
}

TEST(FakeBackendTest, SlowlySentRequest) {
  FakeBackend be;
  HttpClient client(be.port());
  ASSERT_TRUE(client.sendSlowly("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", 5, 5ms));
  auto r = client.readResponse();
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(be.lastRequest()->target, "/slow");
}

TEST(FakeBackendTest, MalformedRequestGets400) {
  FakeBackend be;
  HttpClient client(be.port());
  auto r = client.request("this is not http\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(r->closed);
  EXPECT_EQ(be.requestCount(), 0u);
}

TEST(FakeBackendTest, WebSocketUpgradeEchoes) {
  FakeBackend be;
  be.setHandler([](const BackendRequest&) { return BackendResponse::webSocketUpgrade(); });
  HttpClient client(be.port());
  auto r = client.request(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->header("Upgrade"), "websocket");
  ASSERT_TRUE(client.send("ping-1"));
  EXPECT_EQ(client.readExact(6), "ping-1");
  std::string big = patternBody(200000);
  std::thread writer([&] { client.send(big); });
  auto echoed = client.readExact(big.size());
  writer.join();
  ASSERT_TRUE(echoed) << client.lastError();
  EXPECT_TRUE(*echoed == big);
  client.shutdownWrite();
  EXPECT_TRUE(client.waitForClose(2s));
}

TEST(FakeBackendTest, StopClosesIdleConnectionsAndTheListener) {
  auto be = std::make_unique<FakeBackend>("x");
  uint16_t port = be->port();
  HttpClient idle(port);
  ASSERT_TRUE(idle.get("h"));
  HttpClient waiting(port);
  be->setHandler([](const BackendRequest&) {
    BackendResponse r;
    r.delay = 60s;  // interrupted by stop()
    return r;
  });
  ASSERT_TRUE(waiting.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(be->waitForRequests(2));
  EXPECT_EQ(be->openConnections(), 2u);
  auto start = Clock::now();
  be->stop();
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(idle.waitForClose(2s));
  EXPECT_TRUE(waiting.waitForClose(2s));
  EXPECT_EQ(be->openConnections(), 0u);
  HttpClient late(port);
  EXPECT_FALSE(late.connect());
}

TEST(FakeBackendTest, ManyConcurrentClients) {
  FakeBackend be;
  constexpr int kClients = 16;
  constexpr int kRequests = 20;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      HttpClient client(be.port());
      for (int i = 0; i < kRequests; ++i) {
        auto r = client.get("h");
        ok += (r && r->status == 200) ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(be.requestCount(), size_t{kClients * kRequests});
  EXPECT_EQ(be.connectionsAccepted(), size_t{kClients});
}

TEST(HttpClientTest, ConnectFailureIsReported) {
  uint16_t port;
  {
    FakeBackend be;  // a port that was just released
    port = be.port();
  }
  HttpClient client(port);
  EXPECT_FALSE(client.get("h"));
  EXPECT_NE(client.lastError().find("connect"), std::string::npos) << client.lastError();
}

TEST(HttpClientTest, HeaderHelpers) {
  Headers h = {{"Connection", "keep-alive, Upgrade"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  EXPECT_TRUE(headerHasToken(h, "connection", "upgrade"));
  EXPECT_FALSE(headerHasToken(h, "connection", "close"));
  EXPECT_EQ(findHeaders(h, "SET-COOKIE"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(findHeader(h, "missing"), std::nullopt);
  EXPECT_EQ(encodeChunked("abcde", 2), "2\r\nab\r\n2\r\ncd\r\n1\r\ne\r\n0\r\n\r\n");
  EXPECT_NE(patternBody(1000).substr(0, 500), patternBody(1000).substr(1, 500));
}

}  // namespace
}  // namespace foundry::test
