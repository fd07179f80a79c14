#include "router/proxy/client_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "router/common/clock.h"
#include "common/log/log.h"
#include "router/http2/h2_server_connection.h"
#include "router/lb/sticky_session.h"
#include "router/proxy/upstream_pool.h"
#include "router/proxy/worker.h"
#include "router/tls/pem.h"
#include "router/route/route_key.h"
#include "router/routeservice/route_service_url.h"

namespace foundry::router {
namespace {

// A backend head larger than this is refused with 502 (Go's transport allows 10 MiB; no real
// app sends more than a few KiB).
constexpr size_t kMaxResponseHeadBytes = 1024 * 1024;
// Response bodies with at least this much left are spliced instead of copied: below it the two
// extra pipe syscalls cost more than the copy they save.
constexpr uint64_t kSpliceMinBytes = 32 * 1024;
// Steps drive() may take in one callback before yielding to other connections.
constexpr int kMaxStepsPerCallback = 64;

// Sends head[off..] then body[0, body_len) in one write. Returns bytes written, 0 when it has to
// wait, -1 on error (errno set).
ssize_t sendPair(Channel& channel, const std::string& head, size_t off, const char* body,
                 size_t body_len) {
  iovec iov[2];
  int n = 0;
  if (off < head.size()) {
    iov[n].iov_base = const_cast<char*>(head.data() + off);
    iov[n].iov_len = head.size() - off;
    ++n;
  }
  if (body_len > 0) {
    iov[n].iov_base = const_cast<char*>(body);
    iov[n].iov_len = body_len;
    ++n;
  }
  if (n == 0) return 0;
  return channel.send(iov, n);
}

// A write of n bytes took the unsent rest of a head first, then body bytes: advances *head_off
// over the head part and returns how many body bytes were written.
size_t advancePastHead(size_t n, size_t head_size, size_t* head_off) {
  size_t head_left = head_size - *head_off;
  size_t from_head = n < head_left ? n : head_left;
  *head_off += from_head;
  return n - from_head;
}

bool allPruned(const Pool& pool) {
  for (const EndpointSharedPtr& e : pool.endpoints()) {
    if (!e->pruned()) return false;
  }
  return !pool.endpoints().empty();
}

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

// The request-target's path for route lookup (origin-form; absolute-form reduced to its path).
std::string_view lookupPath(std::string_view target) {
  if (!target.empty() && target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      std::string_view rest = target.substr(scheme + 3);
      size_t slash = rest.find('/');
      return slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
  }
  return target;
}

}  // namespace

ClientSession::ClientSession(Worker& worker, int fd, const sockaddr* peer, bool tls_listener)
    : worker_(worker), live_(worker.liveConfig()), address_fd_(fd), client_tls_(tls_listener) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (peer->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(peer);
    inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
    client_port_ = ntohs(sin->sin_port);
  } else if (peer->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(peer);
    inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
    client_port_ = ntohs(sin6->sin6_port);
  }
  client_ip_ = ip;
  if (worker_.uring() != nullptr) {
    // TCP_NODELAY came with the socket: accepted sockets inherit it from the listener.
    client_.openUring(worker_.uring(), fd, this);
  } else {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client_.openEpoll(worker_.base(), fd, this);
  }
  setUpTimer();
  startPreamble();
  worker_.stats().active_sessions.fetch_add(1, std::memory_order_relaxed);
}

ClientSession::ClientSession(Worker& worker, MemoryLink* link, const StreamOrigin& origin)
    : worker_(worker),
      live_(worker.liveConfig()),
      http2_stream_(true),
      address_fd_(origin.address_fd),
      client_tls_(origin.tls) {
  client_ip_ = origin.client_ip;
  client_port_ = origin.client_port;
  client_cert_b64_ = origin.client_cert_b64;
  client_cert_read_ = true;
  client_.openLink(link, this);
  setUpTimer();
  armTimer(Worker::Timeout::Header);
  header_timer_armed_ = true;
}

void ClientSession::setUpTimer() {
  if (worker_.uring() != nullptr) {
    deadline_.on_expire = &onTimer;
    deadline_.owner = this;
  } else {
    evtimer_assign(&timer_, worker_.base(), &onEpollTimer, this);
  }
}

ClientSession::~ClientSession() {
  if (record_open_) {
    record_.truncated = resp_sent_any_;
    finishRecord();
  }
  if (pipe_[0] >= 0) worker_.returnPipe(pipe_, pipe_bytes_ == 0);
  releaseInFlight();
  if (up_ != nullptr) worker_.upstreams().destroy(up_);
  cancelTimer();
  client_.close();
  if (!http2_stream_) {
    worker_.stats().active_sessions.fetch_sub(1, std::memory_order_relaxed);
    worker_.sessionClosed(this);
  }
}

const std::string& ClientSession::clientCertificate() {
  if (client_cert_read_ || client_.tls() == nullptr) return client_cert_b64_;
  client_cert_read_ = true;
  client_cert_b64_ = tls::peerCertificateBase64(client_.tls()->ssl());
  return client_cert_b64_;
}

void ClientSession::abort() {
  state_ = State::Closed;
  delete this;
}

void ClientSession::closeIfIdle() {
  if ((state_ == State::ReadHead || state_ == State::Preamble) && in_.empty()) abort();
}

void ClientSession::onChannelEvent() {
  // A TLS channel reports nothing before its handshake is over (or failed: the read says so).
  if (handshake_pending_ && client_.tls()->handshakeDone()) {
    handshake_pending_ = false;
    armTimer(Worker::Timeout::Header);
    header_timer_armed_ = true;
  }
  drive();
}

void ClientSession::onUpstreamEvent() {
  if (up_ != nullptr && !up_->connected) {
    const int err = up_->ch.connectResult();
    if (err > 0) {
      attemptFailed(err, true);
      if (state_ == State::Closed) {
        delete this;
        return;
      }
    } else if (err == 0) {
      up_->connected = true;
      armTimer(Worker::Timeout::Endpoint);
    }
  }
  drive();
}

void ClientSession::onTimer(void* arg) {
  auto* self = static_cast<ClientSession*>(arg);
  self->onTimeout();
  self->drive();
}

void ClientSession::onEpollTimer(evutil_socket_t, short, void* arg) { onTimer(arg); }

