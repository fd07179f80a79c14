// PROXY protocol v1/v2 on the data port (`enable_proxy`, ROUTER-PROTOCOL.md 6.1 and 8.1),
// through the real router: the header's source becomes the client address in
// X-Forwarded-For and in the access log; an invalid header, or one not finished within 100 ms,
// closes the connection (logged, counted in /metrics); a connection without a header is plain
// HTTP, as with gorouter's optional go-proxyproto listener.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

std::string v2Header(unsigned char command, unsigned char family, const std::string& addresses) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h.push_back(static_cast<char>(0x20 | command));
  h.push_back(static_cast<char>(family));
  h.push_back(static_cast<char>(addresses.size() >> 8));
  h.push_back(static_cast<char>(addresses.size() & 0xFF));
  return h + addresses;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

const std::string kRequest = "GET /who HTTP/1.1\r\nHost: app.example.com\r\n\r\n";

class ProxyProtocolTest : public RouterFixture {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/proxy-protocol-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    RouterFixture::SetUp();
    backend_ = std::make_unique<FakeBackend>("a");
    addRoute("app.example.com", backend_->port());
  }

  void TearDown() override {
    backend_.reset();
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  void configure(RouterOptions& options) override {
    options.extra_yaml = "enable_proxy: true\naccess_log:\n  file: " + accessLogPath() + "\n";
  }

  std::string accessLogPath() const { return dir_ + "/access.log"; }

  // The access log line for request `n` (1-based), waiting for it to be written.
  std::string accessLine(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(accessLogPath());
      std::string line;
      size_t i = 0;
      while (std::getline(in, line)) {
        if (++i == n) return line;
      }
      std::this_thread::sleep_for(10ms);
    }
    return "";
  }

  // The X-Forwarded-For the backend saw for a request sent after `preamble` on a new connection.
  std::string forwardedFor(const std::string& preamble) {
    backend_->clearRequests();
    HttpClient c(port());
    auto r = c.request(preamble + kRequest);
    if (!r) return "no response: " + c.lastError();
    if (r->status != 200) return "status " + std::to_string(r->status);
    auto seen = backend_->lastRequest();
    return seen ? seen->header("X-Forwarded-For").value_or("<none>") : "<no request>";
  }

  std::string metric(const std::string& sample) {
    auto r = httpGet(router_->statusPort(), "localhost", "/metrics");
    if (!r) return "";
    std::istringstream in(r->body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(sample + " ", 0) == 0) return line.substr(sample.size() + 1);
    }
    return "";
  }

  bool waitForMetric(const std::string& sample, const std::string& value) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (metric(sample) == value) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<FakeBackend> backend_;
};

TEST_F(ProxyProtocolTest, V1SourceIsTheClientForForwardedForAndAccessLog) {
  HttpClient c(port());
  auto r = c.request("PROXY TCP4 203.0.113.7 10.0.0.1 40001 80\r\n" + kRequest);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(backend_->lastRequest()->header("X-Forwarded-For").value_or(""), "203.0.113.7");
  // Keep-alive: the next request on the connection comes from the same proxied client, and an
  // X-Forwarded-For it brings gets the proxied address appended.
  r = c.request(
      "GET /who HTTP/1.1\r\nHost: app.example.com\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n");
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(backend_->lastRequest()->header("X-Forwarded-For").value_or(""),
            "198.51.100.1, 203.0.113.7");
  const std::string first = accessLine(1);
  EXPECT_NE(first.find("\"203.0.113.7:40001\""), std::string::npos) << first;
  EXPECT_NE(first.find("x_forwarded_for:\"203.0.113.7\""), std::string::npos) << first;
  const std::string second = accessLine(2);
  EXPECT_NE(second.find("x_forwarded_for:\"198.51.100.1, 203.0.113.7\""), std::string::npos)
      << second;
}

TEST_F(ProxyProtocolTest, V1Tcp6AndUnknown) {
  EXPECT_EQ(forwardedFor("PROXY TCP6 2001:db8::7 ::1 40002 80\r\n"), "2001:db8::7");
  // UNKNOWN: the balancer could not tell; the socket's own address stays.
  EXPECT_EQ(forwardedFor("PROXY UNKNOWN\r\n"), "127.0.0.1");
}

