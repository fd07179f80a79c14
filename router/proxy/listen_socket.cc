#include "router/proxy/listen_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

namespace foundry::router {

bool listenAddress(const std::string& ip, uint16_t port, sockaddr_storage* out, socklen_t* len,
                   std::string* error) {
  *out = sockaddr_storage{};
  auto* sin = reinterpret_cast<sockaddr_in*>(out);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof *sin;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    *len = sizeof *sin6;
    return true;
  }
  *error = "invalid listen address '" + ip + "'";
  return false;
}

int openListenSocket(const std::string& ip, uint16_t port, bool nonblocking, std::string* error) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!listenAddress(ip, port, &addr, &len, error)) return -1;
  const int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  const int fd = ::socket(addr.ss_family, type, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0 || ::listen(fd, 4096) != 0) {
    *error = "cannot listen on " + ip + ":" + std::to_string(port) + ": " + strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace foundry::router
