#pragma once
// The frontend's TLS configuration (ROUTER-PROTOCOL.md 8.1), built once from the config and
// shared read-only by every worker: one SSL_CTX per tls_pem certificate, SNI choosing the
// exact name before the nearest wildcard and the first certificate otherwise, versions and
// ciphers, client certificates (none / request / require), ALPN, and session tickets whose
// keys rotate and are shared across workers. A reload builds a new one; connections keep the
// one they started with.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "router/config/config.h"
#include "router/tls/ticket_keys.h"

namespace foundry::router::tls {

class ServerTls {
 public:
  // Null with *error when a certificate, key, CA or cipher name is unusable. `offer_h2`: ALPN
  // may choose h2 (an HTTP/2 handler exists and enable_http2 is on). `tickets`: the ticket keys
  // of the configuration this one replaces (a reload), so tickets issued before still resume;
  // null for new ones.
  static std::shared_ptr<const ServerTls> build(const Config& config, bool offer_h2,
                                                std::shared_ptr<TicketKeys> tickets,
                                                std::string* error);
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  const std::shared_ptr<TicketKeys>& tickets() const { return tickets_; }
  // A new server-side connection object (default certificate until SNI says otherwise).
  SSL* newConnection() const;
  // The names a certificate serves (DNS SANs, else the subject CN), lower case.
  static std::vector<std::string> certificateNames(X509* cert);

 private:
  explicit ServerTls(std::shared_ptr<TicketKeys> tickets) : tickets_(std::move(tickets)) {}
  bool addCertificate(const Config& config, const CertKeyPair& pair, const std::string& what,
                      std::string* error);
  bool configure(SSL_CTX* ctx, const Config& config, std::string* error);
  SSL_CTX* forServerName(const char* name) const;
  static int onServerName(SSL* ssl, int* alert, void* arg);
  static int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                    const unsigned char* in, unsigned inlen, void* arg);

  std::shared_ptr<TicketKeys> tickets_;
  bool offer_h2_ = false;
  std::vector<SSL_CTX*> contexts_;  // [0] is the default certificate
  std::unordered_map<std::string, SSL_CTX*> exact_;
  std::unordered_map<std::string, SSL_CTX*> wildcard_;  // "example.com" serves "*.example.com"
};

// OpenSSL's name for each ':'-separated suite of `list` (RFC names such as
// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 are translated); false naming the unknown one.
bool translateCipherList(const std::string& list, std::string* openssl_list, std::string* error);

}  // namespace foundry::router::tls
