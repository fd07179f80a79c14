#pragma once
// Session-ticket keys shared by every worker's handshakes (one object per frontend TLS
// configuration), so a client resumes on any worker. The key that seals new tickets is replaced
// every `rotation_ns`; the one before it still opens tickets (which are then renewed), so a
// ticket lives at most two periods and a stolen key exposes at most that much traffic.

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <mutex>

namespace foundry::router::tls {

class TicketKeys {
 public:
  explicit TicketKeys(int64_t rotation_ns);
  int64_t rotationNs() const { return rotation_ns_; }
  // Seals and opens ctx's tickets with these keys (ctx's app data points here).
  void install(SSL_CTX* ctx);

  // OpenSSL's ticket callback contract: 1 = use, 2 = use and renew, 0 = unknown key.
  int seal(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac);
  int open(const unsigned char name[16], const unsigned char* iv, EVP_CIPHER_CTX* cipher,
           EVP_MAC_CTX* mac);

 private:
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
    int64_t created_ns = 0;
  };
  static void fresh(Key* key, int64_t now_ns);
  static bool initMac(EVP_MAC_CTX* mac, const Key& key);

  const int64_t rotation_ns_;
  std::mutex mu_;  // taken once per full handshake or resumption, never per request
  Key current_{};
  Key previous_{};
  bool has_previous_ = false;
};

}  // namespace foundry::router::tls
