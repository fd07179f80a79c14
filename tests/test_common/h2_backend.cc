#include "tests/test_common/h2_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace foundry::test {
namespace {

std::vector<nghttp2_nv> toNv(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<nghttp2_nv> nv;
  for (const auto& [name, value] : fields) {
    nv.push_back(nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                            const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                            name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nv;
}

}  // namespace

std::string grpcMessage(std::string_view payload) {
  std::string out(5, '\0');
  const uint32_t len = static_cast<uint32_t>(payload.size());
  out[1] = static_cast<char>(len >> 24);
  out[2] = static_cast<char>(len >> 16);
  out[3] = static_cast<char>(len >> 8);
  out[4] = static_cast<char>(len);
  out.append(payload);
  return out;
}

std::vector<std::string> takeGrpcMessages(std::string* buffer) {
  std::vector<std::string> out;
  while (buffer->size() >= 5) {
    const auto* p = reinterpret_cast<const uint8_t*>(buffer->data());
    const size_t len = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
    if (buffer->size() < 5 + len) break;
    out.push_back(buffer->substr(5, len));
    buffer->erase(0, 5 + len);
  }
  return out;
}

struct H2Backend::Connection {
  int fd = -1;
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<bool> drop{false};
  H2Backend* owner = nullptr;
  nghttp2_session* session = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams;
};

void H2Backend::Stream::respond(int status, const Headers& headers, bool end) {
  std::vector<std::pair<std::string, std::string>> fields = {{":status", std::to_string(status)}};
  for (const auto& h : headers) fields.push_back(h);
  std::vector<nghttp2_nv> nv = toNv(fields);
  responded_ = true;
  if (end) {
    nghttp2_submit_response(session_, id, nv.data(), nv.size(), nullptr);
    return;
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = [](nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                              size_t length, uint32_t* flags, nghttp2_data_source* source,
                              void*) -> ssize_t {
    auto* s = static_cast<Stream*>(source->ptr);
    const size_t n = std::min(length, s->out_.size() - s->out_off_);
    memcpy(buf, s->out_.data() + s->out_off_, n);
    s->out_off_ += n;
    if (s->out_off_ == s->out_.size()) {
      s->out_.clear();
      s->out_off_ = 0;
      if (s->finishing_) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!s->out_trailers_.empty()) {
          std::vector<nghttp2_nv> t = toNv(s->out_trailers_);
          nghttp2_submit_trailer(session, stream_id, t.data(), t.size());
          *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
        return static_cast<ssize_t>(n);
      }
      if (n == 0) {
        s->deferred_ = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  };
  nghttp2_submit_response(session_, id, nv.data(), nv.size(), &provider);
}

void H2Backend::Stream::write(std::string_view data) {
  out_.append(data);
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(session_, id);
  }
}

void H2Backend::Stream::finish(const Headers& trailers) {
  out_trailers_ = trailers;
  finishing_ = true;
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(session_, id);
  }
}

void H2Backend::Stream::reset(uint32_t code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
}

H2Backend::H2Backend(std::string name) : name_(std::move(name)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sin), len) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sin), &len);
  port_ = ntohs(sin.sin_port);
  handler_ = [this](Stream& s, Event e, std::string_view) {
    if (e == Event::End) {
      s.respond(200, {{"content-type", "text/plain"}});
      s.write("h2 backend " + name_);
      s.finish();
    }
  };
  accept_thread_ = std::thread([this] { acceptLoop(); });
}

H2Backend::~H2Backend() { stop(); }

void H2Backend::setHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

std::vector<H2Backend::Stream> H2Backend::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t H2Backend::requestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_.size();
}

bool H2Backend::waitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (requestCount() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void H2Backend::stop() {
  if (stopped_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : conns_) {
    c->drop = true;
    if (c->thread.joinable()) c->thread.join();
  }
  conns_.clear();
}

void H2Backend::dropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : conns_) c->drop = true;
}