void ClientSession::armTimer(Worker::Timeout timeout) {
  if (worker_.uring() != nullptr) {
    worker_.armDeadline(&deadline_, timeout);
  } else {
    evtimer_add(&timer_, worker_.timeoutValue(timeout));
  }
}

void ClientSession::cancelTimer() {
  if (worker_.uring() != nullptr) {
    deadline_.cancel();
  } else {
    event_del(&timer_);
  }
}

void ClientSession::onTimeout() {
  switch (state_) {
    case State::Preamble:
      preambleTimedOut();
      return;
    case State::ReadHead:
    case State::Flushing:
      // Idle keep-alive connection, or a client too slow to send its head: cut it off.
      state_ = State::Closed;
      return;
    case State::Proxying:
      if (awaiting_address_) {
        startAttempt();  // the route service's address may be known now
        return;
      }
      if (up_ != nullptr && !up_->connected) {
        attemptFailed(ETIMEDOUT, true);  // dial timeout: nothing sent, try another endpoint
        return;
      }
      log::info("proxy", "endpoint-timeout",
                {{"host", host_}, {"endpoint", endpoint_ ? endpoint_->address() : ""}});
      if (endpoint_) endpoint_->failed_at_ns.store(monotonicNanos(), std::memory_order_relaxed);
      if (!resp_sent_any_) {
        releaseInFlight();
        releaseUpstream(false);
        respondError(RouterError::EndpointFailure, "timeout");
        close_after_flush_ = true;
      } else {
        state_ = State::Closed;  // mid-body: the client sees a truncated response
      }
      return;
    case State::Tunnel:
    case State::Closed:
      return;
  }
}

void ClientSession::startRecord(int64_t wall_ns) {
  RequestObserver* observer = worker_.observer();
  if (observer == nullptr) return;
  record_open_ = true;
  record_.start_wall_ns = wall_ns;
  record_.start_mono_ns = monotonicNanos();
  record_.end_mono_ns = 0;
  record_.backend_ns = 0;
  record_.head_mono_ns = 0;
  record_.route_lookup_ns = 0;
  record_.endpoint.reset();
  record_.router_error.clear();
  record_.status = 0;
  record_.attempts = 0;
  record_.truncated = false;
  record_.request_body_bytes = 0;
  record_.response_body_bytes = 0;
  if (!observer->wantsDetails()) return;
  record_.host = host_;
  record_.method.assign(req_head_.method);
  record_.target.assign(req_head_.target);
  record_.proto = http2_stream_ ? "HTTP/2.0" : client_http10_ ? "HTTP/1.0" : "HTTP/1.1";
  record_.referer.assign(req_head_.find("Referer"));
  record_.user_agent.assign(req_head_.find("User-Agent"));
  record_.client_addr = client_ip_ + ":" + std::to_string(client_port_);
  record_.request_id.assign(request_id_, sizeof request_id_);
  // The values as sent to the backend, read back from the rewritten head.
  auto sent = [this](std::string_view name) {
    size_t at = req_base_.find(name);
    if (at == std::string::npos) return std::string();
    at += name.size();
    return req_base_.substr(at, req_base_.find('\r', at) - at);
  };
  record_.x_forwarded_for = sent("\r\nX-Forwarded-For: ");
  record_.x_forwarded_proto = sent("\r\nX-Forwarded-Proto: ");
}

void ClientSession::finishRecord() {
  if (!record_open_) return;
  record_open_ = false;
  record_.end_mono_ns = monotonicNanos();
  record_.request_body_bytes = body_bytes_sent_;
  worker_.observer()->onRequestDone(worker_.id(), record_);
}

void ClientSession::drive() {
  int steps = 0;
  while (state_ != State::Closed) {
    bool progress = false;
    switch (state_) {
      case State::Preamble: progress = stepPreamble(); break;
      case State::ReadHead: progress = stepReadHead(); break;
      case State::Proxying: progress = stepProxy(); break;
      case State::Tunnel: progress = stepTunnel(); break;
      case State::Flushing: progress = stepFlush(); break;
      case State::Closed: break;
    }
    if (!progress) break;
    if (++steps >= kMaxStepsPerCallback) {
      // Edge-triggered: no new event will come for data we already know about, so schedule
      // ourselves again instead of waiting.
      client_.activateLater();
      break;
    }
  }
  if (state_ == State::Closed) delete this;
}

// ---------------------------------------------------------------------------------------------
// Reading and routing a request head.

bool ClientSession::stepReadHead() {
  if (!in_.empty()) {
    size_t end = findHeadEnd(in_.data(), in_.size(), scan_from_);
    if (end != 0) {
      handleHead(end);
      return true;
    }
    if (in_.size() > config().max_request_header_bytes) {
      respondError(RouterError::HeaderTooLarge, "");
      close_after_flush_ = true;
      return true;
    }
    scan_from_ = in_.size() >= 3 ? in_.size() - 3 : 0;
    if (!header_timer_armed_) {
      armTimer(Worker::Timeout::Header);
      header_timer_armed_ = true;
    }
  }
  return readClientInput();
}

bool ClientSession::readClientInput() {
  if (!client_.readable) return false;
  switch (client_.read(in_)) {
    case Channel::Read::Progress: return true;
    case Channel::Read::WouldBlock: return false;
    case Channel::Read::Eof:
    case Channel::Read::Error: state_ = State::Closed; return true;
  }
  return false;
}

void ClientSession::refreshLiveConfig() {
  const LiveConfigConstSharedPtr& current = worker_.liveConfig();
  if (live_ != current) live_ = current;  // a pointer compare: no count touched per request
}

bool ClientSession::handOverHttp2() {
  static constexpr std::string_view kPrefaceStart = "PRI * HTTP/2.0\r\n\r\n";
  if (served_any_ || http2_stream_ || !config().enable_http2 ||
      std::string_view(in_.data(), in_.size()).substr(0, kPrefaceStart.size()) != kPrefaceStart) {
    return false;
  }
  cancelTimer();
  // (Over TLS: ALPN chose h2, or the client sent the preface over http/1.1 all the same.)
  startHttp2(worker_, client_, client_ip_, client_port_, in_.data(), in_.size(), client_tls_);
  in_.clear();
  state_ = State::Closed;  // drive() deletes this session; the socket lives on
  return true;
}

