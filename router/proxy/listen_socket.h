#pragma once
// The data port's listening sockets.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace foundry::router {

// Parses the bind address (`ip`: an IPv4 or IPv6 literal) and `port`. False with *error when
// the address is not one.
bool listenAddress(const std::string& ip, uint16_t port, sockaddr_storage* out, socklen_t* len,
                   std::string* error);

// A TCP socket bound to ip:port and listening (backlog 4096), with SO_REUSEADDR, SO_REUSEPORT
// (every worker has its own socket and accept queue on the port) and TCP_NODELAY (accepted
// sockets inherit it); non-blocking when asked. Returns the fd, or -1 with *error.
int openListenSocket(const std::string& ip, uint16_t port, bool nonblocking, std::string* error);

}  // namespace foundry::router
