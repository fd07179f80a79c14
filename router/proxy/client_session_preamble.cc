// ClientSession's preamble: what a connection sends before its first HTTP request. Today that
// is the PROXY protocol header (ROUTER-PROTOCOL.md 8.1, `enable_proxy`), read as gorouter's
// go-proxyproto listener reads it:
//  - optional: a connection whose first bytes are not a PROXY signature is plain HTTP, and the
//    bytes stay in the input buffer for the request parser;
//  - 100 ms: a connection that sends nothing (or only part of a signature) for that long is
//    taken as plain HTTP too (a slow client is no attacker yet); one that sent a signature but
//    not the rest of the header in time is closed;
//  - the header's source address becomes the client address for everything after it
//    (X-Forwarded-For, the access log's client address, the empty-host check);
//  - an invalid header closes the connection, logged and counted
//    (proxy_protocol_rejected_connections).
// A TLS listener runs the same preamble before its handshake: onPreambleDone() is the one place
// to hand over to whatever comes next.

#include <string>

#include "common/log/log.h"
#include "router/http/proxy_protocol.h"
#include "router/proxy/client_session.h"
#include "router/proxy/worker.h"

namespace foundry::router {

void ClientSession::startPreamble() {
  if (!config().enable_proxy) {
    onPreambleDone();
    return;
  }
  state_ = State::Preamble;
  armTimer(Worker::Timeout::ProxyHeader);
}

bool ClientSession::stepPreamble() {
  const ProxyHeaderResult r = parseProxyHeader(in_.data(), in_.size());
  switch (r.status) {
    case ProxyHeaderStatus::NotProxy:
      onPreambleDone();
      return true;
    case ProxyHeaderStatus::Invalid:
      rejectPreamble(ConnectionRejection::ProxyHeaderInvalid, r.error);
      return true;
    case ProxyHeaderStatus::Done:
      if (r.source.present) {
        client_ip_ = r.source.ip();
        client_port_ = r.source.port;
      }
      in_.consume(r.consumed);
      onPreambleDone();
      return true;
    case ProxyHeaderStatus::NeedMore:
      break;
  }
  return readClientInput();
}

void ClientSession::preambleTimedOut() {
  const ProxyHeaderResult r = parseProxyHeader(in_.data(), in_.size());
  if (r.status == ProxyHeaderStatus::NeedMore && r.signature_seen) {
    rejectPreamble(ConnectionRejection::ProxyHeaderTimeout, "header not complete within 100 ms");
    return;
  }
  // Nothing, or not even a whole signature: plain HTTP, whose bytes (if any) stay in in_.
  onPreambleDone();
}

void ClientSession::rejectPreamble(ConnectionRejection why, const char* error) {
  log::info("proxy", "proxy-protocol-rejected",
            {{"client", client_ip_ + ":" + std::to_string(client_port_)}, {"error", error}});
  if (RequestObserver* observer = worker_.observer()) {
    observer->onConnectionRejected(worker_.id(), why);
  }
  state_ = State::Closed;
}

void ClientSession::onPreambleDone() {
  if (client_tls_ && client_.tls() == nullptr) {
    // The TLS handshake starts now, with any bytes the preamble read past its header (the
    // ClientHello's beginning).
    server_tls_ = live_->server_tls;
    SSL* ssl = server_tls_ != nullptr ? server_tls_->newConnection() : nullptr;
    if (ssl == nullptr) {  // SSL_new fails only out of memory
      state_ = State::Closed;
      return;
    }
    client_.startTls(ssl, /*server=*/true, &in_);
    // The handshake has tls_handshake_timeout; the first head's timeout starts after it.
    state_ = State::ReadHead;
    handshake_pending_ = true;
    armTimer(Worker::Timeout::Handshake);
    return;
  }
  // A new connection must send its first head within the header timeout.
  state_ = State::ReadHead;
  armTimer(Worker::Timeout::Header);
  header_timer_armed_ = true;
}

}  // namespace foundry::router
