#pragma once
// HTTP/2 to backends: endpoints registered with "protocol":"http2" are spoken to over
// multiplexed HTTP/2 connections (h2c with prior knowledge; over TLS by ALPN once the TLS layer
// is in), one per endpoint address per worker, with as many streams as the backend allows
// (nghttp2 queues requests beyond its SETTINGS_MAX_CONCURRENT_STREAMS).
//
// As on the client side (h2_server_connection.h), the proxy logic stays the HTTP/1.1 one: when
// a ClientSession's attempt picks such an endpoint, UpstreamPool::connect() gives it an
// UpstreamConn whose channel is a MemoryLink to an H2UpstreamStream. The session writes its
// HTTP/1.1 request there as to any backend; the stream decodes it into HEADERS, DATA and
// trailers, and writes the backend's response back as HTTP/1.1 (chunked unless the backend sent
// a content-length, so that trailers such as gRPC's grpc-status reach both HTTP/2 and HTTP/1.1
// clients). Retries, timeouts and error answers are the session's: the link reports "connecting"
// until the connection's preface is out, a failed connect as the connect error, and a stream
// reset by the backend (or a connection lost) as a connection reset.
//
// Flow control: request bytes go out as the backend's windows allow (the link refuses more
// than kLinkCapacity meanwhile), and response bytes are acknowledged to the backend only once
// the session has read them, so a slow client throttles the backend here too.
// Worker thread only.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace foundry::router {

class Worker;
struct UpstreamConn;
class H2ClientConnection;

class H2UpstreamPool {
 public:
  explicit H2UpstreamPool(Worker& worker);
  ~H2UpstreamPool();
  H2UpstreamPool(const H2UpstreamPool&) = delete;
  H2UpstreamPool& operator=(const H2UpstreamPool&) = delete;

  // Opens `conn->ch` on a stream to `conn->endpoint`, on the endpoint's connection (made now if
  // there is none). False with *err set when no connection can be started.
  bool openStream(UpstreamConn* conn, int* err);
  // Closes connections without streams for longer than the backend idle timeout.
  void sweep(int64_t now_ns);
  // Closes every connection (worker shutdown); their streams' sessions see a reset.
  void closeAll();

  // For connections.
  Worker& worker() { return worker_; }
  // The connection no longer takes new streams (GOAWAY, an error) or is gone.
  void retire(H2ClientConnection* connection);
  void destroyed(H2ClientConnection* connection);

 private:
  Worker& worker_;
  // The connection new streams to an address go to.
  std::unordered_map<std::string, H2ClientConnection*> current_;
  // Every live connection (current or retired), for sweep and shutdown. Connections free
  // themselves when done, and say so (destroyed()).
  std::unordered_set<H2ClientConnection*> all_;
};

}  // namespace foundry::router
