#include "tests/test_common/tls_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <stdexcept>

namespace foundry::test {
namespace {

int listenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    throw std::runtime_error("tls relay: cannot listen");
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int connectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string sslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "connection closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

X509* parseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

void addRoots(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c);
    X509_free(c);
  }
  ERR_clear_error();
  BIO_free(bio);
}

void useCert(SSL_CTX* ctx, const TestCert& cert, const std::string& chain) {
  X509* leaf = parseCert(cert.cert_pem);
  SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (!chain.empty()) {
    X509* extra = parseCert(chain);
    SSL_CTX_add1_chain_cert(ctx, extra);
    X509_free(extra);
  }
  BIO* bio = BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
}

int version(const std::string& name) {
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return 0;
}

std::string alpnWire(const std::vector<std::string>& protos) {
  std::string wire;
  for (const std::string& p : protos) {
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

void recordPeer(SSL* ssl, HandshakeFacts* facts) {
  facts->ok = true;
  facts->version = SSL_get_version(ssl);
  facts->resumed = SSL_session_reused(ssl) == 1;
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  if (proto != nullptr) facts->alpn.assign(reinterpret_cast<const char*>(proto), len);
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return;
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  facts->peer_cn = cn;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(peer, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type != GEN_DNS) continue;
    facts->peer_names.emplace_back(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
        static_cast<size_t>(ASN1_STRING_length(gn->d.dNSName)));
  }
  GENERAL_NAMES_free(sans);
  if (facts->peer_names.empty()) facts->peer_names.push_back(facts->peer_cn);
  X509_free(peer);
}

// Copies bytes both ways between a TLS connection and a plain socket until either side ends.
void pump(SSL* ssl, int tls_fd, int plain_fd) {
  char buf[16384];
  for (;;) {
    if (SSL_pending(ssl) == 0) {
      pollfd fds[2] = {{tls_fd, POLLIN, 0}, {plain_fd, POLLIN, 0}};
      if (::poll(fds, 2, 30000) <= 0) return;
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(plain_fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (SSL_write(ssl, buf, static_cast<int>(n)) <= 0) return;
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) {
      int err = SSL_get_error(ssl, n);
      if (err == SSL_ERROR_WANT_READ) continue;  // a ticket or other non-data record
      return;
    }
    if (::send(plain_fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) return;
  }
}

// Accept loop and per-connection threads shared by both relays.
class Relay {
 public:
  explicit Relay(std::function<void(Relay&, int)> serve) : serve_(std::move(serve)) {
    listen_fd_ = listenLoopback(&port_);
    thread_ = std::thread([this] { acceptLoop(); });
  }
  ~Relay() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    std::list<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(conns_);
    }
    for (std::thread& t : threads) t.join();  // they untrack() their fds: not under mu_
  }
  uint16_t port() const { return port_; }
  // Connection threads register the fds to wake at shutdown.
  void track(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    open_.push_back(fd);
  }
  void untrack(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (*it == fd) {
        open_.erase(it);
        break;
      }
    }
  }

 private:
  void acceptLoop() {
    while (!stopping_) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard<std::mutex> lock(mu_);
      open_.push_back(fd);
      conns_.emplace_back([this, fd] {
        serve_(*this, fd);
        untrack(fd);
        ::close(fd);
      });
    }
  }

  std::function<void(Relay&, int)> serve_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> open_;
  std::list<std::thread> conns_;
};

}  // namespace

struct TlsClientRelay::Impl {
  uint16_t target = 0;
  mutable std::mutex mu;
  TlsClientOptions options;
  std::vector<HandshakeFacts> facts;
  SSL_SESSION* session = nullptr;
  std::unique_ptr<Relay> relay;

  ~Impl() {
    relay.reset();
    if (session != nullptr) SSL_SESSION_free(session);
  }

  static int onNewSession(SSL* ssl, SSL_SESSION* got) {
    auto* self = static_cast<Impl*>(SSL_get_app_data(ssl));
    std::lock_guard<std::mutex> lock(self->mu);
    if (self->session != nullptr) SSL_SESSION_free(self->session);
    self->session = got;
    return 1;
  }