void ClientSession::handleHead(size_t head_len) {
  refreshLiveConfig();
  header_timer_armed_ = false;
  scan_from_ = 0;
  req_parser_.reset(MessageParser::Type::Request);
  if (!req_parser_.parseHead(in_.data(), head_len, &req_head_)) {
    if (handOverHttp2()) return;
    in_.clear();
    respondError(RouterError::BadRequest, "");
    close_after_flush_ = true;
    return;
  }
  if (req_head_.http_major != 1) {
    if (handOverHttp2()) return;
    in_.clear();
    respondError(RouterError::UnsupportedProtocol, "");
    close_after_flush_ = true;
    return;
  }
  if (head_len > config().max_request_header_bytes) {
    in_.clear();
    respondError(RouterError::HeaderTooLarge, "");
    close_after_flush_ = true;
    return;
  }
  worker_.stats().requests.fetch_add(1, std::memory_order_relaxed);
  served_any_ = true;
  const int64_t wall_now = wallNanos();
  req_complete_ = req_parser_.messageComplete();
  req_has_body_ = req_head_.chunked || req_head_.content_length > 0;
  req_idempotent_ = isIdempotent(req_head_.method) &&
                    !req_has_body_;  // a body cannot be replayed once sent
  bool found = false;
  req_head_.find("Idempotency-Key", &found);
  if (!found) req_head_.find("X-Idempotency-Key", &found);
  if (found && !req_has_body_) req_idempotent_ = true;
  req_is_head_ = req_head_.method == "HEAD";
  client_keep_alive_ = req_head_.keep_alive;
  client_http10_ = req_head_.http_minor == 0;
  host_.assign(req_head_.find("Host"));
  const Config& cfg = config();
  if (req_head_.find("User-Agent") == cfg.healthcheck_user_agent) {
    // The deprecated load-balancer health check on the data port (gorouter's stage 13).
    in_.consume(head_len);
    respondHealth();
    return;
  }
  trace_ = !cfg.trace_key.empty() && req_head_.find("X-Vcap-Trace") == cfg.trace_key;
  std::string_view path = lookupPath(req_head_.target);
  if (host_.empty() && path.data() != req_head_.target.data()) {
    // Absolute-form target without a Host header: the authority is the host (Go does this).
    std::string_view t = req_head_.target;
    std::string_view rest = t.substr(t.find("://") + 3);
    host_.assign(rest.substr(0, rest.find_first_of("/?")));
  }
  lookup_path_.assign(path);  // members, so their capacity is reused by the next request

  // Everything still needed from the head is copied out before in_ is consumed.
  InstanceTarget target;
  bool target_malformed = false;
  bool app_header = false;
  bool found_header = false;
  std::string_view app_instance = req_head_.find("X-CF-App-Instance", &app_header);
  if (app_header) {
    target_malformed = !parseAppInstanceHeader(app_instance, &target);
  } else {
    std::string_view process = req_head_.find("X-CF-Process-Instance", &found_header);
    if (found_header) target_malformed = !parseProcessInstanceHeader(process, &target);
  }
  sticky_instance_ = stickyInstanceId(req_head_, config().sticky_session_cookie_names);
  worker_.newRequestId(request_id_);

  // Routing comes before the head is rewritten: a route service changes the rewrite. Each
  // failure is answered below, after the access-log record has started.
  leg_ = Leg::App;
  route_service_pass_ = RouteServicePass::None;
  std::optional<RouterError> error;
  std::string error_detail;
  int64_t lookup_ns = 0;
  const bool host_ok = normalizeRequestHost(host_, &host_key_) && host_ != client_ip_;
  if (!host_ok) {
    error = RouterError::EmptyHost;
  } else if (target_malformed) {
    error = app_header ? RouterError::InvalidAppInstance : RouterError::InvalidProcessInstance;
  } else {
    const int64_t lookup_start_ns = monotonicNanos();
    pool_ = worker_.table().lookup(host_key_, lookup_path_);
    lookup_ns = monotonicNanos() - lookup_start_ns;
    PoolConstSharedPtr chosen;
    if (target.kind != InstanceTarget::Kind::None && pool_) chosen = targetPool(*pool_, target);
    if (target.kind != InstanceTarget::Kind::None && !chosen) {
      // Targeted requests answer 400, not 404, whether the route or the instance is missing.
      error = RouterError::UnknownInstance;
      error_detail = unknownInstanceMessage(target, host_);
    } else if (chosen) {
      pool_ = std::move(chosen);
      sticky_instance_.clear();
    }
    if (!error && !pool_) {
      error = RouterError::UnknownRoute;
    } else if (!error && pool_->empty()) {
      error = config().empty_pool_response_code_503 ? RouterError::NoEndpoints
                                                            : RouterError::UnknownRoute;
    } else if (!error) {
      error = decideRouteService(wall_now, &error_detail);
      // The pinned instance belongs to the app: never to the route service's leg.
      if (leg_ != Leg::App) sticky_instance_.clear();
    }
  }

  const RouteServiceRewrite* route_service = nullptr;
  RouteServiceRewrite rewrite;
  if (route_service_pass_ == RouteServicePass::First) {
    rewrite.pass = RouteServiceRewrite::Pass::ToRouteService;
    rewrite.target = rs_url_.target;
    rewrite.host = rs_url_.authority;
    rewrite.forwarded_url = rs_forwarded_url_;
    rewrite.signature = rs_signature_.signature;
    rewrite.metadata = rs_signature_.metadata;
    route_service = &rewrite;
  } else if (route_service_pass_ == RouteServicePass::Return) {
    rewrite.pass = RouteServiceRewrite::Pass::FromRouteService;
    route_service = &rewrite;
  }
  const ClientConnection connection{client_ip_, client_tls_,
                                    client_tls_ ? std::string_view(clientCertificate())
                                                : std::string_view()};
  buildBackendRequestBase(req_head_, live_->rewrite, connection,
                          std::string_view(request_id_, sizeof request_id_),
                          wall_now / kNanosPerMilli, &req_base_, &facts_, route_service);
  const HeadRewriteOptions& rewrite_options = live_->rewrite;
  if (rewrite_options.enable_zipkin || rewrite_options.enable_w3c) {
    appendTraceHeaders(req_head_, rewrite_options,
                       std::string_view(request_id_, sizeof request_id_), worker_.random64(),
                       &req_base_);
  }
  req_base_len_ = req_base_.size();
  startRecord(wall_now);
  record_.route_lookup_ns = lookup_ns;
  in_.consume(head_len);  // the head is copied into req_base_; body bytes follow in in_
  req_body_pending_ = 0;
  body_bytes_sent_ = 0;

  if (error) {
    respondError(*error, error_detail);
    return;
  }
  state_ = State::Proxying;
  attempts_ = 0;
  tried_.count = 0;
  last_tls_failure_ = TlsFailure::None;
  last_tls_detail_.clear();
  startAttempt();
}

