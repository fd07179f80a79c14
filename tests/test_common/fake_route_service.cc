#include "tests/test_common/fake_route_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace foundry::test {
namespace {

int connectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// "https://host:port/path?q" -> host "host:port", target "/path?q".
bool splitUrl(const std::string& url, std::string* host, std::string* target) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t start = scheme + 3;
  size_t path = url.find_first_of("/?", start);
  *host = url.substr(start, path == std::string::npos ? std::string::npos : path - start);
  *target = path == std::string::npos ? "/" : url.substr(path);
  if (!target->empty() && (*target)[0] == '?') target->insert(0, "/");
  return !host->empty();
}

std::string serialize(const BackendResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reasonPhrase(r.status) + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  out += r.body;
  return out;
}

// Copies bytes both ways until `upstream` closes (or both directions are done).
void relay(int client, int upstream) {
  bool client_open = true;
  char buf[16384];
  while (true) {
    pollfd fds[2] = {{upstream, POLLIN, 0}, {client, static_cast<short>(client_open ? POLLIN : 0), 0}};
    if (::poll(fds, 2, 30000) <= 0) return;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
      if (n <= 0) return;
      if (!writeAll(client, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
    if (client_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) {
        client_open = false;
        ::shutdown(upstream, SHUT_WR);
      } else if (!writeAll(upstream, std::string_view(buf, static_cast<size_t>(n)))) {
        return;
      }
    }
  }
}

}  // namespace

FakeRouteService::FakeRouteService(uint16_t router_port) : router_port_(router_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FakeRouteService: listen");
    if (fd >= 0) ::close(fd);
    return;
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { acceptLoop(); });
}

FakeRouteService::~FakeRouteService() { stop(); }

void FakeRouteService::stop() {
  if (stopped_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::list<Connection> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns.swap(conns_);
  }
  for (Connection& c : conns) ::shutdown(c.fd, SHUT_RDWR);
  for (Connection& c : conns) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
}

void FakeRouteService::setHook(RouteServiceHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

std::vector<BackendRequest> FakeRouteService::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t FakeRouteService::requestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_.size();
}

bool FakeRouteService::waitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return log_.size() >= n; });
}

void FakeRouteService::acceptLoop() {
  while (!stopped_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopped_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      ::close(fd);
      return;
    }
    conns_.push_back(Connection{fd, {}});
    conns_.back().thread = std::thread([this, fd] { serve(fd); });
  }
}

void FakeRouteService::serve(int fd) {
  SocketReader reader(fd);
  std::string start_line;
  BackendRequest request;
  if (reader.readHead(&start_line, &request.headers, deadlineIn(std::chrono::seconds(30))) !=
      IoStatus::Ok) {
    return;
  }
  size_t sp1 = start_line.find(' ');
  size_t sp2 = start_line.rfind(' ');
  request.method = start_line.substr(0, sp1);
  request.target = start_line.substr(sp1 + 1, sp2 - sp1 - 1);
  request.version = start_line.substr(sp2 + 1);
  RouteServiceHook hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(request);
    hook = hook_;
  }
  cv_.notify_all();
  if (hook) {
    RouteServiceHookResult result = hook(&request);
    if (result.answer) {
      writeAll(fd, serialize(*result.answer));
      ::shutdown(fd, SHUT_WR);
      return;
    }
  }
  std::string host;
  std::string target;
  if (!splitUrl(request.header("X-CF-Forwarded-Url").value_or(""), &host, &target)) {
    BackendResponse bad = BackendResponse::text(400, "no X-CF-Forwarded-Url");
    writeAll(fd, serialize(bad));
    return;
  }
  const bool upgrade = headerHasToken(request.headers, "Connection", "upgrade");
  std::string head = request.method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& [k, v] : request.headers) {
    if (iequals(k, "Host")) continue;
    if (!upgrade && iequals(k, "Connection")) continue;
    head += k + ": " + v + "\r\n";
  }
  if (!upgrade) head += "Connection: close\r\n";
  head += "\r\n";
  int upstream = connectLoopback(router_port_);
  if (upstream < 0) {
    writeAll(fd, serialize(BackendResponse::text(502, "router unreachable")));
    return;
  }
  if (writeAll(upstream, head) && writeAll(upstream, reader.takeBuffered())) relay(fd, upstream);
  ::close(upstream);
  ::shutdown(fd, SHUT_RDWR);
}

}  // namespace foundry::test
