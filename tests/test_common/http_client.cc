#include "tests/test_common/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

namespace foundry::test {
namespace {

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool isHeadRequest(std::string_view raw) {
  size_t start = raw.find_first_not_of("\r\n");
  return start != std::string_view::npos && raw.substr(start, 5) == "HEAD ";
}

}  // namespace

HttpClient::HttpClient(uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}

HttpClient::~HttpClient() { close(); }

bool HttpClient::fail(std::string message) {
  last_error_ = std::move(message);
  return false;
}

bool HttpClient::connect(std::chrono::milliseconds timeout) {
  close();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    return fail("bad IPv4 address " + host_);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return fail(errnoText("socket"));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      std::string e = errnoText("connect");
      ::close(fd);
      return fail(e + " (127.0.0.1:" + std::to_string(port_) + ")");
    }
    pollfd pfd{fd, POLLOUT, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (n <= 0 || err != 0) {
      ::close(fd);
      return fail(n == 0 ? "connect: timeout"
                         : std::string("connect: ") + std::strerror(err) + " (port " +
                               std::to_string(port_) + ")");
    }
  }
  // Blocking from here on; reads and writes wait with poll(2) and deadlines.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  fd_ = fd;
  reader_ = SocketReader(fd_);
  peer_closed_ = false;
  last_error_.clear();
  return true;
}

void HttpClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  reader_ = SocketReader(-1);
  peer_closed_ = false;
}

void HttpClient::shutdownWrite() {
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_WR);
  }
}

