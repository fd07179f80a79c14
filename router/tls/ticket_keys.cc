#include "router/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>

#include "router/common/clock.h"

namespace foundry::router::tls {
namespace {

int ticketCallback(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                   EVP_MAC_CTX* mac, int enc) {
  auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (keys == nullptr) return enc ? -1 : 0;
  if (enc) return keys->seal(name, iv, cipher, mac);
  const int result = keys->open(name, iv, cipher, mac);
  // A TLS 1.3 client uses a ticket once; without a fresh one after a resumption its next
  // connection would need a full handshake. OpenSSL sends one only when asked to renew.
  if (result == 1 && SSL_version(ssl) == TLS1_3_VERSION) return 2;
  return result;
}

}  // namespace

TicketKeys::TicketKeys(int64_t rotation_ns) : rotation_ns_(rotation_ns) {
  fresh(&current_, monotonicNanos());
}

void TicketKeys::install(SSL_CTX* ctx) {
  SSL_CTX_set_app_data(ctx, this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &ticketCallback);
}

void TicketKeys::fresh(Key* key, int64_t now_ns) {
  RAND_bytes(key->name, sizeof key->name);
  RAND_bytes(key->aes, sizeof key->aes);
  RAND_bytes(key->hmac, sizeof key->hmac);
  key->created_ns = now_ns;
}

bool TicketKeys::initMac(EVP_MAC_CTX* mac, const Key& key) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_init(mac, key.hmac, sizeof key.hmac, params) == 1;
}

int TicketKeys::seal(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                     EVP_MAC_CTX* mac) {
  Key key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = monotonicNanos();
    if (rotation_ns_ > 0 && now - current_.created_ns >= rotation_ns_) {
      previous_ = current_;
      has_previous_ = true;
      fresh(&current_, now);
    }
    key = current_;
  }
  std::memcpy(name, key.name, sizeof key.name);
  if (RAND_bytes(iv, 16) != 1) return -1;
  if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1) return -1;
  return initMac(mac, key) ? 1 : -1;
}

int TicketKeys::open(const unsigned char name[16], const unsigned char* iv,
                     EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac) {
  Key key;
  int result = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = monotonicNanos();
    if (std::memcmp(name, current_.name, sizeof current_.name) == 0) {
      key = current_;
      result = 1;
    } else if (has_previous_ && std::memcmp(name, previous_.name, sizeof previous_.name) == 0 &&
               now - previous_.created_ns < 2 * rotation_ns_) {
      key = previous_;
      result = 2;  // still good, but seal a new ticket under the current key
    }
  }
  if (result == 0) return 0;  // unknown or retired key: full handshake
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1) return -1;
  return initMac(mac, key) ? result : -1;
}

}  // namespace foundry::router::tls
