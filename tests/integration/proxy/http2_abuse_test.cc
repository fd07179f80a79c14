// HTTP/2 attacks against the real router binary, each sent over a raw socket as hand-built
// frames: the router must bound them (GOAWAY, a reset, a timeout) and keep serving everyone
// else. Rapid reset (CVE-2023-44487), CONTINUATION flood (CVE-2024-27316 family), more streams
// than SETTINGS_MAX_CONCURRENT_STREAMS, zero-window stalls, a preface or header block left
// hanging, and a control-frame flood from a client that reads nothing.

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/h2_client.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                  kGoaway = 0x7, kContinuation = 0x9;
constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4, kAck = 0x1;
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string u32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A client that writes frames by hand and reads the server's frames raw.
class RawH2 {
 public:
  explicit RawH2(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawH2() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  // The preface and an empty SETTINGS; then the server's SETTINGS is acknowledged by read().
  bool start() { return send(std::string(kPreface) + h2Frame(kSettings, 0, 0, "")); }

  // Sends everything, for up to `timeout`: false if the peer stopped taking bytes or closed.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = 5s) {
    size_t off = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (off < bytes.size()) {
      ssize_t w = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w > 0) {
        off += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 20);
    }
    return true;
  }

  // Reads frames until `pred` holds, the connection closes or the timeout passes. SETTINGS
  // from the server is acknowledged; frames are tallied below.
  bool readUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (closed) return pred();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return pred();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<long>(left, 50))) <= 0) continue;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        closed = true;
        continue;
      }
      if (n > 0) in_.append(buf, static_cast<size_t>(n));
      parse();
    }
    return true;
  }

  bool waitClosed(std::chrono::milliseconds timeout) {
    return readUntil([this] { return closed; }, timeout);
  }

  bool auto_ack = true;  // acknowledge the server's SETTINGS (off: send nothing unasked)
  bool closed = false;
  bool goaway = false;
  uint32_t goaway_code = 0;
  size_t rst_streams = 0;
  size_t headers = 0;
  std::map<uint32_t, size_t> rst_codes;

 private:
  void parse() {
    while (in_.size() >= 9) {
      const size_t len = (static_cast<uint8_t>(in_[0]) << 16) |
                         (static_cast<uint8_t>(in_[1]) << 8) | static_cast<uint8_t>(in_[2]);
      if (in_.size() < 9 + len) return;
      const uint8_t type = static_cast<uint8_t>(in_[3]);
      const uint8_t flags = static_cast<uint8_t>(in_[4]);
      const std::string payload = in_.substr(9, len);
      in_.erase(0, 9 + len);
      auto be32 = [&](size_t at) {
        return (static_cast<uint32_t>(static_cast<uint8_t>(payload[at])) << 24) |
               (static_cast<uint32_t>(static_cast<uint8_t>(payload[at + 1])) << 16) |
               (static_cast<uint32_t>(static_cast<uint8_t>(payload[at + 2])) << 8) |
               static_cast<uint32_t>(static_cast<uint8_t>(payload[at + 3]));
      };
      if (type == kSettings && !(flags & kAck) && auto_ack) send(h2Frame(kSettings, kAck, 0, ""));
      if (type == kGoaway && payload.size() >= 8) {
        goaway = true;
        goaway_code = be32(4);
      }
      if (type == kRstStream && payload.size() >= 4) {
        ++rst_streams;
        ++rst_codes[be32(0)];
      }
      if (type == kHeaders) ++headers;
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

std::string requestBlock(const std::string& authority, const std::string& path) {
  return hpackBlock({{":method", "GET"},
                     {":scheme", "http"},
                     {":authority", authority},
                     {":path", path}});
}

class Http2AbuseTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml =
        "max_request_header_bytes: 8192\n"
        "read_header_timeout: 1s\n"
        "frontend_idle_timeout: 3s\n"
        "endpoint_timeout: 2s\n"
        "http2:\n  max_concurrent_streams: 100\n  max_resets_per_second: 100\n";
  }

  // The router still answers another client, over HTTP/2 and HTTP/1.1.
  void expectHealthy(const std::string& authority) {
    H2Client other(port());
    ASSERT_TRUE(other.connect());
    auto r = other.get(authority, "/still-alive");
    ASSERT_TRUE(r) << other.lastError();
    EXPECT_EQ(r->status, 200);
    auto h1 = httpGet(port(), authority, "/still-alive-h1");
    ASSERT_TRUE(h1);
    EXPECT_EQ(h1->status, 200);
    EXPECT_EQ(router_->healthStatus(), 200);
  }
};

