#include "router/proxy/tls_stream.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "router/proxy/channel.h"

namespace foundry::router {
namespace {

// Ciphertext read ahead of OpenSSL is capped: a TLS record is at most ~16 KiB, so this always
// holds whole records, and a fast sender cannot make us buffer without bound.
constexpr size_t kMaxCipherIn = 64 * 1024;
// Plaintext encrypted per send() call: bounds out_next_ while a slow client drains.
constexpr size_t kMaxPlainPerSend = 256 * 1024;
// OpenSSL writes one record per SSL_write of at most this much.
constexpr size_t kRecordPlain = 16 * 1024;

}  // namespace

// The BIO between OpenSSL and the stream's buffers. Reads take from cipher_in_ (a retry when it
// is empty), writes append to out_next_ and never fail.
struct TlsBio {
  static int write(BIO* bio, const char* data, int len) {
    auto* s = static_cast<TlsStream*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (len <= 0) return 0;
    std::memcpy(s->out_next_.writable(static_cast<size_t>(len)), data, static_cast<size_t>(len));
    s->out_next_.commit(static_cast<size_t>(len));
    return len;
  }
  static int read(BIO* bio, char* out, int len) {
    auto* s = static_cast<TlsStream*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (s->cipher_in_.empty()) {
      if (s->raw_eof_) return 0;
      BIO_set_retry_read(bio);
      return -1;
    }
    size_t n = std::min(s->cipher_in_.size(), static_cast<size_t>(len));
    std::memcpy(out, s->cipher_in_.data(), n);
    s->cipher_in_.consume(n);
    return static_cast<int>(n);
  }
  static long ctrl(BIO* bio, int cmd, long, void*) {
    auto* s = static_cast<TlsStream*>(BIO_get_data(bio));
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(s->cipher_in_.size());
      case BIO_CTRL_WPENDING:
        return static_cast<long>(s->out_cur_.size() + s->out_next_.size());
      case BIO_CTRL_EOF:
        return s->raw_eof_ && s->cipher_in_.empty();
      default:
        return 0;
    }
  }
  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }
  static const BIO_METHOD* method() {
    static const BIO_METHOD* m = [] {
      BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "foundry-tls");
      BIO_meth_set_write(bm, &TlsBio::write);
      BIO_meth_set_read(bm, &TlsBio::read);
      BIO_meth_set_ctrl(bm, &TlsBio::ctrl);
      BIO_meth_set_create(bm, &TlsBio::create);
      return bm;
    }();
    return m;
  }
};

const char* tlsFailureName(TlsFailure failure) {
  switch (failure) {
    case TlsFailure::None: return "none";
    case TlsFailure::Handshake: return "tls-handshake-failed";
    case TlsFailure::UntrustedCert: return "tls-untrusted-certificate";
    case TlsFailure::NameMismatch: return "tls-certificate-name-mismatch";
    case TlsFailure::ClientCertRejected: return "tls-client-certificate-rejected";
    case TlsFailure::Io: return "tls-connection-lost";
  }
  return "?";
}

TlsStream::TlsStream(SSL* ssl, bool server) : ssl_(ssl), server_(server) {
  BIO* bio = BIO_new(TlsBio::method());
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO for both directions: one reference taken
  if (server_) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    // Called when the server asks for our certificate (whether we have one or not).
    SSL_set_cert_cb(
        ssl_,
        [](SSL*, void* arg) {
          static_cast<TlsStream*>(arg)->cert_requested_ = true;
          return 1;
        },
        this);
  }
}

TlsStream::~TlsStream() {
  // A connection that ends without a TLS error keeps its session resumable: OpenSSL retires
  // the session of a connection freed without a shutdown, and the next connection to this
  // backend would need a full handshake.
  if (failure_ == TlsFailure::None && handshake_done_) {
    SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  SSL_free(ssl_);
}

std::string_view TlsStream::alpn() const {
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &len);
  return proto == nullptr ? std::string_view{}
                          : std::string_view(reinterpret_cast<const char*>(proto), len);
}

bool TlsStream::buffered() const { return !cipher_in_.empty() || SSL_pending(ssl_) > 0; }

