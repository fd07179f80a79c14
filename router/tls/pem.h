#pragma once
// PEM strings from the config into OpenSSL objects, with errors that say which key was wrong.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::router::tls {

// Installs a certificate chain (leaf first) and its private key into `ctx`; checks they match.
// `what` is the config key holding the pair ("tls_pem[0]", "backends").
bool useCertKey(SSL_CTX* ctx, const std::string& chain_pem, const auth::Secret& key_pem,
                const std::string& what, std::string* error);
// Every certificate in a PEM bundle (callers X509_free them); false if none or unparsable.
bool readCertificates(const std::string& pem, std::vector<X509*>* out, std::string* error);
// Adds every certificate of `pem` to ctx's trust store.
bool addTrusted(SSL_CTX* ctx, const std::string& pem, const std::string& what,
                std::string* error);
// "error:0A000086:SSL routines::certificate verify failed", the queue's newest, cleared.
std::string lastOpenSslError();
// The peer's verified leaf certificate as X-Forwarded-Client-Cert carries it: its DER in
// standard base64 without line breaks (the PEM body without armor); "" when there is none.
std::string peerCertificateBase64(SSL* ssl);

}  // namespace foundry::router::tls
