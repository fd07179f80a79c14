#include "router/tls/pem.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

namespace foundry::router::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

std::string lastOpenSslError() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

bool readCertificates(const std::string& pem, std::vector<X509*>* out, std::string* error) {
  BioPtr bio = memoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out->push_back(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (out->empty()) {
    *error = "no PEM certificate found";
    return false;
  }
  return true;
}

bool useCertKey(SSL_CTX* ctx, const std::string& chain_pem, const auth::Secret& key_pem,
                const std::string& what, std::string* error) {
  std::vector<X509*> certs;
  if (!readCertificates(chain_pem, &certs, error)) {
    *error = "config key '" + what + ".cert_chain': " + *error;
    return false;
  }
  bool ok = SSL_CTX_use_certificate(ctx, certs[0]) == 1;
  for (size_t i = 1; ok && i < certs.size(); ++i) {
    ok = SSL_CTX_add1_chain_cert(ctx, certs[i]) == 1;
  }
  for (X509* c : certs) X509_free(c);
  if (!ok) {
    *error = "config key '" + what + ".cert_chain': " + lastOpenSslError();
    return false;
  }
  BioPtr bio = memoryBio(key_pem.reveal());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    ERR_clear_error();  // the reason could quote key material: say only what was wrong
    *error = "config key '" + what + ".private_key': not a PEM private key";
    return false;
  }
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    ERR_clear_error();
    *error = "config key '" + what + ".private_key': does not match the certificate";
    return false;
  }
  return true;
}

bool addTrusted(SSL_CTX* ctx, const std::string& pem, const std::string& what,
                std::string* error) {
  std::vector<X509*> certs;
  if (!readCertificates(pem, &certs, error)) {
    *error = what + ": " + *error;
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (X509* c : certs) {
    X509_STORE_add_cert(store, c);  // a duplicate is not an error worth failing on
    X509_free(c);
  }
  ERR_clear_error();
  return true;
}

std::string peerCertificateBase64(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return "";
  const int der_len = i2d_X509(cert, nullptr);
  if (der_len <= 0) return "";
  std::string der(static_cast<size_t>(der_len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  std::string out(4 * ((der.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<int>(der.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace foundry::router::tls
