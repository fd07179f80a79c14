#pragma once
// TLS on one Channel (OpenSSL). The ciphertext never touches OpenSSL's socket BIO: a small BIO
// of ours reads from and writes to two IoBuffers, and the Channel moves those bytes with its
// ordinary raw read/send (epoll system calls or io_uring requests). So TLS works the same on
// both event backends, costs one copy per direction beyond plain TCP, and OpenSSL never blocks.
//
// The handshake runs inside the Channel: its owner hears nothing until the handshake is done
// (or failed), then sees plaintext through read() / send() with the Channel's usual meaning.
// Outgoing ciphertext goes into `out_next_` while `out_cur_` is being sent (io_uring needs
// the bytes of a queued send to stay put), and send() reports plaintext as written only once
// its ciphertext has left, exactly as a raw io_uring send does: callers need no TLS case.

#include <openssl/ssl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "router/proxy/io_buffer.h"

namespace foundry::router {

class Channel;

// Why a TLS connection failed, for the error statuses of ROUTER-PROTOCOL.md 5.2.
enum class TlsFailure {
  None,
  Handshake,           // 525: not TLS, no shared version/cipher, alert from the peer
  UntrustedCert,       // 526: the backend's chain does not verify
  NameMismatch,        // 503 backend_invalid_id: the certificate is not for that name / IP
  ClientCertRejected,  // 496: the backend refused (or wanted) our client certificate
  Io,                  // the socket failed or closed mid-handshake
};
const char* tlsFailureName(TlsFailure failure);

class TlsStream {
 public:
  // Takes ownership of `ssl`, already configured (SNI, verification, session) by the caller.
  TlsStream(SSL* ssl, bool server);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* ssl() const { return ssl_; }
  bool server() const { return server_; }
  bool handshakeDone() const { return handshake_done_; }
  TlsFailure failure() const { return failure_; }
  // OpenSSL's reason for a failure ("certificate verify failed: ..."), for logs.
  const std::string& failureDetail() const { return failure_detail_; }
  // The protocol ALPN chose ("h2", "http/1.1") or "".
  std::string_view alpn() const;
  // Takes bytes already read from the socket as the first ciphertext (leaves *bytes empty).
  void adoptCiphertext(IoBuffer* bytes) { std::swap(cipher_in_, *bytes); }
  // Plaintext or ciphertext is waiting inside (the socket need not be readable for read()).
  bool buffered() const;

  // Channel side (friend use): one event on the socket. Moves ciphertext and runs the
  // handshake; true when the owner should hear about it (handshake done or failed, or done
  // earlier).
  bool onEvent(Channel& ch);
  int read(Channel& ch, IoBuffer& plain);  // returns a Channel::Read value
  // After the connection failed as Io: reads what already arrived, without waiting, and
  // returns the failure an alert in it names (a TLS 1.3 server refuses our certificate only
  // after our handshake is done: its alert can be queued behind the reset our request caused).
  TlsFailure probeAlert(Channel& ch);
  ssize_t send(Channel& ch, const iovec* iov, int n);

 private:
  friend struct TlsBio;
  bool pullIn(Channel& ch);
  bool flushOut(Channel& ch);
  void fail(TlsFailure failure, int ssl_error);
  TlsFailure classify(int ssl_error) const;

  SSL* ssl_;
  bool server_;
  bool handshake_done_ = false;
  bool raw_eof_ = false;
  bool clean_eof_ = false;  // close_notify received
  bool cert_requested_ = false;  // client: the server sent a CertificateRequest
  TlsFailure failure_ = TlsFailure::None;
  std::string failure_detail_;
  IoBuffer cipher_in_;
  IoBuffer out_cur_;   // being sent
  IoBuffer out_next_;  // written by OpenSSL meanwhile
  size_t acked_ = 0;   // plaintext already encrypted, reported once out_cur_/out_next_ drain
};

}  // namespace foundry::router