std::optional<RouterError> ClientSession::decideRouteService(int64_t wall_now,
                                                             std::string* detail) {
  const RouteServiceConfig* rs = live_->route_services.get();
  bool have_signature = false;
  const std::string_view signature = req_head_.find("X-CF-Proxy-Signature", &have_signature);
  if (pool_->routeServiceUrl().empty()) {
    // Strict validation: a signature on a route without a route service is checked too, so a
    // client cannot pass one off as coming from a route service (gorouter's wording).
    if (rs == nullptr || !rs->strictSignatureValidation() || !have_signature) return std::nullopt;
    SignatureContents contents;
    switch (rs->validate(signature, req_head_.find("X-CF-Proxy-Metadata"), wall_now, &contents,
                         detail)) {
      case RouteServiceConfig::Verdict::Valid: return std::nullopt;
      case RouteServiceConfig::Verdict::Expired:
        log::info("proxy", "route-service-signature-expired", {{"host", host_}});
        return RouterError::ExpiredRouteServiceSignature;
      case RouteServiceConfig::Verdict::Invalid:
        log::info("proxy", "route-service-signature-invalid",
                  {{"host", host_}, {"error", *detail}});
        return RouterError::InvalidRouteServiceSignature;
    }
  }
  if (rs == nullptr || !rs->enabled()) {
    log::info("proxy", "route-service-unsupported", {{"host", host_}});
    return RouterError::RouteServiceUnsupported;
  }
  if (have_signature && !signature.empty()) {
    // The return pass: the route service sends the request back with our signature.
    SignatureContents contents;
    const RouteServiceConfig::Verdict verdict =
        rs->validate(signature, req_head_.find("X-CF-Proxy-Metadata"), wall_now, &contents, detail);
    if (verdict == RouteServiceConfig::Verdict::Valid &&
        !forwardedUrlMatchesPool(contents, detail)) {
      log::info("proxy", "route-service-signature-invalid", {{"host", host_}, {"error", *detail}});
      return RouterError::RouteServiceSignatureInvalid;
    }
    switch (verdict) {
      case RouteServiceConfig::Verdict::Valid:
        route_service_pass_ = RouteServicePass::Return;
        return std::nullopt;
      case RouteServiceConfig::Verdict::Expired:
        log::info("proxy", "route-service-signature-expired", {{"host", host_}});
        return RouterError::RouteServiceSignatureExpired;
      case RouteServiceConfig::Verdict::Invalid:
        log::info("proxy", "route-service-signature-invalid",
                  {{"host", host_}, {"error", *detail}});
        return RouterError::RouteServiceSignatureInvalid;
    }
  }

  // The first pass: off to the route service, signed.
  std::string url_error;
  if (!parseRouteServiceUrl(pool_->routeServiceUrl(), &rs_url_, &url_error)) {
    log::error("proxy", "route-service-failed", {{"host", host_}, {"error", url_error}});
    return RouterError::RouteServiceRequestFailed;
  }
  std::string_view request_uri = lookupPath(req_head_.target);  // origin-form: path and query
  if (!request_uri.empty() && request_uri[0] == '?') {
    rs_forwarded_url_ = forwardedUrl(rs->recommendHttps(), host_, "/");
    rs_forwarded_url_.append(request_uri);
  } else {
    rs_forwarded_url_ = forwardedUrl(rs->recommendHttps(), host_, request_uri);
  }
  if (!rs->sign(rs_forwarded_url_, wall_now, &rs_signature_)) {
    log::error("proxy", "route-service-failed", {{"host", host_}, {"error", "signing failed"}});
    return RouterError::RouteServiceRequestFailed;
  }
  route_service_pass_ = RouteServicePass::First;
  leg_ = Leg::RouteService;
  if (rs->hairpinning()) {
    // Hairpin: the route service is an app of this router. Its pool is used directly, in
    // process, instead of a TLS connection to our own address (gorouter loops through a local
    // mTLS server). Not when the route service has a route service itself: that request takes
    // the ordinary way, so it gets its own first pass.
    std::string rs_host;
    if (normalizeRequestHost(rs_url_.host, &rs_host)) {
      PoolConstSharedPtr rs_pool = worker_.table().lookup(rs_host, rs_url_.path);
      if (rs_pool && !rs_pool->empty() && rs_pool->routeServiceUrl().empty() &&
          rs->hairpinAllowlist().allows(rs_pool->host())) {
        pool_ = std::move(rs_pool);
        leg_ = Leg::Hairpin;
      }
    }
  }
  return std::nullopt;
}