TEST_F(Http2AbuseTest, RapidResetEndsTheConnectionWithEnhanceYourCalm) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "slow");
    resp.delay = 200ms;
    return resp;
  });
  addRoute("app.example.com", a.port());
  RawH2 attacker(port());
  ASSERT_TRUE(attacker.connected());
  ASSERT_TRUE(attacker.start());
  // HEADERS then RST_STREAM, over and over: each stream costs the client two small frames.
  std::string burst;
  const std::string block = requestBlock("app.example.com", "/reset");
  for (uint32_t i = 0; i < 1000; ++i) {
    const int32_t id = static_cast<int32_t>(2 * i + 1);
    burst += h2Frame(kHeaders, kEndHeaders | kEndStream, id, block);
    burst += h2Frame(kRstStream, 0, id, u32(8 /* CANCEL */));
  }
  attacker.send(burst);  // the router may stop reading part way: that is the point
  ASSERT_TRUE(attacker.readUntil([&] { return attacker.goaway; })) << router_->logs();
  EXPECT_EQ(attacker.goaway_code, 0xbu /* ENHANCE_YOUR_CALM */);
  EXPECT_TRUE(attacker.waitClosed(5s));
  EXPECT_TRUE(router_->waitForLog("http2-rapid-reset"));
  // Reset streams were cancelled, not served: far fewer backend requests than streams.
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(a.requestCount(), 300u);
  expectHealthy("app.example.com");
}

TEST_F(Http2AbuseTest, ResetsBelowTheLimitAreFine) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  H2Client client(port());
  ASSERT_TRUE(client.connect());
  for (int i = 0; i < 50; ++i) {
    H2Request req;
    req.authority = "app.example.com";
    int32_t id = client.submit(req);
    client.resetStream(id);
  }
  auto r = client.get("app.example.com", "/after-resets");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(client.goawayReceived());
}

TEST_F(Http2AbuseTest, OversizedHeaderBlockOverContinuationsEndsTheConnection) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  RawH2 attacker(port());
  ASSERT_TRUE(attacker.start());
  // One valid field whose value alone is 64 KiB, in 16 KiB frames: the encoded block passes
  // max_request_header_bytes (8 KiB) plus a frame long before it ends.
  const std::string block = hpackBlock({{":method", "GET"},
                                        {":scheme", "http"},
                                        {":authority", "app.example.com"},
                                        {":path", "/"},
                                        {"x-flood", std::string(64 * 1024, 'f')}});
  std::string frames = h2Frame(kHeaders, 0, 1, block.substr(0, 16384));
  for (size_t off = 16384; off < block.size(); off += 16384) {
    const bool last = off + 16384 >= block.size();
    frames += h2Frame(kContinuation, last ? kEndHeaders : 0, 1, block.substr(off, 16384));
  }
  attacker.send(frames);
  ASSERT_TRUE(attacker.readUntil([&] { return attacker.goaway; })) << router_->logs();
  EXPECT_EQ(attacker.goaway_code, 0xbu);
  EXPECT_TRUE(attacker.waitClosed(5s));
  EXPECT_EQ(a.requestCount(), 0u);
  expectHealthy("app.example.com");
}

TEST_F(Http2AbuseTest, EndlessTinyContinuationsEndTheConnection) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  RawH2 attacker(port());
  ASSERT_TRUE(attacker.start());
  // A header block that never ends: empty CONTINUATION frames, thousands of them.
  std::string frames =
      h2Frame(kHeaders, 0, 1, requestBlock("app.example.com", "/"));
  for (int i = 0; i < 5000; ++i) frames += h2Frame(kContinuation, 0, 1, "");
  attacker.send(frames);
  ASSERT_TRUE(attacker.readUntil([&] { return attacker.goaway && attacker.closed; }, 5s))
      << router_->logs();
  EXPECT_EQ(attacker.goaway_code, 0xbu);
  EXPECT_TRUE(router_->waitForLog("http2-continuation-flood"));
  EXPECT_EQ(a.requestCount(), 0u);
  expectHealthy("app.example.com");
}