void HttpClient::reset() {
  if (fd_ >= 0) {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  close();
}

uint16_t HttpClient::localPort() const {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  return ntohs(addr.sin_port);
}

bool HttpClient::ensureConnected() {
  if (fd_ >= 0) {
    return !peer_closed_ || fail("the server closed the connection (call close() to reconnect)");
  }
  return connect();
}

bool HttpClient::send(std::string_view bytes) {
  if (!ensureConnected()) {
    return false;
  }
  if (!writeAll(fd_, bytes, deadlineIn(std::chrono::seconds(10)))) {
    return fail(errno != 0 ? errnoText("send") : "send: timeout");
  }
  return true;
}

bool HttpClient::sendSlowly(std::string_view bytes, size_t piece, std::chrono::milliseconds pause) {
  piece = piece == 0 ? 1 : piece;
  while (!bytes.empty()) {
    size_t n = std::min(piece, bytes.size());
    if (!send(bytes.substr(0, n))) {
      return false;
    }
    bytes.remove_prefix(n);
    if (!bytes.empty()) {
      std::this_thread::sleep_for(pause);
    }
  }
  return true;
}

std::optional<HttpResponse> HttpClient::readResponse(const ReadOptions& options) {
  raw_.clear();
  if (fd_ < 0) {
    fail("not connected");
    return std::nullopt;
  }
  reader_.setTap(&raw_);
  Deadline deadline = deadlineIn(options.timeout);
  auto io_fail = [&](IoStatus s, const std::string& where) {
    if (s == IoStatus::Closed) {
      peer_closed_ = true;
    }
    reader_.setTap(nullptr);
    fail(std::string(ioStatusName(s)) + " while reading the " + where +
         (raw_.empty() ? " (nothing received)"
                       : " after " + std::to_string(raw_.size()) + " bytes"));
    return std::nullopt;
  };

  HttpResponse r;
  for (;;) {
    r = HttpResponse{};
    std::string start;
    IoStatus s = reader_.readHead(&start, &r.headers, deadline);
    if (s != IoStatus::Ok) {
      return io_fail(s, "response head");
    }
    // "HTTP/1.1 200 OK": version, 3-digit status, optional reason.
    size_t sp1 = start.find(' ');
    if (start.compare(0, 5, "HTTP/") != 0 || sp1 == std::string::npos || start.size() < sp1 + 4) {
      return io_fail(IoStatus::Malformed, "status line '" + start + "'");
    }
    r.version = start.substr(0, sp1);
    std::string_view code = std::string_view(start).substr(sp1 + 1, 3);
    auto [ptr, ec] = std::from_chars(code.data(), code.data() + 3, r.status);
    if (ec != std::errc() || ptr != code.data() + 3) {
      return io_fail(IoStatus::Malformed, "status code");
    }
    r.reason = start.size() > sp1 + 5 ? start.substr(sp1 + 5) : "";
    bool informational = r.status >= 100 && r.status < 200 && r.status != 101;
    if (informational && options.skip_informational) {
      continue;
    }
    break;
  }

  bool no_body = options.head_request || (r.status >= 100 && r.status < 200) || r.status == 204 ||
                 r.status == 304;
  if (!no_body) {
    IoStatus s = IoStatus::Ok;
    if (headerHasToken(r.headers, "Transfer-Encoding", "chunked")) {
      r.chunked = true;
      s = reader_.readChunkedBody(&r.body, &r.trailers, deadline);
    } else if (auto cl = r.header("Content-Length")) {
      size_t length = 0;
      auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
      if (ec != std::errc() || ptr != cl->data() + cl->size()) {
        return io_fail(IoStatus::Malformed, "Content-Length");
      }
      s = reader_.readExact(length, &r.body, deadline);
    } else {
      r.until_close = true;
      s = reader_.readUntilClose(&r.body, deadline);
      if (s == IoStatus::Ok) {
        peer_closed_ = true;
      }
    }
    if (s != IoStatus::Ok) {
      return io_fail(s, "response body");
    }
  }

  if (!peer_closed_ && r.status != 101 && !(r.status >= 100 && r.status < 200)) {
    // Did the server close after this response? Look without waiting, or wait a little when it
    // announced it would.
    bool announced =
        headerHasToken(r.headers, "Connection", "close") ||
        (r.version == "HTTP/1.0" && !headerHasToken(r.headers, "Connection", "keep-alive"));
    Deadline until =
        announced ? std::min(deadline, deadlineIn(std::chrono::seconds(2))) : Clock::now();
    if (reader_.buffered() == 0 && reader_.waitReadable(until) == IoStatus::Closed) {
      peer_closed_ = true;
    }
  }
  r.closed = peer_closed_;
  reader_.setTap(nullptr);
  return r;
}

std::optional<HttpResponse> HttpClient::request(std::string_view raw, const ReadOptions& options) {
  if (!send(raw)) {
    return std::nullopt;
  }
  ReadOptions o = options;
  o.head_request = o.head_request || isHeadRequest(raw);
  return readResponse(o);
}

std::optional<HttpResponse> HttpClient::get(std::string_view host, std::string_view path,
                                            const std::vector<std::string>& extra_headers,
                                            const ReadOptions& options) {
  std::string raw = "GET ";
  raw.append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  for (const auto& h : extra_headers) {
    raw.append(h).append("\r\n");
  }
  raw.append("\r\n");
  return request(raw, options);
}

std::string HttpClient::readSome(std::chrono::milliseconds timeout) {
  raw_.clear();
  std::string out;
  if (fd_ < 0) {
    return out;
  }
  IoStatus s = reader_.readSome(&out, deadlineIn(timeout));
  if (s == IoStatus::Closed) {
    peer_closed_ = true;
  }
  raw_ = out;
  return out;
}

std::optional<std::string> HttpClient::readExact(size_t n, std::chrono::milliseconds timeout) {
  raw_.clear();
  if (fd_ < 0) {
    return std::nullopt;
  }
  std::string out;
  IoStatus s = reader_.readExact(n, &out, deadlineIn(timeout));
  if (s == IoStatus::Closed) {
    peer_closed_ = true;
  }
  if (s != IoStatus::Ok) {
    raw_ = reader_.takeBuffered();
    fail(std::string(ioStatusName(s)) + " after " + std::to_string(raw_.size()) + " of " +
         std::to_string(n) + " bytes");
    return std::nullopt;
  }
  raw_ = out;
  return out;
}

std::string HttpClient::readUntilClose(std::chrono::milliseconds timeout) {
  raw_.clear();
  std::string out;
  if (fd_ < 0) {
    return out;
  }
  IoStatus s = reader_.readUntilClose(&out, deadlineIn(timeout));
  if (s == IoStatus::Ok) {
    peer_closed_ = true;
  } else {
    fail(std::string(ioStatusName(s)) + " before the server closed");
  }
  raw_ = out;
  return out;
}

bool HttpClient::waitForClose(std::chrono::milliseconds timeout) {
  raw_.clear();
  if (fd_ < 0 || peer_closed_) {
    return peer_closed_;
  }
  std::string sink;
  IoStatus s = reader_.readUntilClose(&sink, deadlineIn(timeout));
  raw_ = sink;
  if (s == IoStatus::Ok) {
    peer_closed_ = true;
  }
  return peer_closed_;
}

std::optional<HttpResponse> httpGet(uint16_t port, std::string_view host, std::string_view path,
                                    const std::vector<std::string>& extra_headers,
                                    std::chrono::milliseconds timeout) {
  HttpClient client(port);
  std::vector<std::string> headers = extra_headers;
  headers.emplace_back("Connection: close");
  return client.get(host, path, headers, ReadOptions{timeout});
}

}  // namespace foundry::test
