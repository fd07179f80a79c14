// HTTP/2 from clients (h2c with prior knowledge on the plain port) to HTTP/1.1 backends, through
// the real router binary: each stream is proxied exactly as an HTTP/1.1 request is (routing,
// header rewriting, retries, sticky sessions, errors, access log, metrics), with flow control
// both ways and a graceful GOAWAY on drain. Also the nghttp2 project's own tools (nghttp,
// h2load) against the router.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/shell.h"
#include "tests/test_common/h2_client.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class Http2Test : public RouterFixture {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/http2-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    RouterFixture::SetUp();
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ec);
  }
  void configure(RouterOptions& options) override {
    options.extra_yaml = "access_log:\n  file: " + dir_ + "/access.log\n" +
                         "max_request_header_bytes: 8192\n"
                         "drain_wait: 0s\ndrain_timeout: 10s\n";
  }
  std::string dir_;
};

TEST_F(Http2Test, StreamIsRoutedWithTheHttp1HeaderRewriting) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port(),
           "\"app\":\"app-guid-1\",\"private_instance_id\":\"inst-1\","
           "\"private_instance_index\":\"3\"");
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  auto r = client.get("app.example.com", "/hello?x=1",
                      {{"x-forwarded-for", "10.0.0.1"}, {"cookie", "a=1"}, {"cookie", "b=2"}});
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "backend a");
  EXPECT_TRUE(r->header("x-vcap-request-id"));
  EXPECT_FALSE(r->header("connection"));  // HTTP/2 has none

  ASSERT_TRUE(a.waitForRequests(1));
  BackendRequest req = *a.lastRequest();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/hello?x=1");
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.header("Host").value_or(""), "app.example.com");
  EXPECT_EQ(req.header("X-Forwarded-For").value_or(""), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(req.header("X-Forwarded-Proto").value_or(""), "http");
  EXPECT_EQ(req.header("X-Vcap-Request-Id").value_or("?"),
            r->header("x-vcap-request-id").value_or("!"));
  EXPECT_EQ(req.header("X-CF-ApplicationID").value_or(""), "app-guid-1");
  EXPECT_EQ(req.header("X-CF-InstanceID").value_or(""), "inst-1");
  EXPECT_EQ(req.header("X-CF-InstanceIndex").value_or(""), "3");
  EXPECT_TRUE(req.header("X-Request-Start"));
  EXPECT_EQ(req.header("cookie").value_or(""), "a=1; b=2");  // RFC 9113 8.2.3
  EXPECT_FALSE(req.header("Connection"));  // the router's own, never forwarded
}

TEST_F(Http2Test, RouterErrorsAnswerOnTheStream) {
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  auto r = client.get("unknown.example.com", "/");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("x-cf-routererror").value_or(""), "unknown_route");
  EXPECT_EQ(r->body, "404 Not Found: Requested route ('unknown.example.com') does not exist.\n");
  // The connection serves the next stream.
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  r = client.get("app.example.com", "/");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  // A header block over max_request_header_bytes: 431 on that stream only.
  r = client.get("app.example.com", "/", {{"x-big", std::string(9000, 'x')}});
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("x-cf-routererror").value_or(""), "max-request-size-exceeded");
  r = client.get("app.example.com", "/");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(a.requestCount(), 2u);
}

