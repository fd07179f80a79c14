#include "tests/test_common/fake_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace foundry::test {
namespace {

bool hasBodylessStatus(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

BackendResponse BackendResponse::text(int status, std::string body, std::string content_type) {
  BackendResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

BackendResponse BackendResponse::webSocketUpgrade() {
  BackendResponse r;
  r.status = 101;
  r.headers = {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}};
  return r;
}

namespace {
FakeBackendOptions namedOptions(std::string name) {
  FakeBackendOptions options;
  options.name = std::move(name);
  return options;
}
}  // namespace

FakeBackend::FakeBackend(std::string name) : FakeBackend(namedOptions(std::move(name))) {}

FakeBackend::FakeBackend(FakeBackendOptions options) : options_(std::move(options)) {
  handler_ = options_.handler;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("FakeBackend: socket");
    return;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 1024) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FakeBackend: bind/listen");
    ::close(fd);
    return;
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    std::perror("FakeBackend: eventfd");
    ::close(fd);
    return;
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { acceptLoop(); });
}

FakeBackend::~FakeBackend() { stop(); }

void FakeBackend::setHandler(BackendHandler handler) {
  std::lock_guard<std::mutex> lock(log_mu_);
  handler_ = std::move(handler);
}

std::vector<BackendRequest> FakeBackend::requests() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return log_;
}

size_t FakeBackend::requestCount() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return log_.size();
}

std::optional<BackendRequest> FakeBackend::lastRequest() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  if (log_.empty()) {
    return std::nullopt;
  }
  return log_.back();
}

void FakeBackend::clearRequests() {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_.clear();
}

bool FakeBackend::waitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(log_mu_);
  return log_cv_.wait_for(lock, timeout, [&] { return log_.size() >= n; });
}

size_t FakeBackend::openConnections() const {
  std::lock_guard<std::mutex> lock(conns_mu_);
  size_t open = 0;
  for (const auto& c : conns_) {
    open += c->done.load() ? 0 : 1;
  }
  return open;
}

void FakeBackend::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  { std::lock_guard<std::mutex> lock(sleep_mu_); }
  sleep_cv_.notify_all();
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
  if (accept_thread_.joinable()) {
    accept_thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
  // The accept loop has ended, so the list only shrinks now. Wake every connection thread by
  // shutting its socket down (its own thread closes it), then join them outside the lock.
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& c : conns_) {
      if (c->fd >= 0) {
        ::shutdown(c->fd, SHUT_RDWR);
      }
    }
    conns.swap(conns_);
  }
  for (auto& c : conns) {
    if (c->thread.joinable()) {
      c->thread.join();
    }
  }
}

