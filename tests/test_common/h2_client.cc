#include "tests/test_common/h2_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace foundry::test {
namespace {

using namespace std::chrono;

std::vector<nghttp2_nv> toNv(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<nghttp2_nv> nv;
  nv.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    nv.push_back(nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                            const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                            name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nv;
}

}  // namespace

H2Client::H2Client(uint16_t port, H2ClientOptions options) : port_(port), options_(options) {}

H2Client::~H2Client() { close(); }

void H2Client::close() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  session_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool H2Client::connect(milliseconds timeout) {
  close();
  closed_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    error_ = std::string("connect: ") + strerror(errno);
    close();
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);

  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* user) -> int {
        auto* self = static_cast<H2Client*>(user);
        H2Response& r = self->responses_[frame->hd.stream_id];
        std::string n(reinterpret_cast<const char*>(name), namelen);
        std::string v(reinterpret_cast<const char*>(value), valuelen);
        if (n == ":status") {
          r.status = std::stoi(v);
        } else if (frame->headers.cat == NGHTTP2_HCAT_HEADERS && r.status >= 200) {
          r.trailers.emplace_back(std::move(n), std::move(v));
        } else {
          r.headers.emplace_back(std::move(n), std::move(v));
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_begin_headers_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) -> int {
        auto* self = static_cast<H2Client*>(user);
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
          H2Response& r = self->responses_[frame->hd.stream_id];
          if (r.status >= 100 && r.status < 200) r = H2Response{};  // an interim response
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data, size_t len,
             void* user) -> int {
        auto* self = static_cast<H2Client*>(user);
        self->responses_[stream].body.append(reinterpret_cast<const char*>(data), len);
        self->unconsumed_[stream] += len;
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) -> int {
        auto* self = static_cast<H2Client*>(user);
        switch (frame->hd.type) {
          case NGHTTP2_DATA:
            ++self->responses_[frame->hd.stream_id].data_frames;
            [[fallthrough]];
          case NGHTTP2_HEADERS:
            if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
              self->responses_[frame->hd.stream_id].complete = true;
            }
            break;
          case NGHTTP2_GOAWAY:
            self->goaway_ = true;
            self->goaway_code_ = frame->goaway.error_code;
            self->goaway_last_stream_ = frame->goaway.last_stream_id;
            break;
          case NGHTTP2_PING:
            if (frame->hd.flags & NGHTTP2_FLAG_ACK) ++self->ping_acks_;
            break;
          case NGHTTP2_SETTINGS:
            for (size_t i = 0; i < frame->settings.niv; ++i) {
              if (frame->settings.iv[i].settings_id == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
                self->server_max_streams_ = frame->settings.iv[i].value;
              }
            }
            break;
          default:
            break;
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t stream, uint32_t code, void* user) -> int {
        auto* self = static_cast<H2Client*>(user);
        H2Response& r = self->responses_[stream];
        if (!r.complete || code != NGHTTP2_NO_ERROR) {
          if (!r.complete) r.reset = true;
          r.reset_code = code;
        }
        return 0;
      });
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  if (options_.manual_window) nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_session_client_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);

  std::vector<nghttp2_settings_entry> settings = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  if (options_.initial_window >= 0) {
    settings.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
                        static_cast<uint32_t>(options_.initial_window)});
  }
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  return flush();
}

ssize_t H2Client::readBody(nghttp2_session*, int32_t stream, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user) {
  auto* self = static_cast<H2Client*>(user);
  Outgoing& out = self->outgoing_[stream];
  size_t n = std::min(length, out.data.size() - out.offset);
  memcpy(buf, out.data.data() + out.offset, n);
  out.offset += n;
  if (out.offset == out.data.size()) {
    out.data.clear();
    out.offset = 0;
    if (out.end) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    }
    if (n == 0) {
      out.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

int32_t H2Client::submit(const H2Request& request) {
  if (session_ == nullptr) {
    error_ = "not connected";
    return -1;
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {":method", request.method},
      {":scheme", request.scheme},
      {":authority", request.authority},
      {":path", request.path}};
  for (const auto& h : request.headers) fields.push_back(h);
  std::vector<nghttp2_nv> nv = toNv(fields);
  const bool has_body = !request.body.empty() || !request.end_stream;
  int32_t id;
  if (has_body) {
    nghttp2_data_provider provider{};
    provider.read_callback = &H2Client::readBody;
    id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &provider, nullptr);
    if (id > 0) {
      Outgoing& out = outgoing_[id];
      out.data = request.body;
      out.end = request.end_stream;
    }
  } else {
    id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), nullptr, nullptr);
  }
  if (id < 0) {
    error_ = std::string("submit: ") + nghttp2_strerror(id);
    return -1;
  }
  responses_[id];
  flush();
  return id;
}