TEST_F(Http2Test, ManyConcurrentStreamsAreEachRoutedToTheirApp) {
  FakeBackend a("a"), b("b"), c("c");
  for (FakeBackend* be : {&a, &b, &c}) {
    be->setHandler([be](const BackendRequest& r) {
      BackendResponse resp = BackendResponse::text(200, be->name() + " " + r.target);
      resp.delay = 20ms;  // keep them in flight together
      return resp;
    });
  }
  addRoute("a.example.com", a.port());
  addRoute("b.example.com", b.port());
  addRoute("c.example.com", c.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  const char* hosts[] = {"a.example.com", "b.example.com", "c.example.com"};
  std::vector<std::pair<int32_t, std::string>> streams;
  for (int i = 0; i < 90; ++i) {
    H2Request req;
    req.authority = hosts[i % 3];
    req.path = "/item/" + std::to_string(i);
    int32_t id = client.submit(req);
    ASSERT_GT(id, 0) << client.lastError();
    streams.emplace_back(id, std::string(1, "abc"[i % 3]) + " /item/" + std::to_string(i));
  }
  ASSERT_TRUE(client.run([&] {
    for (auto& [id, want] : streams) {
      if (!client.response(id).done()) return false;
    }
    return true;
  })) << client.lastError();
  for (auto& [id, want] : streams) {
    EXPECT_EQ(client.response(id).status, 200) << id;
    EXPECT_EQ(client.response(id).body, want) << id;
  }
  EXPECT_EQ(a.requestCount() + b.requestCount() + c.requestCount(), 90u);
}

TEST_F(Http2Test, LargeBodiesBothWaysWithAndWithoutContentLength) {
  FakeBackend a("a");
  const std::string big = patternBody(6 * 1024 * 1024 + 13);
  a.setHandler([&big](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(
        200, r.body == big ? big : "mismatch " + std::to_string(r.body.size()));
    resp.chunked = r.target == "/chunked";
    resp.headers.emplace_back("X-Request-Chunked", r.chunked ? "yes" : "no");
    return resp;
  });
  addRoute("app.example.com", a.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  for (const char* path : {"/length", "/chunked"}) {
    H2Request req;
    req.method = "POST";
    req.authority = "app.example.com";
    req.path = path;
    req.body = big;
    if (std::string(path) == "/length") {
      req.headers.emplace_back("content-length", std::to_string(big.size()));
    }
    auto r = client.request(req, 30s);
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body.size(), big.size()) << path;
    EXPECT_TRUE(r->body == big) << path;
    // Without a content-length the router announces the upload as chunked.
    EXPECT_EQ(r->header("x-request-chunked").value_or(""),
              std::string(path) == "/length" ? "no" : "yes");
  }
}

TEST_F(Http2Test, RetriesAndStickySessionsAsForHttp1) {
  FakeBackend a("a"), b("b");
  // A dead endpoint first in line: the GET is retried on the live ones.
  const uint16_t dead = freeTcpPort();
  addRoute("app.example.com", dead, "\"private_instance_id\":\"dead\"", 1);
  addRoute("app.example.com", a.port(), "\"private_instance_id\":\"inst-a\"", 2);
  addRoute("app.example.com", b.port(), "\"private_instance_id\":\"inst-b\"", 3);
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  for (int i = 0; i < 6; ++i) {
    auto r = client.get("app.example.com", "/");
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->status, 200) << r->body;
  }
  // Sticky: JSESSIONID set by the app pins later requests (cookie split over two fields).
  a.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "a");
    resp.headers.emplace_back("Set-Cookie", "JSESSIONID=s1; Path=/");
    return resp;
  });
  b.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "b");
    resp.headers.emplace_back("Set-Cookie", "JSESSIONID=s1; Path=/");
    return resp;
  });
  auto first = client.get("app.example.com", "/");
  ASSERT_TRUE(first) << client.lastError();
  std::string vcap;
  for (auto& [name, value] : first->headers) {
    if (name == "set-cookie" && value.rfind("__VCAP_ID__=", 0) == 0) {
      vcap = value.substr(12, value.find(';') - 12);
    }
  }
  ASSERT_EQ(vcap, first->body == "a" ? "inst-a" : "inst-b");
  for (int i = 0; i < 5; ++i) {
    auto r = client.get("app.example.com", "/",
                        {{"cookie", "JSESSIONID=s1"}, {"cookie", "__VCAP_ID__=" + vcap}});
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->body, first->body);
  }
}

