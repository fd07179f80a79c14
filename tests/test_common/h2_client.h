#pragma once
// H2Client: an HTTP/2 client for tests, on nghttp2's client API over one blocking TCP
// connection (h2c with prior knowledge). Single-threaded: the caller drives it with run()/
// waitFor(), which pump frames both ways until a condition holds or a deadline passes.
//
//   H2Client c(router.port());
//   ASSERT_TRUE(c.connect());
//   auto r = c.get("app.example.com", "/path");          // one request, waits for the end
//   ASSERT_TRUE(r) << c.lastError();
//   EXPECT_EQ(r->status, 200);
//
// For streaming and flow-control tests: submit() with a body left open, then sendData();
// options.manual_window keeps received DATA unacknowledged until consume() (a client that does
// not read); raw frames can be written with sendRaw() (frame() builds one).

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tests/test_common/http_wire.h"

namespace foundry::test {

struct H2Response {
  int status = 0;
  Headers headers;  // ":status" apart, in received order
  std::string body;
  Headers trailers;
  bool complete = false;   // END_STREAM received
  bool reset = false;      // RST_STREAM received (or the stream was refused)
  uint32_t reset_code = 0;
  size_t data_frames = 0;

  std::optional<std::string> header(std::string_view name) const {
    return findHeader(headers, name);
  }
  std::optional<std::string> trailer(std::string_view name) const {
    return findHeader(trailers, name);
  }
  bool done() const { return complete || reset; }
};

struct H2Request {
  std::string method = "GET";
  std::string authority;
  std::string path = "/";
  std::string scheme = "http";
  Headers headers;       // regular fields (lower-case names)
  std::string body;      // sent as DATA
  bool end_stream = true;  // false: the body stays open for sendData()
};

struct H2ClientOptions {
  // SETTINGS_INITIAL_WINDOW_SIZE we announce (nghttp2's default 65535 when 0... use -1 to keep).
  int64_t initial_window = -1;
  // Received DATA is not acknowledged (no WINDOW_UPDATE) until consume(): a client that stops
  // reading.
  bool manual_window = false;
};

class H2Client {
 public:
  explicit H2Client(uint16_t port, H2ClientOptions options = {});
  ~H2Client();
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // TCP connect, then the preface and SETTINGS (sent at once).
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void close();

  // Starts a request; returns its stream id (or -1, see lastError()).
  int32_t submit(const H2Request& request);
  // Appends to an open body; `end` closes it. Data waits for the peer's window as needed.
  bool sendData(int32_t stream, std::string_view data, bool end);
  void resetStream(int32_t stream, uint32_t code = NGHTTP2_CANCEL);
  void ping();
  // Acknowledges (WINDOW_UPDATE) everything received on `stream` so far (manual_window).
  void consume(int32_t stream);

  // Exchanges frames until pred() holds (true) or the timeout passes / the connection ends
  // (false; pred() is checked once more).
  bool run(const std::function<bool()>& pred,
           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool waitFor(int32_t stream, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  H2Response& response(int32_t stream) { return responses_[stream]; }

  // One request, waited for: nullopt on timeout or when the connection ended first.
  std::optional<H2Response> request(const H2Request& request,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::optional<H2Response> get(const std::string& authority, const std::string& path = "/",
                                const Headers& headers = {});

  // Raw bytes on the socket (after connect(): the preface and SETTINGS are already out).
  bool sendRaw(std::string_view bytes);

  bool connected() const { return fd_ >= 0 && !closed_; }
  bool closedByPeer() const { return closed_; }
  bool goawayReceived() const { return goaway_; }
  uint32_t goawayCode() const { return goaway_code_; }
  int32_t goawayLastStream() const { return goaway_last_stream_; }
  uint32_t pingAcks() const { return ping_acks_; }
  // The server's SETTINGS_MAX_CONCURRENT_STREAMS (0 until received).
  uint32_t serverMaxStreams() const { return server_max_streams_; }
  const std::string& lastError() const { return error_; }
  int fd() const { return fd_; }

 private:
  struct Outgoing {
    std::string data;
    size_t offset = 0;
    bool end = false;
    bool deferred = false;
  };

  static ssize_t readBody(nghttp2_session*, int32_t stream, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void* user);
  bool flush();
  bool pumpOnce(int timeout_ms);

  uint16_t port_;
  H2ClientOptions options_;
  int fd_ = -1;
  bool closed_ = false;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, H2Response> responses_;
  std::map<int32_t, Outgoing> outgoing_;
  std::map<int32_t, size_t> unconsumed_;
  bool goaway_ = false;
  uint32_t goaway_code_ = 0;
  int32_t goaway_last_stream_ = -1;
  uint32_t ping_acks_ = 0;
  uint32_t server_max_streams_ = 0;
  std::string error_;
};

// One HTTP/2 frame: 9-byte header + payload.
std::string h2Frame(uint8_t type, uint8_t flags, int32_t stream, std::string_view payload);
// An HPACK block (no dynamic table use) for the given fields, pseudo-headers first.
std::string hpackBlock(const Headers& fields);

}  // namespace foundry::test
