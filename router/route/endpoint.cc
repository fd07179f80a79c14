#include "router/route/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <string>

namespace foundry::router {

Endpoint::Endpoint(EndpointFields fields)
    : fields_(std::move(fields)), address_(fields_.host + ":" + std::to_string(fields_.port)) {
  in_addr addr4{};
  in6_addr addr6{};
  if (inet_pton(AF_INET, fields_.host.c_str(), &addr4) == 1) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&sockaddr_);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(fields_.port);
    v4->sin_addr = addr4;
    sockaddr_len_ = sizeof(sockaddr_in);
    return;
  }
  if (inet_pton(AF_INET6, fields_.host.c_str(), &addr6) == 1) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&sockaddr_);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(fields_.port);
    v6->sin6_addr = addr6;
    sockaddr_len_ = sizeof(sockaddr_in6);
    return;
  }
  sockaddr_.ss_family = AF_UNSPEC;
  if (fields_.host.empty()) {
    return;
  }
  // A hostname: resolved once, here, on the control thread, so workers never block on DNS.
  // Emitters normally send IPs; this path exists for hand-registered routes.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* result = nullptr;
  std::string port = std::to_string(fields_.port);
  if (getaddrinfo(fields_.host.c_str(), port.c_str(), &hints, &result) == 0 && result != nullptr &&
      result->ai_addrlen <= sizeof(sockaddr_)) {
    std::memcpy(&sockaddr_, result->ai_addr, result->ai_addrlen);
    sockaddr_len_ = result->ai_addrlen;
  }
  if (result != nullptr) {
    freeaddrinfo(result);
  }
}

}  // namespace foundry::router