TEST_F(Http2Test, BackendDyingMidBodyResetsOnlyThatStream) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    if (r.target == "/cut") {
      BackendResponse resp = BackendResponse::text(200, std::string(200000, 'c'));
      resp.truncate_after = 50000;
      return resp;
    }
    if (r.target == "/reset") {
      BackendResponse resp;
      resp.reset_without_response = true;
      return resp;
    }
    BackendResponse resp = BackendResponse::text(200, "slow ok");
    resp.delay = 300ms;
    return resp;
  });
  addRoute("app.example.com", a.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  H2Request slow;
  slow.authority = "app.example.com";
  slow.path = "/slow";
  const int32_t slow_id = client.submit(slow);
  H2Request cut = slow;
  cut.path = "/cut";
  const int32_t cut_id = client.submit(cut);
  H2Request reset = slow;
  reset.method = "POST";  // not retried once sent
  reset.path = "/reset";
  reset.body = "x";
  const int32_t reset_id = client.submit(reset);
  ASSERT_TRUE(client.waitFor(cut_id)) << client.lastError();
  ASSERT_TRUE(client.waitFor(reset_id)) << client.lastError();
  ASSERT_TRUE(client.waitFor(slow_id)) << client.lastError();
  // Cut after the head: the stream is reset.
  EXPECT_TRUE(client.response(cut_id).reset);
  EXPECT_EQ(client.response(cut_id).reset_code, uint32_t{NGHTTP2_INTERNAL_ERROR});
  EXPECT_LT(client.response(cut_id).body.size(), 200000u);
  // Gone before answering: 502 on that stream.
  EXPECT_EQ(client.response(reset_id).status, 502);
  EXPECT_EQ(client.response(reset_id).header("x-cf-routererror").value_or("").rfind(
                "endpoint_failure", 0),
            0u);
  // The other stream and the connection are fine.
  EXPECT_EQ(client.response(slow_id).status, 200);
  EXPECT_EQ(client.response(slow_id).body, "slow ok");
  EXPECT_FALSE(client.goawayReceived());
  auto again = client.get("app.example.com", "/again");
  ASSERT_TRUE(again) << client.lastError();
  EXPECT_EQ(again->status, 200);
}

TEST_F(Http2Test, AccessLogAndMetricsCountStreams) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  auto r = client.get("app.example.com", "/logged", {{"user-agent", "h2-test/1.0"}});
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 200);
  r = client.get("nowhere.example.com", "/x");
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 404);

  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = readFile(dir_ + "/access.log");
    if (std::count(log.begin(), log.end(), '\n') >= 2) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(log.find("app.example.com - ["), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /logged HTTP/2.0\" 200 0 9 \"-\" \"h2-test/1.0\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("\"GET /x HTTP/2.0\" 404"), std::string::npos) << log;
  EXPECT_NE(log.find("x_cf_routererror:\"unknown_route\""), std::string::npos) << log;

  auto m = httpGet(router_->statusPort(), "localhost", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("responses{status_group=\"2xx\"} 1"), std::string::npos) << m->body;
  // As for HTTP/1.1, the 404 reached no endpoint: a rejected request, not a response.
  EXPECT_NE(m->body.find("\nrejected_requests 1\n"), std::string::npos) << m->body;
}

TEST_F(Http2Test, RequestBodyStreamsBeforeTheClientFinishes) {
  // A raw backend that answers as soon as it has seen the first part of the body: the router
  // must forward it while the client still holds the rest.
  int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<sockaddr*>(&sin), len), 0);
  ASSERT_EQ(::listen(listen_fd, 4), 0);
  getsockname(listen_fd, reinterpret_cast<sockaddr*>(&sin), &len);
  std::atomic<bool> saw_first{false};
  std::thread backend([&] {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string got;
    char buf[4096];
    while (got.find("first-part") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    saw_first = got.find("first-part") != std::string::npos;
    while (got.find("\r\n0\r\n\r\n") == std::string::npos) {  // the chunked end
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    ::send(fd, resp, sizeof resp - 1, MSG_NOSIGNAL);
    ::close(fd);
  });
  addRoute("app.example.com", ntohs(sin.sin_port));
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  H2Request req;
  req.method = "POST";
  req.authority = "app.example.com";
  req.path = "/upload";
  req.body = "first-part";
  req.end_stream = false;
  const int32_t id = client.submit(req);
  ASSERT_GT(id, 0);
  EXPECT_TRUE(client.run([&] { return saw_first.load(); }, 5s));
  EXPECT_FALSE(client.response(id).done());
  ASSERT_TRUE(client.sendData(id, "rest", true));
  ASSERT_TRUE(client.waitFor(id)) << client.lastError();
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body, "ok");
  backend.join();
  ::close(listen_fd);
}