  void serve(Relay& relay, int plain_fd) {
    TlsClientOptions o;
    SSL_SESSION* resume = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      o = options;
      if (o.resume && session != nullptr) {
        resume = session;
        SSL_SESSION_up_ref(resume);
      }
    }
    HandshakeFacts f;
    int fd = connectLoopback(target);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!o.ca_pem.empty()) {
      addRoots(ctx, o.ca_pem);
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    }
    if (int v = version(o.min_version)) SSL_CTX_set_min_proto_version(ctx, v);
    if (int v = version(o.max_version)) SSL_CTX_set_max_proto_version(ctx, v);
    if (o.client_cert != nullptr) useCert(ctx, *o.client_cert, "");
    // Sessions are kept as soon as they arrive (a TLS 1.3 ticket comes with the first response),
    // so the test's next connection can offer it.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &Impl::onNewSession);
    SSL* ssl = SSL_new(ctx);
    SSL_set_app_data(ssl, this);
    if (!o.sni.empty()) SSL_set_tlsext_host_name(ssl, o.sni.c_str());
    if (!o.verify_name.empty()) SSL_set1_host(ssl, o.verify_name.c_str());
    if (!o.alpn.empty()) {
      std::string wire = alpnWire(o.alpn);
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                          static_cast<unsigned>(wire.size()));
    }
    if (resume != nullptr) SSL_set_session(ssl, resume);
    if (fd >= 0) {
      relay.track(fd);
      if (!o.preamble.empty()) {  // e.g. a PROXY protocol header, sent before the ClientHello
        ssize_t ignored = ::send(fd, o.preamble.data(), o.preamble.size(), MSG_NOSIGNAL);
        (void)ignored;
      }
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) == 1) {
        recordPeer(ssl, &f);
        {
          std::lock_guard<std::mutex> lock(mu);
          facts.push_back(f);
        }
        pump(ssl, fd, plain_fd);
        SSL_shutdown(ssl);
      } else {
        f.error = sslError();
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) f.error += std::string(": ") + X509_verify_cert_error_string(verify);
        std::lock_guard<std::mutex> lock(mu);
        facts.push_back(f);
      }
      relay.untrack(fd);
      ::close(fd);
    } else {
      f.error = "connect failed";
      std::lock_guard<std::mutex> lock(mu);
      facts.push_back(f);
    }
    if (resume != nullptr) SSL_SESSION_free(resume);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
};

TlsClientRelay::TlsClientRelay(uint16_t target_port, TlsClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->target = target_port;
  impl_->options = std::move(options);
  Impl* impl = impl_.get();
  impl_->relay = std::make_unique<Relay>([impl](Relay& relay, int fd) { impl->serve(relay, fd); });
  port_ = impl_->relay->port();
}

TlsClientRelay::~TlsClientRelay() = default;

std::vector<HandshakeFacts> TlsClientRelay::handshakes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->facts;
}

HandshakeFacts TlsClientRelay::last() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->facts.empty() ? HandshakeFacts{} : impl_->facts.back();
}

void TlsClientRelay::setOptions(TlsClientOptions options) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options = std::move(options);
}

struct TlsServerRelay::Impl {
  uint16_t plain = 0;
  SSL_CTX* ctx = nullptr;
  std::string alpn_wire;
  mutable std::mutex mu;
  std::vector<HandshakeFacts> facts;
  std::unique_ptr<Relay> relay;

  ~Impl() {
    relay.reset();
    SSL_CTX_free(ctx);
  }

  static int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned inlen, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen,
                              reinterpret_cast<const unsigned char*>(self->alpn_wire.data()),
                              static_cast<unsigned>(self->alpn_wire.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }

  void serve(Relay& relay, int tls_fd) {
    HandshakeFacts f;
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, tls_fd);
    if (SSL_accept(ssl) != 1) {
      f.error = sslError();
      std::lock_guard<std::mutex> lock(mu);
      facts.push_back(f);
      SSL_free(ssl);
      return;
    }
    recordPeer(ssl, &f);
    {
      std::lock_guard<std::mutex> lock(mu);
      facts.push_back(f);
    }
    int plain_fd = connectLoopback(plain);
    if (plain_fd >= 0) {
      relay.track(plain_fd);
      pump(ssl, tls_fd, plain_fd);
      relay.untrack(plain_fd);
      ::close(plain_fd);
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
};

TlsServerRelay::TlsServerRelay(uint16_t plain_port, TlsServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->plain = plain_port;
  impl_->ctx = SSL_CTX_new(TLS_server_method());
  useCert(impl_->ctx, options.cert, options.chain_pem);
  SSL_CTX_set_session_id_context(impl_->ctx, reinterpret_cast<const unsigned char*>("t"), 1);
  if (!options.client_ca_pem.empty()) {
    addRoots(impl_->ctx, options.client_ca_pem);
    SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  if (!options.alpn.empty()) {
    impl_->alpn_wire = alpnWire(options.alpn);
    SSL_CTX_set_alpn_select_cb(impl_->ctx, &Impl::selectAlpn, impl_.get());
  }
  Impl* impl = impl_.get();
  impl_->relay = std::make_unique<Relay>([impl](Relay& relay, int fd) { impl->serve(relay, fd); });
  port_ = impl_->relay->port();
}

TlsServerRelay::~TlsServerRelay() = default;

std::vector<HandshakeFacts> TlsServerRelay::handshakes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->facts;
}

size_t TlsServerRelay::handshakeCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->facts.size();
}

}  // namespace foundry::test