bool H2Client::sendData(int32_t stream, std::string_view data, bool end) {
  Outgoing& out = outgoing_[stream];
  out.data.append(data);
  out.end = end;
  if (out.deferred) {
    out.deferred = false;
    nghttp2_session_resume_data(session_, stream);
  }
  return flush();
}

void H2Client::resetStream(int32_t stream, uint32_t code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream, code);
  flush();
}

void H2Client::ping() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  flush();
}

void H2Client::consume(int32_t stream) {
  size_t& n = unconsumed_[stream];
  if (n > 0) nghttp2_session_consume(session_, stream, n);
  n = 0;
  flush();
}

bool H2Client::sendRaw(std::string_view bytes) {
  size_t off = 0;
  const auto deadline = steady_clock::now() + seconds(5);
  while (off < bytes.size()) {
    ssize_t w = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      error_ = std::string("send: ") + strerror(errno);
      closed_ = true;
      return false;
    }
    if (steady_clock::now() > deadline) {
      error_ = "send timed out";
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
  return true;
}

bool H2Client::flush() {
  if (session_ == nullptr || closed_) return false;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      error_ = std::string("mem_send: ") + nghttp2_strerror(static_cast<int>(n));
      return false;
    }
    if (n == 0) return true;
    if (!sendRaw(std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(n)))) {
      return false;
    }
  }
}

bool H2Client::pumpOnce(int timeout_ms) {
  if (!flush()) return false;
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc <= 0) return true;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      ssize_t used = nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf),
                                              static_cast<size_t>(n));
      if (used < 0) {
        error_ = std::string("mem_recv: ") + nghttp2_strerror(static_cast<int>(used));
        closed_ = true;
        return false;
      }
      continue;
    }
    if (n == 0) {
      error_ = "connection closed by the server";
      closed_ = true;
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    error_ = std::string("recv: ") + strerror(errno);
    closed_ = true;
    return false;
  }
  return flush();
}

bool H2Client::run(const std::function<bool()>& pred, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!pred()) {
    if (closed_ || fd_ < 0) return pred();
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) {
      error_ = "timed out";
      return pred();
    }
    if (!pumpOnce(static_cast<int>(std::min<int64_t>(left, 50)))) return pred();
  }
  return true;
}

bool H2Client::waitFor(int32_t stream, milliseconds timeout) {
  return run([&] { return responses_[stream].done(); }, timeout);
}

std::optional<H2Response> H2Client::request(const H2Request& req, milliseconds timeout) {
  if (session_ == nullptr && !connect()) return std::nullopt;
  int32_t id = submit(req);
  if (id < 0) return std::nullopt;
  if (!waitFor(id, timeout)) return std::nullopt;
  return responses_[id];
}

std::optional<H2Response> H2Client::get(const std::string& authority, const std::string& path,
                                        const Headers& headers) {
  H2Request req;
  req.authority = authority;
  req.path = path;
  req.headers = headers;
  return request(req);
}

std::string h2Frame(uint8_t type, uint8_t flags, int32_t stream, std::string_view payload) {
  std::string f;
  const size_t len = payload.size();
  f.push_back(static_cast<char>((len >> 16) & 0xff));
  f.push_back(static_cast<char>((len >> 8) & 0xff));
  f.push_back(static_cast<char>(len & 0xff));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  const uint32_t id = static_cast<uint32_t>(stream) & 0x7fffffff;
  f.push_back(static_cast<char>((id >> 24) & 0xff));
  f.push_back(static_cast<char>((id >> 16) & 0xff));
  f.push_back(static_cast<char>((id >> 8) & 0xff));
  f.push_back(static_cast<char>(id & 0xff));
  f.append(payload);
  return f;
}

std::string hpackBlock(const Headers& fields) {
  nghttp2_hd_deflater* deflater = nullptr;
  nghttp2_hd_deflate_new(&deflater, 0);  // no dynamic table: every block stands alone
  std::vector<nghttp2_nv> nv = toNv(fields);
  size_t bound = nghttp2_hd_deflate_bound(deflater, nv.data(), nv.size());
  std::string out(bound, '\0');
  ssize_t n = nghttp2_hd_deflate_hd(deflater, reinterpret_cast<uint8_t*>(out.data()), bound,
                                    nv.data(), nv.size());
  nghttp2_hd_deflate_del(deflater);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace foundry::test
