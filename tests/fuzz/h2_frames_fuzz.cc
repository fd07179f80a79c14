// Fuzz target: the HTTP/2 frame path of the router (router/http2/): what a client sends after
// the connection preface, through nghttp2 and our callbacks (header blocks, limits, resets,
// request synthesis), into ClientSessions over memory links (router/proxy/memory_link.h) and
// back out as frames, exactly as on a worker: a real Worker (epoll) runs in this thread and the
// client is the other end of a socketpair.
//
// Routes: "app.example.com" goes to 127.0.0.1:1 (refused at once: the retry loop and 502),
// everything else is unknown (404). No backend is ever reached, so runs are hermetic.
//
// Input: byte 0 sets how the rest is written: (b0 & 63) + 1 times 32 bytes per write, with the
// loop run after each write (bit 6: read the router's output only at the end, a client that
// does not read). The rest follows the preface as the client's bytes.
//
// Checks: the router's output is a well-formed frame sequence (9-byte headers, length at most
// 16384, SETTINGS first, no frame on stream 0 that must have a stream and none on a stream
// that must not); after the client closes, the connection and every session are gone (no
// connection left counted, no link left queued: ASan reports a leak otherwise).

#include <errno.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/log/log.h"
#include "router/config/config.h"
#include "router/config/live_config.h"
#include "router/http2/h2_server_connection.h"
#include "router/proxy/worker.h"
#include "router/registry/route_registry.h"
#include "router/registry/table_publisher.h"
#include "router/route/route_key.h"

namespace {

using namespace foundry::router;

[[noreturn]] void fail(const char* what, std::string_view detail = "") {
  std::fprintf(stderr, "h2_frames_fuzz: %s: [%.*s]\n", what,
               static_cast<int>(std::min<size_t>(detail.size(), 200)), detail.data());
  std::abort();
}

// H2_FRAMES_FUZZ_VERBOSE=1 prints each frame the router sent (type, flags, stream, length):
// for looking at what a corpus file exercises.
const bool kVerbose = std::getenv("H2_FRAMES_FUZZ_VERBOSE") != nullptr;

struct Fixture {
  Config config;
  TablePublisher publisher;
  std::unique_ptr<LiveConfigPublisher> live;
  std::unique_ptr<Worker> worker;

  Fixture() {
    foundry::log::setLevel(kVerbose ? foundry::log::Level::Debug : foundry::log::Level::Fatal);
    config.max_request_header_bytes = 4096;
    config.max_attempts = 2;
    RouteRegistry registry(RouteRegistry::Options{});
    RouteKey key;
    parseRegisteredUri("app.example.com", &key);
    EndpointFields fields;
    fields.host = "127.0.0.1";
    fields.port = 1;
    registry.registerEndpoint(key, fields, 0);
    publisher.publish(registry.publish());
    std::string error;
    live = std::make_unique<LiveConfigPublisher>(buildLiveConfig(config, 1, nullptr, &error));
    worker = std::make_unique<Worker>(0, *live, publisher, EventBackend::Epoll);
  }
};

// Parses frames from out[*off..]; aborts on a malformed one.
void checkFrames(const std::string& out, size_t* off, bool* first) {
  while (out.size() - *off >= 9) {
    const auto* p = reinterpret_cast<const uint8_t*>(out.data() + *off);
    const size_t len = (size_t{p[0]} << 16) | (size_t{p[1]} << 8) | p[2];
    const uint8_t type = p[3];
    const uint32_t stream =
        ((uint32_t{p[5]} << 24) | (uint32_t{p[6]} << 16) | (uint32_t{p[7]} << 8) | p[8]) &
        0x7fffffff;
    if (len > 16384) fail("frame longer than SETTINGS_MAX_FRAME_SIZE");
    if (out.size() - *off < 9 + len) return;
    if (*first && type != 0x4) fail("first frame is not SETTINGS");
    *first = false;
    const bool needs_stream = type == 0x0 || type == 0x1 || type == 0x3 || type == 0x9;
    const bool no_stream = type == 0x4 || type == 0x6 || type == 0x7;
    if (needs_stream && stream == 0) fail("stream frame on stream 0");
    if (no_stream && stream != 0) fail("connection frame on a stream");
    if (kVerbose) {
      std::fprintf(stderr, "  frame type=%u flags=0x%x stream=%u length=%zu%s\n", type, p[4],
                   stream, len,
                   type == 0x7 && len >= 8
                       ? (" error=" + std::to_string(p[9 + 7] | (p[9 + 6] << 8))).c_str()
                       : "");
    }
    *off += 9 + len;
  }
}

void drain(int fd, std::string* out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    out->append(buf, static_cast<size_t>(n));
  }
}

struct NullOwner final : ChannelOwner {
  void onChannelEvent() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  Worker& worker = *fixture->worker;
  if (size == 0) return 0;
  const size_t piece = (size_t{data[0]} & 63) * 32 + 32;
  const bool read_late = (data[0] & 64) != 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  NullOwner owner;
  Channel accepted;
  accepted.openEpoll(worker.base(), fds[0], &owner);
  static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  startHttp2(worker, accepted, "127.0.0.1", 40000, kPreface, sizeof kPreface - 1, false);

  std::string out;
  size_t checked = 0;
  bool first = true;
  for (size_t off = 0; off < input.size();) {
    const size_t n = std::min(piece, input.size() - off);
    ssize_t w = ::send(fds[1], input.data() + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN) break;  // the router closed the connection
    if (w > 0) off += static_cast<size_t>(w);
    for (int i = 0; i < 4; ++i) event_base_loop(worker.base(), EVLOOP_NONBLOCK);
    if (!read_late || w <= 0) drain(fds[1], &out);
    checkFrames(out, &checked, &first);
  }
  for (int i = 0; i < 8; ++i) {
    event_base_loop(worker.base(), EVLOOP_NONBLOCK);
    drain(fds[1], &out);
  }
  checkFrames(out, &checked, &first);

  // The client goes away: everything of this connection must go with it.
  ::close(fds[1]);
  for (int i = 0; i < 8 && worker.activeConnections() > 0; ++i) {
    event_base_loop(worker.base(), EVLOOP_NONBLOCK);
  }
  if (worker.activeConnections() != 0) fail("connection left open after the client closed");
  for (int i = 0; i < 4 && !worker.localTasks().empty(); ++i) {
    event_base_loop(worker.base(), EVLOOP_NONBLOCK);
  }
  if (!worker.localTasks().empty()) fail("tasks left queued");
  return 0;
}
