#include "router/tls/client_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "router/tls/pem.h"
#include "router/tls/server_tls.h"

namespace foundry::router::tls {
namespace {

bool isIpLiteral(const std::string& host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 || inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

}  // namespace

std::shared_ptr<const ClientTls> ClientTls::build(const Options& options, const std::string& what,
                                                  std::string* error) {
  std::shared_ptr<ClientTls> tls(new ClientTls());
  tls->ctx_ = SSL_CTX_new(TLS_client_method());
  if (tls->ctx_ == nullptr) {
    *error = what + ": cannot create a TLS context: " + lastOpenSslError();
    return nullptr;
  }
  SSL_CTX* ctx = tls->ctx_;
  tls->verify_ = options.verify;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // Go's client default range: 1.2-1.3
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (!options.cipher_suites.empty()) {
    std::string list;
    if (!translateCipherList(options.cipher_suites, &list, error) ||
        SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
      if (error->empty()) *error = what + ": " + lastOpenSslError();
      return nullptr;
    }
  }
  if (options.verify) {
    SSL_CTX_set_default_verify_paths(ctx);
    for (size_t i = 0; i < options.ca_certs.size(); ++i) {
      if (!addTrusted(ctx, options.ca_certs[i],
                      "config key 'ca_certs[" + std::to_string(i) + "]'", error)) {
        return nullptr;
      }
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (options.client_cert != nullptr && !options.client_cert->empty()) {
    if (!useCertKey(ctx, options.client_cert->cert_chain, options.client_cert->private_key, what,
                    error)) {
      return nullptr;
    }
  }
  // Sessions are kept per worker and address by the caller, not in OpenSSL's locked cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ClientTls::onNewSession);
  ERR_clear_error();
  return tls;
}

std::shared_ptr<const ClientTls> ClientTls::forBackends(const Config& config,
                                                        std::string* error) {
  Options options;
  options.ca_certs = config.ca_certs;
  options.client_cert = &config.backends_tls;
  options.cipher_suites = config.cipher_suites;
  return build(options, "backends", error);
}

std::shared_ptr<const ClientTls> ClientTls::forRouteServices(const Config& config,
                                                             std::string* error) {
  Options options;
  options.ca_certs = config.ca_certs;
  options.client_cert = &config.route_services_tls;
  options.cipher_suites = config.cipher_suites;
  options.verify = !config.skip_ssl_validation;
  return build(options, "route_services", error);
}

ClientTls::~ClientTls() { SSL_CTX_free(ctx_); }

int ClientTls::onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* store = static_cast<TlsSessionStore*>(SSL_get_app_data(ssl));
  if (store == nullptr) return 0;
  store->storeTlsSession(session);
  return 1;  // the store owns the reference now
}

SSL* ClientTls::newConnection(const Endpoint& endpoint, SSL_SESSION* session,
                              TlsSessionStore* store) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  const EndpointFields& f = endpoint.fields();
  const std::string& name = f.server_cert_domain_san;
  if (!name.empty() && !isIpLiteral(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!name.empty()) {
      if (isIpLiteral(name)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        SSL_set1_host(ssl, name.c_str());
      }
    } else {
      // No SAN registered: the certificate must be for the address we dial, as Go checks.
      X509_VERIFY_PARAM_set1_ip_asc(param, f.host.c_str());
    }
  }
  if (session != nullptr) SSL_set_session(ssl, session);
  SSL_set_app_data(ssl, store);
  return ssl;
}

}  // namespace foundry::router::tls