bool TlsStream::pullIn(Channel& ch) {
  bool got = false;
  while (ch.readable && !raw_eof_ && cipher_in_.size() < kMaxCipherIn) {
    switch (ch.rawRead(cipher_in_)) {
      case Channel::Read::Progress:
        got = true;
        break;
      case Channel::Read::Eof:
        raw_eof_ = true;
        return got;
      case Channel::Read::Error:
        if (failure_ == TlsFailure::None) {
          failure_ = TlsFailure::Io;
          failure_detail_ = strerror(errno);
        }
        return got;
      case Channel::Read::WouldBlock:
        return got;
    }
  }
  return got;
}

bool TlsStream::flushOut(Channel& ch) {
  for (;;) {
    if (out_cur_.empty()) {
      if (out_next_.empty()) return true;
      std::swap(out_cur_, out_next_);
    }
    if (!ch.writable) return false;  // a send is in flight (io_uring) or the socket is full
    iovec v{out_cur_.mutableData(), out_cur_.size()};
    ssize_t n = ch.rawSend(&v, 1);
    if (n > 0) {
      out_cur_.consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0) {
      failure_ = TlsFailure::Io;
      failure_detail_ = strerror(errno);
      out_cur_.clear();
      out_next_.clear();
    }
    return false;
  }
}

TlsFailure TlsStream::classify(int ssl_error) const {
  if (ssl_error == SSL_ERROR_SYSCALL || raw_eof_) {
    return handshake_done_ ? TlsFailure::Io : TlsFailure::Handshake;
  }
  if (!server_) {
    const long verify = SSL_get_verify_result(ssl_);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH ||
        verify == X509_V_ERR_EMAIL_MISMATCH) {
      return TlsFailure::NameMismatch;
    }
    if (verify != X509_V_OK) return TlsFailure::UntrustedCert;
    // An alert about our certificate: the backend wants one we did not give, or refused ours.
    switch (ERR_GET_REASON(ERR_peek_last_error())) {
      case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
      case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
        return TlsFailure::ClientCertRejected;
      default:
        break;
    }
  }
  return TlsFailure::Handshake;
}

void TlsStream::fail(TlsFailure failure, int ssl_error) {
  failure_ = failure;
  unsigned long code = ERR_peek_last_error();
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    failure_detail_ = text;
  } else if (ssl_error == SSL_ERROR_SYSCALL || raw_eof_) {
    failure_detail_ = "connection closed during the TLS handshake";
  }
  if (!server_ && SSL_get_verify_result(ssl_) != X509_V_OK) {
    failure_detail_ += std::string(failure_detail_.empty() ? "" : ": ") +
                       X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
  }
  ERR_clear_error();
}

bool TlsStream::onEvent(Channel& ch) {
  if (failure_ != TlsFailure::None) return true;
  flushOut(ch);
  if (handshake_done_) return true;
  if (!server_) {
    const int connected = ch.rawConnectResult();
    if (connected < 0) return false;  // still connecting
    if (connected > 0) {
      failure_ = TlsFailure::Io;
      failure_detail_ = strerror(connected);
      return true;
    }
  }
  for (;;) {
    pullIn(ch);
    if (failure_ != TlsFailure::None) return true;
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    const bool sent_all = flushOut(ch);
    if (failure_ != TlsFailure::None) return true;
    if (rc == 1) {
      handshake_done_ = true;
      // Application data may have come with the handshake's last flight.
      ch.readable = true;
      (void)sent_all;
      return true;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      if (raw_eof_) {
        fail(TlsFailure::Handshake, SSL_ERROR_SYSCALL);
        return true;
      }
      if (ch.readable) continue;  // more ciphertext may be there already (capped pull)
      return false;
    }
    fail(classify(err), err);
    return true;
  }
}

