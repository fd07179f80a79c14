#include "tests/test_common/http_wire.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

namespace foundry::test {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Milliseconds until `deadline` for poll(2): -1 for no deadline, 0 when it passed.
int pollTimeout(Deadline deadline) {
  if (deadline == Deadline::max()) {
    return -1;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) {
    return 0;
  }
  return static_cast<int>(std::min<int64_t>(left.count() + 1, INT_MAX));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> findHeader(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<std::string> findHeaders(const Headers& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) {
      out.push_back(v);
    }
  }
  return out;
}

bool headerHasToken(const Headers& headers, std::string_view name, std::string_view token) {
  for (const auto& value : findHeaders(headers, name)) {
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string patternBody(size_t size) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string body(size, '\0');
  // Period 61 (prime, not a divisor of any power of two) so shifted copies differ.
  for (size_t i = 0; i < size; ++i) {
    body[i] = kAlphabet[(i * 7 + i / 61) % 61];
  }
  return body;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

const char* ioStatusName(IoStatus status) {
  switch (status) {
    case IoStatus::Ok:
      return "ok";
    case IoStatus::Timeout:
      return "timeout";
    case IoStatus::Closed:
      return "closed";
    case IoStatus::Error:
      return "error";
    case IoStatus::Malformed:
      return "malformed";
  }
  return "?";
}

IoStatus SocketReader::fill(Deadline deadline, size_t max) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    int n = ::poll(&pfd, 1, pollTimeout(deadline));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return IoStatus::Error;
    }
    if (n == 0) {
      return IoStatus::Timeout;
    }
    char tmp[64 * 1024];
    ssize_t got = ::recv(fd_, tmp, std::min(sizeof(tmp), max), 0);
    if (got > 0) {
      buf_.append(tmp, static_cast<size_t>(got));
      if (tap_ != nullptr) {
        tap_->append(tmp, static_cast<size_t>(got));
      }
      return IoStatus::Ok;
    }
    if (got == 0) {
      return IoStatus::Closed;
    }
    if (errno == EINTR || errno == EAGAIN) {
      continue;
    }
    return (errno == ECONNRESET || errno == EPIPE) ? IoStatus::Closed : IoStatus::Error;
  }
}

IoStatus SocketReader::readLine(std::string* line, Deadline deadline, size_t max_length) {
  size_t scanned = 0;  // bytes after pos_ known to hold no LF
  for (;;) {
    size_t lf = buf_.find('\n', pos_ + scanned);
    if (lf != std::string::npos) {
      size_t end = (lf > pos_ && buf_[lf - 1] == '\r') ? lf - 1 : lf;
      line->assign(buf_, pos_, end - pos_);
      pos_ = lf + 1;
      return IoStatus::Ok;
    }
    scanned = buf_.size() - pos_;
    if (scanned > max_length) {
      return IoStatus::Malformed;
    }
    IoStatus s = fill(deadline);
    if (s != IoStatus::Ok) {
      return s;
    }
  }
}

IoStatus SocketReader::readExact(size_t n, std::string* out, Deadline deadline) {
  while (buf_.size() - pos_ < n) {
    IoStatus s = fill(deadline);
    if (s != IoStatus::Ok) {
      return s;
    }
  }
  out->append(buf_, pos_, n);
  pos_ += n;
  return IoStatus::Ok;
}

IoStatus SocketReader::readUntilClose(std::string* out, Deadline deadline) {
  for (;;) {
    out->append(buf_, pos_, std::string::npos);
    pos_ = buf_.size();
    IoStatus s = fill(deadline);
    if (s == IoStatus::Closed) {
      return IoStatus::Ok;
    }
    if (s != IoStatus::Ok) {
      return s;
    }
  }
}

IoStatus SocketReader::readSome(std::string* out, Deadline deadline, size_t max) {
  if (buffered() == 0) {
    IoStatus s = fill(deadline, max);
    if (s != IoStatus::Ok) {
      return s;
    }
  }
  size_t n = std::min(max, buffered());
  out->append(buf_, pos_, n);
  pos_ += n;
  return IoStatus::Ok;
}

IoStatus SocketReader::readHead(std::string* start_line, Headers* headers, Deadline deadline) {
  IoStatus s;
  do {
    s = readLine(start_line, deadline);
    if (s != IoStatus::Ok) {
      return s;
    }
  } while (start_line->empty());
  std::string line;
  for (;;) {
    s = readLine(&line, deadline);
    if (s != IoStatus::Ok) {
      return s == IoStatus::Closed ? IoStatus::Malformed : s;
    }
    if (line.empty()) {
      return IoStatus::Ok;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return IoStatus::Malformed;
    }
    std::string_view view = line;
    headers->emplace_back(std::string(view.substr(0, colon)),
                          std::string(trim(view.substr(colon + 1))));
  }
}

IoStatus SocketReader::readChunkedBody(std::string* body, Headers* trailers, Deadline deadline) {
  std::string line;
  for (;;) {
    IoStatus s = readLine(&line, deadline);
    if (s != IoStatus::Ok) {
      return s == IoStatus::Closed ? IoStatus::Malformed : s;
    }
    std::string_view size_text = line;
    size_text = trim(size_text.substr(0, size_text.find(';')));  // drop chunk extensions
    uint64_t size = 0;
    auto [ptr, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || size_text.empty()) {
      return IoStatus::Malformed;
    }
    if (size == 0) {
      break;
    }
    s = readExact(size, body, deadline);
    if (s != IoStatus::Ok) {
      return s == IoStatus::Closed ? IoStatus::Malformed : s;
    }
    s = readLine(&line, deadline);
    if (s != IoStatus::Ok || !line.empty()) {
      return s == IoStatus::Ok || s == IoStatus::Closed ? IoStatus::Malformed : s;
    }
  }
  for (;;) {  // trailer section up to the empty line
    IoStatus s = readLine(&line, deadline);
    if (s != IoStatus::Ok) {
      return s == IoStatus::Closed ? IoStatus::Malformed : s;
    }
    if (line.empty()) {
      return IoStatus::Ok;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return IoStatus::Malformed;
    }
    std::string_view view = line;
    trailers->emplace_back(std::string(view.substr(0, colon)),
                           std::string(trim(view.substr(colon + 1))));
  }
}

IoStatus SocketReader::waitReadable(Deadline deadline) {
  return buffered() > 0 ? IoStatus::Ok : fill(deadline);
}

std::string SocketReader::takeBuffered() {
  std::string rest = buf_.substr(pos_);
  buf_.clear();
  pos_ = 0;
  return rest;
}

bool writeAll(int fd, std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      int r = ::poll(&pfd, 1, pollTimeout(deadline));
      if (r == 0) {
        return false;  // deadline
      }
      if (r < 0 && errno != EINTR) {
        return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

std::string encodeChunk(std::string_view data) {
  char size_hex[32];
  auto [end, ec] = std::to_chars(size_hex, size_hex + sizeof(size_hex), data.size(), 16);
  std::string out(size_hex, end);
  out.append("\r\n").append(data).append("\r\n");
  return out;
}

std::string encodeChunked(std::string_view body, size_t chunk_size) {
  std::string out;
  while (!body.empty()) {
    size_t n = std::min(chunk_size, body.size());
    out += encodeChunk(body.substr(0, n));
    body.remove_prefix(n);
  }
  out.append("0\r\n\r\n");
  return out;
}

}  // namespace foundry::test