void H2Backend::acceptLoop() {
  while (!stopped_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    conn->owner = this;
    Connection* raw = conn.get();
    std::lock_guard<std::mutex> lock(mu_);
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { serve(raw); });
  }
}

void H2Backend::serve(Connection* conn) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(
      cb, [](nghttp2_session* session, const nghttp2_frame* frame, void* user) -> int {
        auto* c = static_cast<Connection*>(user);
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          auto s = std::make_unique<Stream>();
          s->id = frame->hd.stream_id;
          s->session_ = session;
          c->streams[frame->hd.stream_id] = std::move(s);
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_header_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* user) -> int {
        auto* c = static_cast<Connection*>(user);
        auto it = c->streams.find(frame->hd.stream_id);
        if (it == c->streams.end()) return 0;
        Stream& s = *it->second;
        std::string n(reinterpret_cast<const char*>(name), namelen);
        std::string v(reinterpret_cast<const char*>(value), valuelen);
        if (n == ":method") {
          s.method = v;
        } else if (n == ":path") {
          s.path = v;
        } else if (n == ":authority") {
          s.authority = v;
        } else if (n[0] == ':') {
        } else if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
          s.trailers.emplace_back(std::move(n), std::move(v));
        } else {
          s.headers.emplace_back(std::move(n), std::move(v));
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
             void* user) -> int {
        auto* c = static_cast<Connection*>(user);
        auto it = c->streams.find(id);
        if (it == c->streams.end()) return 0;
        Stream& s = *it->second;
        std::string_view chunk(reinterpret_cast<const char*>(data), len);
        s.body.append(chunk);
        Handler h;
        {
          std::lock_guard<std::mutex> lock(c->owner->mu_);
          h = c->owner->handler_;
        }
        h(s, Event::Data, chunk);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) -> int {
        auto* c = static_cast<Connection*>(user);
        auto it = c->streams.find(frame->hd.stream_id);
        if (it == c->streams.end()) return 0;
        Stream& s = *it->second;
        Handler h;
        {
          std::lock_guard<std::mutex> lock(c->owner->mu_);
          h = c->owner->handler_;
        }
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          ++c->owner->started_;
          h(s, Event::Headers, {});
        }
        if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          s.ended = true;
          h(s, Event::End, {});
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t id, uint32_t, void* user) -> int {
        auto* c = static_cast<Connection*>(user);
        auto it = c->streams.find(id);
        if (it == c->streams.end()) return 0;
        {
          std::lock_guard<std::mutex> lock(c->owner->mu_);
          Stream copy = *it->second;
          copy.session_ = nullptr;
          c->owner->log_.push_back(std::move(copy));
        }
        c->streams.erase(it);
        return 0;
      });
  nghttp2_session_server_new(&conn->session, cb, conn);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000}};
  nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 1);

  char buf[65536];
  while (!conn->drop && !stopped_) {
    // Send what nghttp2 has.
    bool fail = false;
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(conn->session, &data);
      if (n <= 0) {
        fail = n < 0;
        break;
      }
      size_t off = 0;
      while (off < static_cast<size_t>(n) && !conn->drop) {
        ssize_t w = ::send(conn->fd, data + off, static_cast<size_t>(n) - off, MSG_NOSIGNAL);
        if (w > 0) {
          off += static_cast<size_t>(w);
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
          pollfd p{conn->fd, POLLOUT, 0};
          ::poll(&p, 1, 20);
        } else {
          fail = true;
          break;
        }
      }
      if (fail) break;
    }
    if (fail) break;
    if (!nghttp2_session_want_read(conn->session) && !nghttp2_session_want_write(conn->session)) {
      break;
    }
    pollfd p{conn->fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(conn->fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    if (n > 0 && nghttp2_session_mem_recv(conn->session, reinterpret_cast<uint8_t*>(buf),
                                          static_cast<size_t>(n)) < 0) {
      break;
    }
  }
  nghttp2_session_del(conn->session);
  conn->session = nullptr;
  ::close(conn->fd);
  conn->done = true;
}

}  // namespace foundry::test
