#pragma once
// TLS toward backends (route integrity, ROUTER-PROTOCOL.md 8.2) and route services: one SSL_CTX
// shared by every worker. Peers are always verified (system roots + ca_certs) unless the
// context was built for route services with skip_ssl_validation. Each connection checks the
// endpoint's server_cert_domain_san (or its IP when that is empty), offers the session of the
// last connection to the same address, and hands new sessions to a per-worker store.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "router/config/config.h"
#include "router/route/endpoint.h"

namespace foundry::router::tls {

// Receives the sessions a backend issues (TLS 1.3 tickets arrive after the handshake).
class TlsSessionStore {
 public:
  // Takes ownership of `session`.
  virtual void storeTlsSession(SSL_SESSION* session) = 0;

 protected:
  ~TlsSessionStore() = default;
};

class ClientTls {
 public:
  struct Options {
    std::vector<std::string> ca_certs;  // PEM, added to the system roots
    const CertKeyPair* client_cert = nullptr;
    bool verify = true;
    std::string cipher_suites;
  };
  static std::shared_ptr<const ClientTls> build(const Options& options, const std::string& what,
                                                std::string* error);
  // Backends: ca_certs, backends.cert_chain / private_key, cipher_suites.
  static std::shared_ptr<const ClientTls> forBackends(const Config& config, std::string* error);
  // Route services: ca_certs, route_services.cert_chain / private_key, cipher_suites; not
  // verified when skip_ssl_validation is set (gorouter applies it to route services only).
  static std::shared_ptr<const ClientTls> forRouteServices(const Config& config,
                                                           std::string* error);
  ~ClientTls();
  ClientTls(const ClientTls&) = delete;
  ClientTls& operator=(const ClientTls&) = delete;

  // A client connection to `endpoint`, resuming `session` when not null (not taken), whose new
  // sessions go to `store` (which must outlive the connection).
  SSL* newConnection(const Endpoint& endpoint, SSL_SESSION* session,
                     TlsSessionStore* store) const;

 private:
  ClientTls() = default;
  static int onNewSession(SSL* ssl, SSL_SESSION* session);
  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
};

}  // namespace foundry::router::tls