TEST_F(Http2Test, ASlowClientThrottlesTheBackend) {
  // 48 MiB to a client that acknowledges nothing: the router holds a bounded amount (the
  // client's 64 KiB window, the stream's buffers and the socket buffers), not the body.
  FakeBackend a("a");
  const size_t size = 48 * 1024 * 1024;
  a.setHandler([size](const BackendRequest&) {
    return BackendResponse::text(200, std::string(size, 'z'));
  });
  addRoute("app.example.com", a.port());
  H2ClientOptions options;
  options.manual_window = true;
  H2Client client(port(), options);
  ASSERT_TRUE(client.connect());
  const long rss_before = rssKib(router_->pid());
  H2Request req;
  req.authority = "app.example.com";
  req.path = "/big";
  const int32_t id = client.submit(req);
  ASSERT_GT(id, 0);
  // The first window's worth arrives, then nothing more while we do not acknowledge.
  client.run([&] { return client.response(id).body.size() >= 65535; }, 5s);
  client.run([] { return false; }, 1s);
  EXPECT_EQ(client.response(id).body.size(), 65535u);
  const long rss_stalled = rssKib(router_->pid());
  EXPECT_LT(rss_stalled - rss_before, 16 * 1024) << rss_before << " -> " << rss_stalled;
  // Acknowledging lets the rest through, intact.
  ASSERT_TRUE(client.run(
      [&] {
        client.consume(id);
        return client.response(id).done();
      },
      60s))
      << client.lastError();
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body.size(), size);
}

TEST_F(Http2Test, DrainSendsGoawayAndFinishesStreamsInFlight) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(200, "done " + r.target);
    if (r.target == "/slow") resp.delay = 1500ms;
    return resp;
  });
  addRoute("app.example.com", a.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  H2Request slow;
  slow.authority = "app.example.com";
  slow.path = "/slow";
  const int32_t id = client.submit(slow);
  ASSERT_TRUE(client.run([&] { return a.requestCount() == 1; }, 5s));
  router_->signal(SIGUSR1);
  ASSERT_TRUE(client.run([&] { return client.goawayReceived(); }, 5s)) << client.lastError();
  EXPECT_EQ(client.goawayCode(), uint32_t{NGHTTP2_NO_ERROR});
  ASSERT_TRUE(client.waitFor(id)) << client.lastError();
  EXPECT_EQ(client.response(id).status, 200);
  EXPECT_EQ(client.response(id).body, "done /slow");
  // The final GOAWAY names the stream in flight; the router then closes the connection.
  EXPECT_TRUE(client.run([&] { return client.closedByPeer(); }, 5s));
  EXPECT_GE(client.goawayLastStream(), id);
  auto status = router_->waitExit(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST_F(Http2Test, NghttpAndH2loadAgainstTheRouter) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  const std::string url = "http://127.0.0.1:" + std::to_string(port()) + "/tool";
  auto [status, out] = runShell("nghttp -v -H ':authority: app.example.com' " + url);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(":status: 200"), std::string::npos) << out;
  EXPECT_NE(out.find("x-vcap-request-id:"), std::string::npos) << out;
  auto [load_status, load] =
      runShell("h2load -n 400 -c 4 -m 10 -H ':authority: app.example.com' " + url);
  EXPECT_EQ(load_status, 0) << load;
  EXPECT_NE(load.find("400 succeeded, 0 failed, 0 errored"), std::string::npos) << load;
  EXPECT_NE(load.find("status codes: 400 2xx"), std::string::npos) << load;
  EXPECT_EQ(a.requestCount(), 401u);
}

TEST_F(Http2Test, Http1StillServedAndPrefaceOnlyAtTheStart) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient h1(port());
  auto r = h1.get("app.example.com", "/");
  ASSERT_TRUE(r) << h1.lastError();
  EXPECT_EQ(r->status, 200);
  // The preface after an HTTP/1.1 request is not a switch to HTTP/2: a bad request.
  ASSERT_TRUE(h1.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  auto bad = h1.readResponse(5s);
  ASSERT_TRUE(bad) << h1.lastError();
  EXPECT_EQ(bad->status, 400);
}

}  // namespace
}  // namespace foundry::test