bool ClientSession::forwardedUrlMatchesPool(const SignatureContents& contents,
                                            std::string* error) {
  std::string host;
  std::string path;
  std::string uri;
  if (!splitForwardedUrl(contents.forwarded_url, &host, &path, &uri)) {
    *error = "invalid forwarded URL " + contents.forwarded_url;
    return false;
  }
  PoolConstSharedPtr signed_pool = worker_.table().lookup(host, path);
  if (!signed_pool) {
    *error = "original request URL " + uri + " does not exist in the routing table";
    return false;
  }
  // gorouter's route.PoolsMatch: the same route (host and context path).
  if (signed_pool->host() != pool_->host() ||
      signed_pool->contextPath() != pool_->contextPath()) {
    *error = "route service forwarded URL " + pool_->host() + pool_->contextPath() +
             " does not match the original request URL " + uri;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Attempts: pick an endpoint, get a connection, (re)send the head.

void ClientSession::startAttempt() {
  resp_head_done_ = false;
  resp_complete_ = false;
  resp_body_pending_ = 0;
  client_head_.clear();
  client_head_off_ = 0;
  up_in_.clear();

  endpoint_ = nullptr;
  if (leg_ == Leg::RouteService) {
    if (!routeServiceEndpoint()) return;  // its address is being resolved, or a 502 is on its way
  } else if (!pickFromPool()) {
    return;
  }
  ++attempts_;
  record_.attempts = attempts_;
  // The access log shows the app's endpoint; a route service is not one (gorouter logs "-").
  record_.endpoint = leg_ == Leg::App ? endpoint_ : nullptr;
  attempt_start_ns_ = monotonicNanos();
  if (attempts_ == 1) first_attempt_ns_ = attempt_start_ns_;
  endpoint_->in_flight.fetch_add(1, std::memory_order_relaxed);
  in_flight_held_ = true;

  req_base_.resize(req_base_len_);
  if (leg_ == Leg::RouteService) {
    endHeadWithoutAttemptHeaders(&req_base_);
  } else {
    appendAttemptHeaders(*endpoint_, &req_base_);
  }
  up_head_off_ = 0;

  up_ = config().disable_keep_alives ? nullptr
                                             : worker_.upstreams().takeIdle(*endpoint_);
  if (up_ != nullptr) {
    up_->session = this;
    armTimer(Worker::Timeout::Endpoint);
    return;
  }
  connectFresh();
}

bool ClientSession::routeServiceEndpoint() {
  const int64_t now = monotonicNanos();
  std::string error;
  switch (worker_.routeServiceTargets().endpointFor(rs_url_, now, &endpoint_, &error)) {
    case RouteServiceTargets::Status::Ready:
      awaiting_address_ = false;
      return true;
    case RouteServiceTargets::Status::Pending:
      if (!awaiting_address_) {
        awaiting_address_ = true;
        awaiting_since_ns_ = now;
      }
      if (now - awaiting_since_ns_ < config().endpoint_dial_timeout_ns) {
        armTimer(Worker::Timeout::Poll);  // onTimeout() asks again
        return false;
      }
      error = "lookup " + rs_url_.host + ": timeout";
      break;
    case RouteServiceTargets::Status::Failed:
      break;
  }
  awaiting_address_ = false;
  log::info("proxy", "route-service-connection-failed",
            {{"host", host_}, {"route_service", rs_url_.authority}, {"error", error}});
  worker_.stats().bad_gateways.fetch_add(1, std::memory_order_relaxed);
  respondError(RouterError::EndpointFailure, error);
  return false;
}

bool ClientSession::pickFromPool() {
  PickResult result = PickResult::Picked;
  const int64_t now = monotonicNanos();
  if (attempts_ == 0 && !sticky_instance_.empty()) {
    // Sticky: the pinned instance first, unless it is gone or full (then balance normally and
    // re-pin on the response).
    for (const EndpointSharedPtr& e : pool_->endpoints()) {
      if (e->fields().private_instance_id == sticky_instance_ &&
          (config().max_conns == 0 ||
           e->in_flight.load(std::memory_order_relaxed) < config().max_conns)) {
        endpoint_ = e;
        break;
      }
    }
  }
  const Config& cfg = config();
  if (!endpoint_ && attempts_ == 0 && !cfg.zone.empty() &&
      cfg.balancing_algorithm_az_preference == "locally-optimistic") {
    endpoint_ = pickEndpoint(*pool_, tried_, now, cfg.max_conns, &result, cfg.zone);
  }
  if (!endpoint_) {
    endpoint_ = pickEndpoint(*pool_, tried_, now, cfg.max_conns, &result);
  }
  if (!endpoint_) {
    if (attempts_ == 0 && result == PickResult::AllOverloaded) {
      respondError(RouterError::ConnectionLimit, "");
    } else if (last_tls_failure_ != TlsFailure::None) {
      respondTlsFailure();
    } else if (attempts_ == 0 && allPruned(*pool_)) {
      // TLS failures pruned every endpoint: the pool is empty until they register again (5.3).
      respondError(
          config().empty_pool_response_code_503 ? RouterError::NoEndpoints : RouterError::UnknownRoute,
          "");
    } else {
      worker_.stats().bad_gateways.fetch_add(1, std::memory_order_relaxed);
      respondError(RouterError::EndpointFailure, "No endpoints available");
    }
    return false;
  }
  tried_.add(endpoint_.get());
  return true;
}

void ClientSession::connectFresh() {
  int err = 0;
  up_ = worker_.upstreams().connect(
      endpoint_, this, &err, leg_ == Leg::RouteService ? TlsRole::RouteService : TlsRole::Backend);
  if (up_ == nullptr) {
    attemptFailed(err, true);
    return;
  }
  up_->reused = false;
  armTimer(up_->connected ? Worker::Timeout::Endpoint : Worker::Timeout::Dial);
}

void ClientSession::respondTlsFailure() {
  const RouterError error =
      last_tls_failure_ == TlsFailure::UntrustedCert        ? RouterError::BackendInvalidCert
      : last_tls_failure_ == TlsFailure::NameMismatch       ? RouterError::BackendInvalidId
      : last_tls_failure_ == TlsFailure::ClientCertRejected ? RouterError::BackendCertRequired
                                                            : RouterError::BackendTlsHandshake;
  respondError(error, last_tls_detail_.empty() ? std::string(tlsFailureName(last_tls_failure_))
                                               : last_tls_detail_);
}

void ClientSession::attemptFailed(int err, bool before_send) {
  record_.backend_ns += monotonicNanos() - attempt_start_ns_;
  attempt_start_ns_ = monotonicNanos();
  // A TLS failure (8.2) other than a lost connection says the endpoint is not who it claims
  // to be, or cannot talk to us: prune it now (until its next register) and forget its session.
  TlsFailure tls_failure = TlsFailure::None;
  std::string tls_detail;
  if (up_ != nullptr && up_->ch.tls() != nullptr) {
    tls_failure = up_->ch.tls()->probeAlert(up_->ch);
    tls_detail = up_->ch.tls()->failureDetail();
    if (tls_failure == TlsFailure::Io) tls_failure = TlsFailure::None;
  }
  if (tls_failure != TlsFailure::None) {
    last_tls_failure_ = tls_failure;
    last_tls_detail_ = tls_detail;
    if (tls_failure == TlsFailure::UntrustedCert) {
      ++record_.backend_invalid_tls_cert;
    } else if (tls_failure == TlsFailure::NameMismatch) {
      ++record_.backend_invalid_id;
    } else {
      ++record_.backend_tls_handshake_failed;
    }
    endpoint_->pruned_at_ns.store(monotonicNanos(), std::memory_order_relaxed);
    worker_.upstreams().forgetTlsSession(endpoint_->address());
    log::warn("proxy", "backend-tls-failed",
              {{"host", host_}, {"endpoint", endpoint_->address()},
               {"error", tlsFailureName(tls_failure)}, {"detail", tls_detail}});
  }
  const bool reused = up_ != nullptr && up_->reused && tls_failure == TlsFailure::None;
  releaseUpstream(false);
  const bool nothing_sent_to_client = !resp_sent_any_;
  const bool body_untouched = body_bytes_sent_ == 0;

  // A pooled connection the backend had already closed: not the endpoint's fault, and the
  // request never reached it. Replay on a fresh connection to the same endpoint.
  if (reused && nothing_sent_to_client && body_untouched && !resp_head_done_ &&
      (before_send || req_idempotent_)) {
    up_head_off_ = 0;
    up_in_.clear();
    connectFresh();
    return;
  }

  releaseInFlight();
  endpoint_->failed_at_ns.store(monotonicNanos(), std::memory_order_relaxed);
  log::info("proxy", "backend-endpoint-failed",
            {{"host", host_}, {"endpoint", endpoint_->address()}, {"error", strerror(err)},
             {"attempt", std::to_string(attempts_)}});

  const bool retriable = nothing_sent_to_client && !resp_head_done_ && body_untouched &&
                         (before_send || req_idempotent_);
  const int64_t retry_budget = config().max_retry_time_ns;
  const bool in_budget =
      retry_budget == 0 || monotonicNanos() - first_attempt_ns_ < retry_budget;
  // A route service has its own attempt limit (route_services.max_attempts).
  const int max_attempts = leg_ == Leg::RouteService ? live_->route_services->maxAttempts()
                                                     : config().max_attempts;
  if (retriable && attempts_ < max_attempts && in_budget) {
    startAttempt();
    return;
  }
  if (nothing_sent_to_client && tls_failure != TlsFailure::None) {
    respondTlsFailure();
    if (!req_complete_ || body_bytes_sent_ > 0) close_after_flush_ = true;
  } else if (nothing_sent_to_client) {
    worker_.stats().bad_gateways.fetch_add(1, std::memory_order_relaxed);
    respondError(RouterError::EndpointFailure, strerror(err));
    if (!req_complete_ || body_bytes_sent_ > 0) close_after_flush_ = true;
  } else {
    state_ = State::Closed;  // the response was cut: the client sees a truncated body
  }
}

void ClientSession::releaseInFlight() {
  if (in_flight_held_ && endpoint_) {
    endpoint_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  }
  in_flight_held_ = false;
}

void ClientSession::releaseUpstream(bool reusable) {
  if (up_ == nullptr) return;
  if (reusable && !up_->ch.peer_closed) {
    worker_.upstreams().release(up_);
  } else {
    worker_.upstreams().destroy(up_);
  }
  up_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Forwarding.

ClientSession::Io ClientSession::writeToUpstream() {
  ssize_t w = sendPair(up_->ch, req_base_, up_head_off_, in_.data(), req_body_pending_);
  if (w < 0) return Io::Error;
  if (w == 0) return Io::WouldBlock;
  size_t from_body = advancePastHead(static_cast<size_t>(w), req_base_.size(), &up_head_off_);
  if (from_body > 0) {
    in_.consume(from_body);
    req_body_pending_ -= from_body;
    body_bytes_sent_ += from_body;
  }
  return Io::Progress;
}

ClientSession::Io ClientSession::writeToClient() {
  ssize_t w = sendPair(client_, client_head_, client_head_off_, up_in_.data(), resp_body_pending_);
  if (w < 0) return Io::Error;
  if (w == 0) {
    // io_uring: the bytes are queued and may reach the client any moment, so from here on the
    // response counts as started (a timeout now cuts it instead of answering 502).
    if (worker_.uring() != nullptr && !client_.isLink()) resp_sent_any_ = true;
    return Io::WouldBlock;
  }
  size_t from_body =
      advancePastHead(static_cast<size_t>(w), client_head_.size(), &client_head_off_);
  if (from_body > 0) {
    up_in_.consume(from_body);
    resp_body_pending_ -= from_body;
    record_.response_body_bytes += from_body;
  }
  resp_sent_any_ = true;
  return Io::Progress;
}

bool ClientSession::stepProxy() {
  bool progress = false;

  // Client -> upstream. Frame what we already hold first, so the head and the body bytes that
  // came with it leave in one writev.
  if (!req_complete_ && in_.size() > req_body_pending_) {
    long n = req_parser_.feedBody(in_.data() + req_body_pending_, in_.size() - req_body_pending_);
    if (n < 0) {
      // The client's body framing is broken: nothing sensible can follow on this connection.
      state_ = State::Closed;
      return true;
    }
    req_body_pending_ += static_cast<size_t>(n);
    req_complete_ = req_parser_.messageComplete();
  }
  if (up_ != nullptr && up_->connected && up_->ch.writable && pendingToUpstream()) {
    Io io = writeToUpstream();
    if (io == Io::Error) {
      // Nothing of this request reached the backend when the very first write failed: as
      // retriable as a connect error (gorouter: "before request headers were written").
      attemptFailed(errno, up_head_off_ == 0);
      return true;
    }
    progress |= io == Io::Progress;
  }
  if (!pendingToUpstream() && !req_complete_ && client_.readable) {
    switch (client_.read(in_)) {
      case Channel::Read::Progress: progress = true; break;
      case Channel::Read::WouldBlock: break;
      case Channel::Read::Eof:
      case Channel::Read::Error: state_ = State::Closed; return true;  // client gone mid-body
    }
  }
  if (up_ == nullptr) return progress;

  // Upstream -> client.
  if (resp_head_done_ && !resp_complete_ && up_in_.size() > resp_body_pending_) {
    long n = resp_parser_.feedBody(up_in_.data() + resp_body_pending_,
                                   up_in_.size() - resp_body_pending_);
    if (n < 0) {
      state_ = State::Closed;  // broken backend framing: cut the response
      return true;
    }
    resp_body_pending_ += static_cast<size_t>(n);
    resp_complete_ = resp_parser_.messageComplete();
    if (resp_complete_ && up_in_.size() > resp_body_pending_) upstream_reusable_ = false;
  }
  if (pendingToClient()) {
    if (!client_.writable) return progress;
    Io io = writeToClient();
    if (io == Io::Error) {
      state_ = State::Closed;
      return true;
    }
    return progress || io == Io::Progress;
  }
  if (!resp_head_done_) {
    if (!up_in_.empty()) {
      size_t end = findHeadEnd(up_in_.data(), up_in_.size(), 0);
      const size_t limit = config().max_response_header_bytes > 0
                               ? config().max_response_header_bytes
                               : kMaxResponseHeadBytes;
      if (end != 0 && end <= limit) return handleResponseHead(end) || true;
      if (end > limit || up_in_.size() > limit) {
        // Not retried (gorouter answers 502 at once): the next endpoint runs the same app.
        log::info("proxy", "response-headers-too-large",
                  {{"host", host_}, {"endpoint", endpoint_->address()}});
        releaseInFlight();
        worker_.stats().bad_gateways.fetch_add(1, std::memory_order_relaxed);
        respondError(RouterError::EndpointFailure, "response headers too large");
        return true;
      }
    }
    if (up_->ch.readable && up_->connected) {
      switch (up_->ch.read(up_in_)) {
        case Channel::Read::Progress: return true;
        case Channel::Read::WouldBlock: return progress;
        case Channel::Read::Eof: attemptFailed(ECONNRESET, false); return true;
        case Channel::Read::Error: attemptFailed(errno, false); return true;
      }
    }
  } else if (!resp_complete_) {
    if (splicing_ || (up_in_.empty() && up_->ch.quiet() && client_.quiet() &&
                      resp_parser_.remainingContentLength() >= kSpliceMinBytes &&
                      worker_.takePipe(pipe_))) {
      if (!splicing_) {
        splicing_ = true;
        splice_remaining_ = resp_parser_.remainingContentLength();
      }
      return stepSplice() || progress;
    }
    if (up_->ch.readable) {
      switch (up_->ch.read(up_in_)) {
        case Channel::Read::Progress: return true;
        case Channel::Read::WouldBlock: return progress;
        case Channel::Read::Eof:
          if (resp_parser_.bodyUntilEof()) {
            resp_parser_.finishAtEof();
            resp_complete_ = true;
            upstream_reusable_ = false;
            return true;
          }
          [[fallthrough]];
        case Channel::Read::Error:
          // The backend died mid-response: the client gets what was sent, then a close.
          log::info("proxy", "backend-closed-mid-response",
                    {{"host", host_}, {"endpoint", endpoint_->address()}});
          state_ = State::Closed;
          return true;
      }
    }
  } else {
    // The response is complete and flushed.
    if (req_complete_ && !pendingToUpstream()) {
      finishExchange();
    } else {
      // The backend answered before taking the whole request body: this connection (and the
      // client's) cannot be reused, since the rest of the body would be read as a new request.
      state_ = State::Closed;
    }
    return true;
  }
  return progress;
}

bool ClientSession::stepSplice() {
  bool progress = false;
  if (pipe_bytes_ > 0 && client_.writable) {
    ssize_t n = ::splice(pipe_[0], nullptr, client_.fd(), nullptr, pipe_bytes_,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      pipe_bytes_ -= static_cast<size_t>(n);
      record_.response_body_bytes += static_cast<uint64_t>(n);
      if (pipe_bytes_ > 0) {
        client_.writable = false;  // the socket buffer is full
        client_.waitWritable();
      }
      resp_sent_any_ = true;
      progress = true;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      client_.writable = false;
      client_.waitWritable();
    } else {
      state_ = State::Closed;  // client gone
      return true;
    }
  }
  if (pipe_bytes_ == 0 && splice_remaining_ > 0 && up_->ch.readable) {
    size_t want = splice_remaining_ < Worker::kPipeCapacity ? splice_remaining_
                                                            : Worker::kPipeCapacity;
    ssize_t n = ::splice(up_->ch.fd(), nullptr, pipe_[1], nullptr, want,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      pipe_bytes_ += static_cast<size_t>(n);
      splice_remaining_ -= static_cast<uint64_t>(n);
      if (static_cast<size_t>(n) < want && !up_->ch.peer_closed) {
        up_->ch.readable = false;
        up_->ch.waitReadable();
      }
      progress = true;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      up_->ch.readable = false;
      up_->ch.waitReadable();
    } else {
      // EOF or error before the announced length: the client gets a truncated response.
      log::info("proxy", "backend-closed-mid-response",
                {{"host", host_}, {"endpoint", endpoint_->address()}});
      state_ = State::Closed;
      return true;
    }
  }
  if (splice_remaining_ == 0 && pipe_bytes_ == 0) {
    splicing_ = false;
    worker_.returnPipe(pipe_, true);
    resp_parser_.markComplete();
    resp_complete_ = true;
    progress = true;
  }
  return progress;
}

bool ClientSession::handleResponseHead(size_t head_len) {
  resp_parser_.reset(MessageParser::Type::Response, req_is_head_);
  if (!resp_parser_.parseHead(up_in_.data(), head_len, &resp_head_)) {
    attemptFailed(EPROTO, false);
    return true;
  }
  const int status = resp_head_.status;
  std::string_view first_line(up_in_.data(), head_len);
  first_line = first_line.substr(0, first_line.find('\n'));
  if (!first_line.empty() && first_line.back() == '\r') first_line.remove_suffix(1);

  if (status >= 100 && status < 200 && status != 101) {
    // Interim response (100 Continue...): relayed as is; the final head follows.
    client_head_.assign(up_in_.data(), head_len);
    client_head_off_ = 0;
    up_in_.consume(head_len);
    return true;
  }
  releaseInFlight();
  resp_head_done_ = true;
  record_.head_mono_ns = monotonicNanos();
  record_.backend_ns += record_.head_mono_ns - attempt_start_ns_;
  record_.status = status;

  if (status == 101 && facts_.upgrade) {
    buildClientResponseHead(resp_head_, first_line, "", true, false, &client_head_);
    client_head_off_ = 0;
    up_in_.consume(head_len);
    cancelTimer();  // WebSockets are exempt from endpoint_timeout
    state_ = State::Tunnel;
    finishRecord();  // the upgrade is the request; the tunnel's bytes are not logged
    return true;
  }

  const bool until_eof = resp_parser_.bodyUntilEof();
  client_keep_alive_ =
      client_keep_alive_ && !until_eof && !client_.peer_closed && !worker_.draining();
  upstream_reusable_ = resp_head_.keep_alive && !facts_.backend_close && !until_eof &&
                       !config().disable_keep_alives;
  buildClientResponseHead(resp_head_, first_line,
                          std::string_view(request_id_, sizeof request_id_), client_keep_alive_,
                          client_http10_, &client_head_);
  const Config& cfg = config();
  if (leg_ == Leg::App) {
    // Not on a route service's response: its endpoint is no app instance to pin.
    std::string cookie = vcapIdSetCookie(resp_head_, cfg.sticky_session_cookie_names,
                                         sticky_instance_, *endpoint_, pool_->contextPath(),
                                         cfg.secure_cookies);
    if (!cookie.empty()) insertHeader(&client_head_, "Set-Cookie", cookie);
  }
  if (trace_) addTraceHeaders();
  applyResponseRewrite(&client_head_, cfg.response_headers_to_remove,
                       cfg.response_headers_to_add);
  client_head_off_ = 0;
  up_in_.consume(head_len);
  resp_body_pending_ = 0;
  resp_complete_ = resp_parser_.messageComplete();
  return true;
}

void ClientSession::finishExchange() {
  cancelTimer();
  finishRecord();
  releaseUpstream(upstream_reusable_ && up_in_.empty());
  pool_.reset();
  endpoint_.reset();
  if (!client_keep_alive_ || worker_.draining()) {
    state_ = State::Closed;
    return;
  }
  state_ = State::ReadHead;
  resp_sent_any_ = false;
  resp_head_done_ = false;
  client_head_.clear();
  client_head_off_ = 0;
  armTimer(in_.empty() ? Worker::Timeout::Idle : Worker::Timeout::Header);
  header_timer_armed_ = !in_.empty();
}

// ---------------------------------------------------------------------------------------------
// Router-generated responses and WebSocket tunnels.

void ClientSession::respondError(RouterError error, const std::string& detail) {
  // A request body we did not read would be taken for the next request: close instead.
  const bool unread_body = !req_complete_ && req_has_body_;
  close_after_flush_ = unread_body || !client_keep_alive_ || worker_.draining();
  if (error == RouterError::HeaderTooLarge || error == RouterError::BadRequest ||
      error == RouterError::UnsupportedProtocol) {
    close_after_flush_ = true;
  }
  client_head_ = renderRouterError(error, host_, detail, close_after_flush_);
  applyResponseRewrite(&client_head_, config().response_headers_to_remove,
                       config().response_headers_to_add);
  record_.status = routerErrorStatus(error);
  record_.router_error = std::string(routerErrorName(error));
  if (routerErrorName(error) == "endpoint_failure" && !detail.empty()) {
    record_.router_error += " (" + detail + ")";  // as in the X-Cf-Routererror header
  }
  const size_t head_end = client_head_.find("\r\n\r\n");
  record_.response_body_bytes =
      head_end == std::string::npos ? 0 : client_head_.size() - head_end - 4;
  client_head_off_ = 0;
  resp_body_pending_ = 0;
  up_in_.clear();
  releaseUpstream(false);
  pool_.reset();
  state_ = State::Flushing;
  armTimer(Worker::Timeout::Idle);
}

void ClientSession::respondHealth() {
  const bool healthy = !worker_.draining();
  client_head_ = healthy ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
  client_head_ +=
      "Cache-Control: private, max-age=0\r\nExpires: 0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n";
  client_head_ += healthy ? "Content-Length: 3\r\n\r\nok\n" : "Content-Length: 0\r\n\r\n";
  client_head_off_ = 0;
  resp_body_pending_ = 0;
  close_after_flush_ = !client_keep_alive_ || (req_has_body_ && !req_complete_);
  state_ = State::Flushing;
  armTimer(Worker::Timeout::Idle);
}

void ClientSession::addTraceHeaders() {
  // X-Vcap-Router is the router's own address on this connection.
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  char ip[INET6_ADDRSTRLEN] = "";
  if (getsockname(address_fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    if (local.ss_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, ip, sizeof ip);
    } else if (local.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, ip, sizeof ip);
    }
  }
  insertHeader(&client_head_, "X-Vcap-Router", ip);
  insertHeader(&client_head_, "X-Vcap-Backend", endpoint_->address());
  insertHeader(&client_head_, "X-Cf-RouteEndpoint", endpoint_->address());
}

bool ClientSession::stepFlush() {
  if (client_head_off_ < client_head_.size()) {
    if (!client_.writable) return false;
    Io io = writeToClient();
    if (io == Io::Error) {
      state_ = State::Closed;
      return true;
    }
    if (io != Io::Progress) return false;
    if (client_head_off_ < client_head_.size()) return true;
  }
  finishRecord();
  if (close_after_flush_) {
    // Half-close so the client reads the whole error before the connection goes.
    client_.shutdownWrite();
    state_ = State::Closed;
    return true;
  }
  endpoint_.reset();
  state_ = State::ReadHead;
  resp_sent_any_ = false;
  client_head_.clear();
  client_head_off_ = 0;
  armTimer(in_.empty() ? Worker::Timeout::Idle : Worker::Timeout::Header);
  header_timer_armed_ = !in_.empty();
  return true;
}

bool ClientSession::stepTunnel() {
  bool progress = false;
  // Upstream -> client: first the 101 head, then raw bytes.
  resp_body_pending_ = up_in_.size();
  if (pendingToClient() && client_.writable) {
    Io io = writeToClient();
    if (io == Io::Error) {
      state_ = State::Closed;
      return true;
    }
    progress |= io == Io::Progress;
  }
  if (!pendingToClient() && up_->ch.readable) {
    switch (up_->ch.read(up_in_)) {
      case Channel::Read::Progress: progress = true; break;
      case Channel::Read::WouldBlock: break;
      case Channel::Read::Eof:
      case Channel::Read::Error: state_ = State::Closed; return true;
    }
  }
  // Client -> upstream: raw bytes (including any sent right behind the upgrade request).
  req_body_pending_ = in_.size();
  if (pendingToUpstream() && up_->ch.writable) {
    Io io = writeToUpstream();
    if (io == Io::Error) {
      state_ = State::Closed;
      return true;
    }
    progress |= io == Io::Progress;
  }
  if (!pendingToUpstream() && client_.readable) {
    switch (client_.read(in_)) {
      case Channel::Read::Progress: progress = true; break;
      case Channel::Read::WouldBlock: break;
      case Channel::Read::Eof:
      case Channel::Read::Error: state_ = State::Closed; return true;
    }
  }
  return progress;
}

}  // namespace foundry::router
