#pragma once
// H2Backend: an HTTP/2 server (h2c with prior knowledge) on 127.0.0.1 for tests, on nghttp2's
// server API, one thread per connection. A handler sees each request as it arrives (headers,
// every DATA chunk, the end) and answers through the stream whenever it likes: HEADERS, DATA,
// trailers, or a reset. That is enough for gRPC-shaped services (length-prefixed messages,
// grpc-status trailers, streaming both ways):
//
//   H2Backend be;
//   be.setHandler([](H2Backend::Stream& s, H2Backend::Event e, std::string_view data) {
//     if (e == H2Backend::Event::End) {
//       s.respond(200, {{"content-type", "application/grpc"}});
//       s.write(grpcMessage("pong"));
//       s.finish({{"grpc-status", "0"}});
//     }
//   });
//
// The handler runs on the connection's thread; streams of one connection are served in order
// of their frames.

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/test_common/http_wire.h"

namespace foundry::test {

// A gRPC message on the wire: 1 byte "compressed" (0), 4 bytes big-endian length, the bytes.
std::string grpcMessage(std::string_view payload);
// Splits complete messages off the front of `buffer` (what is left stays for later).
std::vector<std::string> takeGrpcMessages(std::string* buffer);

class H2Backend {
 public:
  enum class Event { Headers, Data, End };

  class Stream {
   public:
    // Response HEADERS; `end`: no body follows (a trailers-only gRPC answer).
    void respond(int status, const Headers& headers, bool end = false);
    void write(std::string_view data);
    // Ends the response, with trailers when given.
    void finish(const Headers& trailers = {});
    void reset(uint32_t code = NGHTTP2_INTERNAL_ERROR);

    int32_t id = 0;
    std::string method;
    std::string path;
    std::string authority;
    Headers headers;  // regular fields
    std::string body;
    Headers trailers;
    bool ended = false;
    std::string pending_input;  // for the handler's use (e.g. partial gRPC messages)

   private:
    friend class H2Backend;
    nghttp2_session* session_ = nullptr;
    std::string out_;
    size_t out_off_ = 0;
    bool finishing_ = false;
    bool deferred_ = false;
    bool responded_ = false;
    Headers out_trailers_;
  };

  using Handler = std::function<void(Stream& stream, Event event, std::string_view data)>;

  explicit H2Backend(std::string name = "h2");
  ~H2Backend();
  H2Backend(const H2Backend&) = delete;
  H2Backend& operator=(const H2Backend&) = delete;

  uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }
  void setHandler(Handler handler);

  // Requests that ended (or were reset), in completion order.
  std::vector<Stream> requests() const;
  size_t requestCount() const;
  size_t connectionsAccepted() const { return accepted_.load(); }
  // Requests whose headers arrived, ended or not.
  size_t streamsStarted() const { return started_.load(); }
  bool waitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // Closes every connection and the listener; joins the threads.
  void stop();
  // Closes the open connections now (the listener stays): a backend that goes away mid-stream.
  void dropConnections();

 private:
  struct Connection;
  void acceptLoop();
  void serve(Connection* conn);

  std::string name_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> accepted_{0};
  std::atomic<size_t> started_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> conns_;
  Handler handler_;
  std::vector<Stream> log_;
};

}  // namespace foundry::test
