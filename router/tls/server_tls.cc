#include "router/tls/server_tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "router/tls/pem.h"

namespace foundry::router::tls {
namespace {

constexpr unsigned char kSessionContext[] = "foundry-router";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int protocolVersion(const std::string& name) {
  if (name == "TLSv1.0") return TLS1_VERSION;
  if (name == "TLSv1.1") return TLS1_1_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

// ALPN wire lists: length-prefixed protocol names, server preference first.
constexpr unsigned char kAlpnH2[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kAlpnH1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

}  // namespace

bool translateCipherList(const std::string& list, std::string* openssl_list, std::string* error) {
  // Every suite OpenSSL knows, by its RFC name.
  SSL_CTX* probe = SSL_CTX_new(TLS_method());
  SSL_CTX_set_security_level(probe, 0);
  SSL_CTX_set_cipher_list(probe, "ALL:COMPLEMENTOFALL");
  std::unordered_map<std::string, std::string> by_rfc_name;
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(probe);
  for (int i = 0; i < sk_SSL_CIPHER_num(all); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
    by_rfc_name[SSL_CIPHER_standard_name(c)] = SSL_CIPHER_get_name(c);
  }
  SSL_CTX_free(probe);
  openssl_list->clear();
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ':')) {
    if (name.empty()) continue;
    std::string translated = name;
    if (auto it = by_rfc_name.find(name); it != by_rfc_name.end()) translated = it->second;
    // Checked one by one, so the error names the suite.
    SSL_CTX* check = SSL_CTX_new(TLS_method());
    const bool known = SSL_CTX_set_cipher_list(check, translated.c_str()) == 1;
    SSL_CTX_free(check);
    ERR_clear_error();
    if (!known) {
      *error = "config key 'cipher_suites': unknown cipher suite '" + name + "'";
      return false;
    }
    if (!openssl_list->empty()) *openssl_list += ':';
    *openssl_list += translated;
  }
  return true;
}

std::vector<std::string> ServerTls::certificateNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = gn->d.dNSName;
    names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                      static_cast<size_t>(ASN1_STRING_length(dns)))));
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) >
        0) {
      names.push_back(lower(cn));
    }
  }
  return names;
}

std::shared_ptr<const ServerTls> ServerTls::build(const Config& config, bool offer_h2,
                                                  std::shared_ptr<TicketKeys> tickets,
                                                  std::string* error) {
  if (tickets == nullptr || tickets->rotationNs() != config.tls_ticket_key_rotation_ns) {
    tickets = std::make_shared<TicketKeys>(config.tls_ticket_key_rotation_ns);
  }
  std::shared_ptr<ServerTls> tls(new ServerTls(std::move(tickets)));
  tls->offer_h2_ = offer_h2 && config.enable_http2;
  for (size_t i = 0; i < config.tls_pem.size(); ++i) {
    if (!tls->addCertificate(config, config.tls_pem[i], "tls_pem[" + std::to_string(i) + "]",
                             error)) {
      return nullptr;
    }
  }
  if (tls->contexts_.empty()) {
    *error = "config key 'tls_pem': no certificate";
    return nullptr;
  }
  return tls;
}

ServerTls::~ServerTls() {
  for (SSL_CTX* ctx : contexts_) SSL_CTX_free(ctx);
}

bool ServerTls::configure(SSL_CTX* ctx, const Config& config, std::string* error) {
  SSL_CTX_set_min_proto_version(ctx, protocolVersion(config.min_tls_version));
  SSL_CTX_set_max_proto_version(ctx, protocolVersion(config.max_tls_version));
  if (config.min_tls_version == "TLSv1.0" || config.min_tls_version == "TLSv1.1") {
    SSL_CTX_set_security_level(ctx, 0);  // OpenSSL 3 refuses these versions at level 1
  }
  if (!config.cipher_suites.empty()) {
    std::string list;
    if (!translateCipherList(config.cipher_suites, &list, error)) return false;
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
      *error = "config key 'cipher_suites': " + lastOpenSslError();
      return false;
    }
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // Our buffers may move between SSL_write calls (io_uring swaps them); records are small.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // Resumption by tickets only: no server-side cache to lock or to share between workers.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_num_tickets(ctx, 1);
  if (config.tls_ticket_key_rotation_ns > 0) {
    SSL_CTX_set_timeout(ctx, static_cast<long>(config.tls_ticket_key_rotation_ns / 1'000'000'000));
  }
  tickets_->install(ctx);
  SSL_CTX_set_tlsext_servername_callback(ctx, &ServerTls::onServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  SSL_CTX_set_alpn_select_cb(ctx, &ServerTls::onAlpn, this);

  if (config.client_cert_validation != "none") {
    if (!config.only_trust_client_ca_certs) SSL_CTX_set_default_verify_paths(ctx);
    if (!config.client_ca_certs.empty()) {
      if (!addTrusted(ctx, config.client_ca_certs, "config key 'client_ca_certs'", error)) {
        return false;
      }
      // The CertificateRequest names our client CAs, so clients pick the right certificate.
      std::vector<X509*> cas;
      std::string ignored;
      readCertificates(config.client_ca_certs, &cas, &ignored);
      for (X509* ca : cas) {
        SSL_CTX_add_client_CA(ctx, ca);
        X509_free(ca);
      }
    }
    int mode = SSL_VERIFY_PEER;
    if (config.client_cert_validation == "require") mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);  // a presented, invalid certificate always fails
  }
  ERR_clear_error();
  return true;
}

bool ServerTls::addCertificate(const Config& config, const CertKeyPair& pair,
                               const std::string& what, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + lastOpenSslError();
    return false;
  }
  contexts_.push_back(ctx);  // freed by the destructor from here on
  if (!useCertKey(ctx, pair.cert_chain, pair.private_key, what, error) ||
      !configure(ctx, config, error)) {
    return false;
  }
  for (std::string& name : certificateNames(SSL_CTX_get0_certificate(ctx))) {
    if (name.rfind("*.", 0) == 0) {
      wildcard_.emplace(name.substr(2), ctx);  // the first certificate naming it wins
    } else {
      exact_.emplace(name, ctx);
    }
  }
  return true;
}

SSL* ServerTls::newConnection() const { return SSL_new(contexts_.front()); }

SSL_CTX* ServerTls::forServerName(const char* name) const {
  std::string host = lower(name);
  if (auto it = exact_.find(host); it != exact_.end()) return it->second;
  // A wildcard covers exactly one label: "*.example.com" serves "a.example.com" only.
  size_t dot = host.find('.');
  if (dot != std::string::npos) {
    if (auto it = wildcard_.find(host.substr(dot + 1)); it != wildcard_.end()) return it->second;
  }
  return nullptr;
}

int ServerTls::onServerName(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const ServerTls*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;  // no SNI: the default certificate
  SSL_CTX* ctx = self->forServerName(name);
  if (ctx != nullptr && ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;  // unknown names get the default certificate, as gorouter
}

int ServerTls::onAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
                      const unsigned char* in, unsigned inlen, void* arg) {
  const auto* self = static_cast<const ServerTls*>(arg);
  const unsigned char* ours = self->offer_h2_ ? kAlpnH2 : kAlpnH1;
  const unsigned ours_len = self->offer_h2_ ? sizeof kAlpnH2 : sizeof kAlpnH1;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, ours_len, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // nothing in common: carry on without ALPN (HTTP/1.1)
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace foundry::router::tls
