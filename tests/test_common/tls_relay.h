#pragma once
// TLS for tests by relaying, so the plain-socket tools (HttpClient, FakeBackend) speak TLS:
//
//  TlsClientRelay: a plain loopback port; each connection to it becomes one TLS connection to
//  `target_port` made with the options (SNI, ALPN, client certificate, versions, resumption),
//  and the handshake's facts are recorded:
//      TlsClientRelay tls(router.tlsPort(), {.sni = "app.example.com", .ca_pem = ca.cert_pem()});
//      HttpClient c(tls.port());  auto r = c.get("app.example.com");
//      EXPECT_EQ(tls.last().peer_names[0], "app.example.com");
//
//  TlsServerRelay: a TLS port (a backend's tls_port) terminating TLS, as CF's Envoy sidecar does,
//  and relaying the plaintext to a plain backend port; it records each handshake.
//      TlsServerRelay sidecar(backend.port(), {.cert = server_cert, .client_ca_pem = ...});
//
// One thread per connection, blocking sockets: test traffic only.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_common/test_certs.h"

namespace foundry::test {

struct HandshakeFacts {
  bool ok = false;
  std::string error;                    // OpenSSL's reason when !ok
  std::vector<std::string> peer_names;  // the peer certificate's DNS SANs (else its CN)
  std::string peer_cn;
  std::string alpn;
  std::string version;  // "TLSv1.3"
  bool resumed = false;
};

struct TlsClientOptions {
  std::string sni;             // "" = none
  std::string ca_pem;          // trusted roots; "" = do not verify
  std::string verify_name;     // checked against the certificate when set
  std::vector<std::string> alpn;  // e.g. {"h2", "http/1.1"}
  const TestCert* client_cert = nullptr;
  std::string min_version;     // "TLSv1.2" / "TLSv1.3" ("" = library default)
  std::string max_version;
  bool resume = false;         // offer the previous connection's session
  std::string preamble;        // raw bytes sent before the handshake (a PROXY header)
};

struct TlsServerOptions {
  TestCert cert;
  std::string chain_pem;      // extra chain after the leaf, "" = none
  std::string client_ca_pem;  // non-empty: require a client certificate from this CA
  std::vector<std::string> alpn;  // protocols the server accepts, in order ("" = no ALPN)
};

class TlsClientRelay {
 public:
  TlsClientRelay(uint16_t target_port, TlsClientOptions options);
  ~TlsClientRelay();
  uint16_t port() const { return port_; }
  // Facts of every handshake so far, oldest first; last() the newest (empty facts if none).
  std::vector<HandshakeFacts> handshakes() const;
  HandshakeFacts last() const;
  void setOptions(TlsClientOptions options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

class TlsServerRelay {
 public:
  TlsServerRelay(uint16_t plain_port, TlsServerOptions options);
  ~TlsServerRelay();
  uint16_t port() const { return port_; }
  std::vector<HandshakeFacts> handshakes() const;
  size_t handshakeCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace foundry::test