TEST_F(Http2AbuseTest, StreamsBeyondTheAdvertisedLimitAreRefused) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "slow");
    resp.delay = 1000ms;
    return resp;
  });
  addRoute("app.example.com", a.port());
  RawH2 attacker(port());
  ASSERT_TRUE(attacker.start());
  // Let the SETTINGS exchange finish, so the limit of 100 is in force.
  attacker.readUntil([] { return false; }, 200ms);
  std::string frames;
  const std::string block = requestBlock("app.example.com", "/many");
  for (uint32_t i = 0; i < 150; ++i) {
    frames += h2Frame(kHeaders, kEndHeaders | kEndStream, static_cast<int32_t>(2 * i + 1), block);
  }
  ASSERT_TRUE(attacker.send(frames));
  // Going past the limit is a protocol error (nghttp2 answers with GOAWAY); at most 100 of the
  // streams ever reached a backend.
  ASSERT_TRUE(attacker.readUntil([&] { return attacker.goaway || attacker.rst_streams >= 50; }))
      << router_->logs();
  std::this_thread::sleep_for(1500ms);
  EXPECT_LE(a.requestCount(), 100u);
  expectHealthy("app.example.com");
}

TEST_F(Http2AbuseTest, ZeroWindowClientIsCutByTheEndpointTimeout) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    return BackendResponse::text(200, r.target == "/big" ? std::string(1 << 20, 'w') : "ok");
  });
  addRoute("app.example.com", a.port());
  H2ClientOptions options;
  options.initial_window = 0;  // not one byte of DATA may be sent to us
  H2Client staller(port(), options);
  ASSERT_TRUE(staller.connect());
  H2Request req;
  req.authority = "app.example.com";
  req.path = "/big";
  const int32_t id = staller.submit(req);
  ASSERT_GT(id, 0);
  // Meanwhile others are served.
  expectHealthy("app.example.com");
  // endpoint_timeout (2 s) cuts the response the client never made room for: its stream is
  // reset, and with no stream left the connection ends at frontend_idle_timeout (3 s).
  ASSERT_TRUE(staller.waitFor(id, 6s)) << staller.lastError();
  EXPECT_TRUE(staller.response(id).reset);
  EXPECT_EQ(staller.response(id).status, 200);  // HEADERS is not flow-controlled
  EXPECT_TRUE(staller.response(id).body.empty());
  EXPECT_TRUE(staller.run([&] { return staller.closedByPeer(); }, 6s));
  EXPECT_TRUE(staller.goawayReceived());
}

TEST_F(Http2AbuseTest, HangingPrefaceOrHeaderBlockIsClosedByTheHeaderTimeout) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  // Only the preface, then silence.
  RawH2 silent(port());
  silent.auto_ack = false;
  ASSERT_TRUE(silent.send(kPreface));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.waitClosed(4s));
  EXPECT_GT(std::chrono::steady_clock::now() - start, 500ms);  // the timeout, not an error
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(router_->waitForLog("http2-header-timeout"));
  // A request whose header block never ends, then silence.
  RawH2 hanging(port());
  hanging.auto_ack = false;
  ASSERT_TRUE(hanging.start());
  ASSERT_TRUE(hanging.send(h2Frame(kHeaders, 0, 1, requestBlock("app.example.com", "/"))));
  const auto hanging_start = std::chrono::steady_clock::now();
  EXPECT_TRUE(hanging.waitClosed(4s));
  EXPECT_GT(std::chrono::steady_clock::now() - hanging_start, 500ms);
  EXPECT_FALSE(hanging.goaway && hanging.goaway_code != 0) << hanging.goaway_code;
  EXPECT_EQ(a.requestCount(), 0u);
  expectHealthy("app.example.com");
}

TEST_F(Http2AbuseTest, ControlFrameFloodFromANonReadingClientIsBounded) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  const long rss_before = rssKib(router_->pid());
  RawH2 flooder(port());
  ASSERT_TRUE(flooder.start());
  // PINGs and SETTINGS by the ten thousand, reading nothing back. Each wants an ACK: the router
  // stops reading while its answers are not taken (so nothing grows past the socket buffers),
  // and more than 1000 unanswered control frames read at once is a flood (nghttp2 counts the
  // ACKs it holds) that ends the connection.
  std::string frames;
  for (int i = 0; i < 2000; ++i) {
    frames += h2Frame(kPing, 0, 0, std::string(8, 'p'));
    frames += h2Frame(kSettings, 0, 0, "");
  }
  for (int round = 0; round < 20; ++round) {
    if (!flooder.send(frames, 200ms)) break;  // the router stopped taking them, or closed
  }
  const long rss_after = rssKib(router_->pid());
  EXPECT_LT(rss_after - rss_before, 8 * 1024) << rss_before << " -> " << rss_after;
  expectHealthy("app.example.com");
  EXPECT_TRUE(flooder.waitClosed(10s));
  EXPECT_TRUE(router_->waitForLog("http2-connection-error"));
}

}  // namespace
}  // namespace foundry::test
