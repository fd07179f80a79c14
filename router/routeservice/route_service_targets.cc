#include "router/routeservice/route_service_targets.h"

#include <arpa/inet.h>
#include <strings.h>

#include <limits>

namespace foundry::router {
namespace {

constexpr size_t kMaxEntries = 1024;

EndpointSharedPtr makeEndpoint(const std::string& ip, const RouteServiceUrl& url) {
  EndpointFields fields;
  fields.host = ip;
  fields.port = url.port;
  fields.tls = true;
  fields.server_cert_domain_san = url.host;  // verified against, and sent as SNI
  return std::make_shared<Endpoint>(std::move(fields));
}

bool isIpLiteral(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

std::string ipString(const ResolvedAddress& address) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (address.addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address.addr)->sin_addr, ip,
              sizeof ip);
  } else if (address.addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address.addr)->sin6_addr, ip,
              sizeof ip);
  }
  return ip;
}

}  // namespace

RouteServiceTargets::Status RouteServiceTargets::endpointFor(const RouteServiceUrl& url,
                                                             int64_t now_ns,
                                                             EndpointSharedPtr* endpoint,
                                                             std::string* error) {
  std::string key = url.host;
  key.push_back(':');
  key.append(std::to_string(url.port));
  auto it = entries_.find(key);
  if (it != entries_.end() && now_ns < it->second.fresh_until_ns) {
    *endpoint = it->second.endpoint;
    return Status::Ready;
  }
  if (entries_.size() >= kMaxEntries) {
    entries_.clear();
    it = entries_.end();
  }
  if (isIpLiteral(url.host) || strcasecmp(url.host.c_str(), "localhost") == 0) {
    const std::string ip = isIpLiteral(url.host) ? url.host : "127.0.0.1";
    Entry& entry = entries_[key];
    entry.endpoint = makeEndpoint(ip, url);
    entry.fresh_until_ns = std::numeric_limits<int64_t>::max();
    *endpoint = entry.endpoint;
    return Status::Ready;
  }
  if (resolver_ == nullptr) {
    *error = "lookup " + url.host + ": no resolver";
    return Status::Failed;
  }
  AddressResolver::Answer answer = resolver_->lookup(url.host, now_ns);
  switch (answer.status) {
    case AddressResolver::Status::Pending:
      return Status::Pending;
    case AddressResolver::Status::Failed:
      *error = "lookup " + url.host + ": " + answer.error;
      return Status::Failed;
    case AddressResolver::Status::Ready:
      break;
  }
  const std::string ip = ipString(answer.address);
  Entry& entry = entries_[key];
  if (!entry.endpoint || entry.endpoint->fields().host != ip) {
    entry.endpoint = makeEndpoint(ip, url);  // a new address: a new Endpoint (and idle pool key)
  }
  entry.fresh_until_ns = answer.fresh_until_ns;
  *endpoint = entry.endpoint;
  return Status::Ready;
}

}  // namespace foundry::router