int TlsStream::read(Channel& ch, IoBuffer& plain) {
  if (failure_ != TlsFailure::None) {
    errno = EPROTO;
    return static_cast<int>(Channel::Read::Error);
  }
  if (!handshake_done_) {
    // Not reachable through the Channel (the owner is told only after the handshake), but keep
    // the contract: nothing to read yet.
    return static_cast<int>(Channel::Read::WouldBlock);
  }
  plain.writable(2048);
  size_t got = 0;
  bool eof = false;
  while (plain.writableSize() > 0) {
    ERR_clear_error();
    char* p = plain.writable(1);
    const size_t room = std::min(plain.writableSize(), static_cast<size_t>(INT_MAX));
    const int n = SSL_read(ssl_, p, static_cast<int>(room));
    if (n > 0) {
      plain.commit(static_cast<size_t>(n));
      got += static_cast<size_t>(n);
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) {
      if (raw_eof_) {
        eof = true;  // closed without close_notify: most clients do that, treat it as EOF
        break;
      }
      if (ch.readable && pullIn(ch)) continue;
      if (failure_ != TlsFailure::None) break;
      break;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      clean_eof_ = true;
      eof = true;
      break;
    }
    fail(err == SSL_ERROR_SYSCALL ? TlsFailure::Io : classify(err), err);
    break;
  }
  flushOut(ch);  // SSL_read may answer (key updates, alerts)
  if (got > 0) {
    if (buffered() || eof) ch.readable = true;  // call again: more is ready without an event
    return static_cast<int>(Channel::Read::Progress);
  }
  if (eof) return static_cast<int>(Channel::Read::Eof);
  if (failure_ != TlsFailure::None) {
    errno = EPROTO;
    return static_cast<int>(Channel::Read::Error);
  }
  // WANT_READ with nothing more to pull: pullIn left a receive queued (io_uring) or read the
  // socket to EAGAIN (epoll), so an event will come.
  return static_cast<int>(Channel::Read::WouldBlock);
}

TlsFailure TlsStream::probeAlert(Channel& ch) {
  if (server_ || failure_ != TlsFailure::Io) return failure_;
  while (cipher_in_.size() < kMaxCipherIn && ch.rawReadNow(cipher_in_) == Channel::Read::Progress) {
  }
  char scratch[512];
  ERR_clear_error();
  const int n = SSL_read(ssl_, scratch, sizeof scratch);
  if (n <= 0 && SSL_get_error(ssl_, n) == SSL_ERROR_SSL) {
    const TlsFailure alert = classify(SSL_ERROR_SSL);
    if (alert == TlsFailure::ClientCertRejected) fail(alert, SSL_ERROR_SSL);
  }
  ERR_clear_error();
  if (failure_ == TlsFailure::Io && handshake_done_ && cert_requested_ &&
      SSL_get_certificate(ssl_) == nullptr) {
    // The alert itself was lost to the reset, but the cause is plain: it asked for a
    // certificate we do not have, and dropped the connection.
    failure_ = TlsFailure::ClientCertRejected;
    failure_detail_ = "the backend requires a client certificate and none is configured";
  }
  return failure_;
}

ssize_t TlsStream::send(Channel& ch, const iovec* iov, int n) {
  if (failure_ != TlsFailure::None) {
    errno = EPIPE;
    return -1;
  }
  if (!flushOut(ch)) {
    if (failure_ != TlsFailure::None) {
      errno = EPIPE;
      return -1;
    }
    return 0;
  }
  if (acked_ > 0) {
    const size_t done = acked_;
    acked_ = 0;
    return static_cast<ssize_t>(done);
  }
  size_t total = 0;
  for (int i = 0; i < n && total < kMaxPlainPerSend; ++i) {
    const char* p = static_cast<const char*>(iov[i].iov_base);
    size_t left = std::min(iov[i].iov_len, kMaxPlainPerSend - total);
    while (left > 0) {
      const size_t chunk = std::min(left, kRecordPlain);
      ERR_clear_error();
      const int w = SSL_write(ssl_, p, static_cast<int>(chunk));
      if (w <= 0) {
        fail(TlsFailure::Io, SSL_get_error(ssl_, w));
        errno = EPIPE;
        return -1;
      }
      p += w;
      left -= static_cast<size_t>(w);
      total += static_cast<size_t>(w);
    }
  }
  if (flushOut(ch)) return static_cast<ssize_t>(total);
  if (failure_ != TlsFailure::None) {
    errno = EPIPE;
    return -1;
  }
  acked_ = total;
  return 0;
}

}  // namespace foundry::router