TEST_F(ProxyProtocolTest, V2Tcp4Tcp6LocalAndTlvs) {
  // 192.0.2.10:51000 -> 10.0.0.1:80, then an ALPN TLV and an AWS VPC endpoint TLV (skipped).
  const std::string tcp4 = bytes({192, 0, 2, 10, 10, 0, 0, 1, 0xC7, 0x38, 0, 80}) +
                           bytes({0x01, 0, 2}) + "h2" + bytes({0xEA, 0, 5, 0x01}) + "vpce";
  EXPECT_EQ(forwardedFor(v2Header(1, 0x11, tcp4)), "192.0.2.10");
  std::string tcp6 = bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  tcp6 += std::string(15, '\0') + bytes({1, 0x01, 0xBB, 0, 80});
  EXPECT_EQ(forwardedFor(v2Header(1, 0x21, tcp6)), "2001:db8::7");
  // LOCAL (the balancer's own health check): the socket's address.
  EXPECT_EQ(forwardedFor(v2Header(0, 0x00, "")), "127.0.0.1");
  const std::string line = accessLine(1);
  EXPECT_NE(line.find("\"192.0.2.10:51000\""), std::string::npos) << line;
}

TEST_F(ProxyProtocolTest, HeaderSplitAcrossWritesIsReassembled) {
  HttpClient c(port());
  ASSERT_TRUE(c.sendSlowly("PROXY TCP4 203.0.113.9 10.0.0.1 40003 80\r\n", 14, 5ms));
  auto r = c.request(kRequest);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(backend_->lastRequest()->header("X-Forwarded-For").value_or(""), "203.0.113.9");
}

TEST_F(ProxyProtocolTest, InvalidHeaderClosesTheConnection) {
  const std::string invalid[] = {
      "PROXY TCP4 203.0.113.7 10.0.0.1 40001\r\n",       // a port missing
      "PROXY TCP4 2001:db8::1 10.0.0.1 40001 80\r\n",    // v6 address for TCP4
      "PROXY " + std::string(150, 'x'),                  // no CRLF within 107 bytes
      v2Header(1, 0x12, std::string(12, '\0')),          // v2 over UDP
  };
  for (const std::string& header : invalid) {
    HttpClient c(port());
    ASSERT_TRUE(c.send(header + kRequest));
    EXPECT_TRUE(c.waitForClose(2s)) << header;
    EXPECT_EQ(c.rawReceived(), "") << header;  // no HTTP response: the connection just goes
  }
  EXPECT_EQ(backend_->requestCount(), 0u);
  EXPECT_TRUE(waitForMetric("proxy_protocol_rejected_connections{reason=\"invalid\"}", "4"))
      << metric("proxy_protocol_rejected_connections{reason=\"invalid\"}");
  EXPECT_TRUE(router_->waitForLog("proxy-protocol-rejected")) << router_->logs();
}

TEST_F(ProxyProtocolTest, SlowHeaderTimesOut) {
  HttpClient c(port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("PROXY TCP4 203.0"));  // a signature, then nothing
  EXPECT_TRUE(c.waitForClose(3s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(c.rawReceived(), "");
  EXPECT_TRUE(waitForMetric("proxy_protocol_rejected_connections{reason=\"timeout\"}", "1"));
  EXPECT_EQ(backend_->requestCount(), 0u);
}

TEST_F(ProxyProtocolTest, PlainRequestsStillWork) {
  EXPECT_EQ(forwardedFor(""), "127.0.0.1");
  // A client that waits longer than the PROXY header timeout before its request is plain HTTP
  // too, not a timed-out header.
  HttpClient c(port());
  ASSERT_TRUE(c.connect());
  std::this_thread::sleep_for(300ms);
  auto r = c.request(kRequest);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  // Part of a v2 signature and then a pause: not a signature, so plain HTTP (here: a request
  // line starting with CRLF, which HTTP allows and the router ignores).
  HttpClient d(port());
  ASSERT_TRUE(d.send("\r\n"));
  std::this_thread::sleep_for(300ms);
  r = d.request(kRequest);
  ASSERT_TRUE(r) << d.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(metric("proxy_protocol_rejected_connections{reason=\"timeout\"}"), "0");
}

// Without enable_proxy (gorouter's default) a PROXY line is just a malformed request.
class ProxyProtocolOffTest : public RouterFixture {};

TEST_F(ProxyProtocolOffTest, HeaderIsABadRequest) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient c(port());
  auto r = c.request("PROXY TCP4 203.0.113.7 10.0.0.1 40001 80\r\n" + kRequest);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(a.requestCount(), 0u);
}

}  // namespace
}  // namespace foundry::test