void FakeBackend::reapFinished() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done.load()) {
      (*it)->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

bool FakeBackend::interruptibleSleep(std::chrono::milliseconds d) {
  if (d.count() <= 0) {
    return !stopped_.load();
  }
  std::unique_lock<std::mutex> lock(sleep_mu_);
  return !sleep_cv_.wait_for(lock, d, [&] { return stopped_.load(); });
}

void FakeBackend::acceptLoop() {
  for (;;) {
    pollfd pfds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int n = ::poll(pfds, 2, -1);
    if (stopped_.load()) {
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      std::perror("FakeBackend: poll");
      return;
    }
    if ((pfds[0].revents & POLLIN) == 0) {
      continue;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;  // EAGAIN, ECONNABORTED, EMFILE...: try again
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    conn->number = ++accepted_;
    Connection* raw = conn.get();
    std::lock_guard<std::mutex> lock(conns_mu_);
    reapFinished();
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { serve(raw); });
  }
}

void FakeBackend::serve(Connection* conn) {
  SocketReader reader(conn->fd);
  uint64_t index = 0;
  auto bad_request = [&] {
    writeAll(conn->fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             deadlineIn(std::chrono::seconds(1)));
  };
  for (;;) {
    BackendRequest req;
    req.connection = conn->number;
    req.index_on_connection = index++;
    std::string line;
    IoStatus s = reader.readHead(&line, &req.headers, noDeadline());
    if (s != IoStatus::Ok) {
      if (s == IoStatus::Malformed) {
        bad_request();
      }
      break;
    }
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || sp1 == 0 || sp2 == sp1 + 1) {
      bad_request();
      break;
    }
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    req.version = line.substr(sp2 + 1);
    if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0") {
      bad_request();
      break;
    }

    bool chunked = headerHasToken(req.headers, "Transfer-Encoding", "chunked");
    std::optional<std::string> cl = req.header("Content-Length");
    size_t length = 0;
    if (cl && !chunked) {
      auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
      if (ec != std::errc() || ptr != cl->data() + cl->size()) {
        bad_request();
        break;
      }
    }
    if (options_.answer_100_continue && headerHasToken(req.headers, "Expect", "100-continue")) {
      if (!writeAll(conn->fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
        break;
      }
      req.sent_100_continue = true;
    }
    if (chunked) {
      req.chunked = true;
      s = reader.readChunkedBody(&req.body, &req.trailers, noDeadline());
    } else if (length > 0) {
      s = reader.readExact(length, &req.body, noDeadline());
    }
    if (s != IoStatus::Ok) {
      if (s == IoStatus::Malformed) {
        bad_request();
      }
      break;
    }

    BackendHandler handler;
    {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(req);
      handler = handler_;
    }
    log_cv_.notify_all();
    BackendResponse resp =
        handler ? handler(req) : BackendResponse::text(200, "backend " + options_.name);

    bool keep_open = false;
    const bool upgraded = resp.status == 101;
    if (!sendResponse(conn, req, std::move(resp), &keep_open)) {
      break;
    }
    if (upgraded) {
      // Upgraded: echo every byte back until either side closes.
      std::string data = reader.takeBuffered();
      while (data.empty() || writeAll(conn->fd, data)) {
        data.clear();
        if (reader.readSome(&data, noDeadline()) != IoStatus::Ok) {
          break;
        }
      }
      break;
    }
    if (!keep_open) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(conns_mu_);
  ::close(conn->fd);
  conn->fd = -1;
  conn->done = true;
}

bool FakeBackend::sendResponse(Connection* conn, const BackendRequest& req, BackendResponse resp,
                               bool* keep_open) {
  if (resp.reset_without_response) {
    linger l{1, 0};
    ::setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    return false;
  }
  if (!interruptibleSleep(resp.delay)) {
    return false;
  }
  bool client_close =
      headerHasToken(req.headers, "Connection", "close") ||
      (req.version == "HTTP/1.0" && !headerHasToken(req.headers, "Connection", "keep-alive"));
  bool bodyless = hasBodylessStatus(resp.status);
  bool chunked = resp.chunked && !bodyless;
  bool close_after =
      resp.close || client_close || !options_.keep_alive || (resp.no_length && !bodyless);
  *keep_open = !close_after;

  std::string head = "HTTP/1.1 " + std::to_string(resp.status) + " " +
                     (resp.reason.empty() ? reasonPhrase(resp.status) : resp.reason) + "\r\n";
  for (const auto& [name, value] : resp.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  Headers& h = resp.headers;
  if (chunked && !findHeader(h, "Transfer-Encoding")) {
    head.append("Transfer-Encoding: chunked\r\n");
  } else if (!chunked && !bodyless && !resp.no_length && !findHeader(h, "Content-Length")) {
    head.append("Content-Length: ").append(std::to_string(resp.body.size())).append("\r\n");
  }
  if (close_after && resp.status != 101 && !findHeader(h, "Connection")) {
    head.append("Connection: close\r\n");
  }
  head.append("\r\n");

  std::vector<std::string> pieces;
  pieces.push_back(std::move(head));
  if (req.method != "HEAD" && !bodyless) {
    if (chunked) {
      std::string_view body = resp.body;
      size_t size = resp.chunk_size == 0 ? 8192 : resp.chunk_size;
      while (!body.empty()) {
        size_t n = std::min(size, body.size());
        pieces.push_back(encodeChunk(body.substr(0, n)));
        body.remove_prefix(n);
      }
      std::string last = "0\r\n";
      for (const auto& [name, value] : resp.trailers) {
        last.append(name).append(": ").append(value).append("\r\n");
      }
      pieces.push_back(last + "\r\n");
    } else if (!resp.body.empty()) {
      pieces.push_back(std::move(resp.body));
    }
  }

  size_t budget = resp.truncate_after.value_or(SIZE_MAX);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 1 && chunked && !interruptibleSleep(resp.chunk_delay)) {
      return false;
    }
    std::string_view piece = pieces[i];
    bool cut = piece.size() >= budget && resp.truncate_after.has_value();
    if (cut) {
      piece = piece.substr(0, budget);
    }
    if (!writeAll(conn->fd, piece)) {
      return false;
    }
    if (cut) {
      return false;  // the caller closes the connection mid-response
    }
    budget -= piece.size();
  }
  return true;
}

}  // namespace foundry::test
