#include "scheduler/cell/health_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/net/http_client.h"

namespace foundry::cell {
namespace {

ProbeResult tcpProbe(const std::string& address, uint16_t port, int timeout_ms) {
  const std::string target = address + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return {false, "failed to resolve " + address};
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return {false, std::string("socket: ") + std::strerror(errno)};
  }
  int rc = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready == 0) {
      close(fd);
      return {false, "timed out making TCP connection to " + target};
    }
    socklen_t len = sizeof(err);
    if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  close(fd);
  if (err != 0) {
    return {false, "failed to make TCP connection to " + target + ": " + std::strerror(err)};
  }
  return {true, ""};
}

ProbeResult httpProbe(const std::string& address, uint16_t port, const std::string& endpoint,
                      int timeout_ms) {
  std::string path = endpoint.empty() ? "/" : endpoint;
  if (path[0] != '/') path = "/" + path;
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  net::HttpRequest request;
  request.url = "http://" + host + ":" + std::to_string(port) + path;
  request.headers = {{"User-Agent", "diego-healthcheck"}, {"X-Forwarded-Proto", "https"}};
  request.timeout_ms = timeout_ms;
  request.connect_timeout_ms = timeout_ms;
  net::HttpResponse response = net::perform(request);
  if (response.status == 200) return {true, ""};
  if (response.status == 0) {
    return {false, "failed to reach " + request.url + ": " + response.error};
  }
  return {false, "received status code " + std::to_string(response.status) + " in " +
                     std::to_string(timeout_ms) + "ms from " + request.url};
}

}  // namespace

ProbeResult probe(const sched::HealthCheck& check, const std::string& address, uint16_t port) {
  const int timeout_ms = (check.invocation_timeout_s > 0 ? check.invocation_timeout_s : 1) * 1000;
  if (check.type == "process" || check.type == "none") return {true, ""};
  if (check.type == "http") return httpProbe(address, port, check.endpoint, timeout_ms);
  return tcpProbe(address, port, timeout_ms);
}

}  // namespace foundry::cell
