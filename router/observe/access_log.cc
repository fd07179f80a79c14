#include "router/observe/access_log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include "router/common/clock.h"
#include "common/log/log.h"

namespace foundry::router {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr int64_t kErrorLogIntervalNs = 10 * kNanosPerSecond;

inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

void appendUint(std::string* out, uint64_t v) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 20 digits always fit
  out->append(buf, static_cast<size_t>(end - buf));
}

// Zero-padded decimal of fixed width.
void appendPadded(std::string* out, uint64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

// Seconds with 6 decimals, rounded to the microsecond, like Go's FormatFloat(v, 'f', 6, 64);
// negative durations print as "-" (quoted), as gorouter does.
void appendSeconds(std::string* out, int64_t ns) {
  if (ns < 0) {
    out->append("\"-\"");
    return;
  }
  uint64_t us = (static_cast<uint64_t>(ns) + 500) / 1000;
  appendUint(out, us / 1'000'000);
  out->push_back('.');
  appendPadded(out, us % 1'000'000, 6);
}

// Length of the valid UTF-8 sequence at the start of `s` (2-4) and its code point, or 0 when
// the bytes are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
size_t decodeUtf8(std::string_view s, uint32_t* cp) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  unsigned char c = byte(0);
  if (c >= 0xc2 && c <= 0xdf) {
    if (!cont(1)) return 0;
    *cp = (uint32_t{c} & 0x1f) << 6 | (byte(1) & 0x3f);
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef) {
    unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return 0;
    *cp = (uint32_t{c} & 0x0f) << 12 | (uint32_t{byte(1)} & 0x3f) << 6 | (byte(2) & 0x3f);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return 0;
    *cp = (uint32_t{c} & 0x07) << 18 | (uint32_t{byte(1)} & 0x3f) << 12 |
          (uint32_t{byte(2)} & 0x3f) << 6 | (byte(3) & 0x3f);
    return 4;
  }
  return 0;
}

// Go's unicode.IsPrint for code points >= 0x80, approximated: the control, format, separator
// (other than ASCII space), private-use and non-character code points are not printable.
// Unassigned code points are treated as printable (Go escapes them).
bool isPrintable(uint32_t cp) {
  if (cp <= 0xa0 || cp == 0xad || cp == 0x1680 || cp == 0x3000 || cp == 0xfeff) return false;
  if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
      (cp >= 0x205f && cp <= 0x206f)) {
    return false;
  }
  if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000) return false;  // private use
  if ((cp & 0xfffe) == 0xfffe || (cp >= 0xfff9 && cp <= 0xfffb)) return false;
  return true;
}

// Printable ASCII other than '"' and '\\': copied as is.
constexpr std::array<bool, 256> kPlainAscii = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7f; ++c) table[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return table;
}();
inline bool plainAscii(unsigned char c) { return kPlainAscii[c]; }

// The inside of Go's strconv.Quote(s).
void appendQuotedBody(std::string* out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // Fast path: runs of plain ASCII (nearly every byte of a real line) in one append.
    size_t run = i;
    while (run < s.size() && plainAscii(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      out->append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out->append("\\\"");
          continue;
        case '\\':
          out->append("\\\\");
          continue;
        case '\a':
          out->append("\\a");
          continue;
        case '\b':
          out->append("\\b");
          continue;
        case '\f':
          out->append("\\f");
          continue;
        case '\n':
          out->append("\\n");
          continue;
        case '\r':
          out->append("\\r");
          continue;
        case '\t':
          out->append("\\t");
          continue;
        case '\v':
          out->append("\\v");
          continue;
        default:
          break;
      }
      if (c >= 0x20 && c < 0x7f) {
        out->push_back(static_cast<char>(c));
      } else {
        out->append("\\x");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
      }
      continue;
    }
    uint32_t cp = 0;
    size_t len = decodeUtf8(s.substr(i), &cp);
    if (len == 0) {
      out->append("\\x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
      ++i;
      continue;
    }
    if (isPrintable(cp)) {
      out->append(s.substr(i, len));
    } else if (cp < 0x10000) {
      out->append("\\u");
      for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xf]);
    } else {
      out->append("\\U");
      for (int shift = 28; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xf]);
    }
    i += len;
  }
}

// gorouter's WriteDashOrStringValue: "-" when empty, else the Go-quoted value.
void appendDashOrQuoted(std::string* out, std::string_view s) {
  if (s.empty()) {
    out->append("\"-\"");
    return;
  }
  appendGoQuoted(out, s);
}

std::string sha1Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr) != 1) return "";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0xf]);
  }
  return hex;
}

// The quoted body of the request URI as Go's URL.RequestURI() prints it: an absolute-form
// target loses its scheme and authority ("/" when nothing is left); redact_query_params applies
// to GET requests with a query.
void appendRequestUri(std::string* out, const RequestRecord& record,
                      const AccessLogFormatOptions& options) {
  std::string_view target = record.target;
  size_t scheme_end = target.find("://");
  if (!target.empty() && target.front() != '/' && scheme_end != std::string_view::npos &&
      target.find('/') > scheme_end) {
    std::string_view rest = target.substr(scheme_end + 3);
    size_t path_start = rest.find_first_of("/?");
    target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  }
  std::string_view path = target;
  std::string_view query;
  size_t q = target.find('?');
  if (q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  appendQuotedBody(out, path.empty() ? std::string_view("/") : path);
  if (q == std::string_view::npos) return;
  if (record.method == "GET" && !query.empty() && options.redact_query_params != "none") {
    if (options.redact_query_params == "all") return;
    if (options.redact_query_params == "hash") {
      out->append("?hash=");
      out->append(sha1Hex(query));
      return;
    }
  }
  out->push_back('?');
  appendQuotedBody(out, query);
}

}  // namespace

void appendGoQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  appendQuotedBody(out, s);
  out->push_back('"');
}

AccessLogFormatter::AccessLogFormatter(AccessLogFormatOptions options)
    : options_(std::move(options)) {}

void AccessLogFormatter::format(const RequestRecord& r, std::string* out) {
  out->reserve(out->size() + 320 + r.host.size() + r.target.size() + r.referer.size() +
               r.user_agent.size() + r.x_forwarded_for.size() + r.router_error.size());
  out->append(r.host);
  out->append(" - [");
  int64_t wall = r.start_wall_ns < 0 ? 0 : r.start_wall_ns;
  int64_t second = wall / kNanosPerSecond;
  if (second != cached_second_) {
    time_t t = static_cast<time_t>(second);
    tm gmt{};
    gmtime_r(&t, &gmt);
    std::string prefix;
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_year + 1900), 4);
    prefix.push_back('-');
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_mon + 1), 2);
    prefix.push_back('-');
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_mday), 2);
    prefix.push_back('T');
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_hour), 2);
    prefix.push_back(':');
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_min), 2);
    prefix.push_back(':');
    appendPadded(&prefix, static_cast<uint64_t>(gmt.tm_sec), 2);
    std::memcpy(cached_prefix_, prefix.data(), std::min(prefix.size(), sizeof cached_prefix_));
    cached_second_ = second;
  }
  out->append(cached_prefix_, 19);
  out->push_back('.');
  appendPadded(out, static_cast<uint64_t>(wall % kNanosPerSecond), 9);
  out->append("Z] \"");

  appendQuotedBody(out, r.method);
  out->push_back(' ');
  appendRequestUri(out, r, options_);
  out->push_back(' ');
  appendQuotedBody(out, r.proto);
  out->append("\" ");

  if (r.status == 0) {
    out->append("\"-\"");
  } else {
    appendUint(out, static_cast<uint64_t>(r.status));
  }
  out->push_back(' ');
  appendUint(out, r.request_body_bytes);
  out->push_back(' ');
  appendUint(out, r.response_body_bytes);
  out->push_back(' ');
  appendDashOrQuoted(out, r.referer);
  out->push_back(' ');
  appendDashOrQuoted(out, r.user_agent);
  out->push_back(' ');
  appendDashOrQuoted(out, options_.disable_log_source_ip ? std::string_view() : r.client_addr);
  out->push_back(' ');
  const EndpointFields* fields = r.endpoint ? &r.endpoint->fields() : nullptr;
  appendDashOrQuoted(out, r.endpoint ? std::string_view(r.endpoint->address()) : "");
  out->append(" x_forwarded_for:");
  appendDashOrQuoted(out,
                     options_.disable_log_forwarded_for ? std::string_view() : r.x_forwarded_for);
  out->append(" x_forwarded_proto:");
  appendDashOrQuoted(out, r.x_forwarded_proto);
  out->append(" vcap_request_id:");
  appendDashOrQuoted(out, r.request_id);
  const int64_t total_ns = r.end_mono_ns - r.start_mono_ns;
  out->append(" response_time:");
  appendSeconds(out, total_ns);
  out->append(" gorouter_time:");
  appendSeconds(out, total_ns < 0 ? -1 : total_ns - r.backend_ns);
  out->append(" app_id:");
  appendDashOrQuoted(out, fields ? std::string_view(fields->app_id) : "");
  out->append(" app_index:");
  appendDashOrQuoted(out, fields ? std::string_view(fields->private_instance_index) : "");
  out->append(" instance_id:");
  appendDashOrQuoted(out, fields ? std::string_view(fields->private_instance_id) : "");
  out->append(" x_cf_routererror:");
  appendDashOrQuoted(out, r.router_error);
  out->push_back('\n');
}

// One worker's queue: a list of chunks of about kChunkBytes, so that a queue grown by a slow
// disk never reallocates (and copies) a big buffer on the request path. `mu` is taken only by
// that worker (to append a line) and by the writer (to take the chunks, and to give emptied
// ones back), each time for a memcpy or a few pointer moves.
struct alignas(64) AccessLog::Lane {
  explicit Lane(const AccessLogFormatOptions& options) : formatter(options) {}

  std::mutex mu;
  std::vector<std::string> chunks;       // guarded by mu: queued lines, oldest first
  std::vector<std::string> free_chunks;  // guarded by mu: emptied chunks, capacity kept
  size_t pending_bytes = 0;              // guarded by mu: bytes in `chunks`
  std::atomic<size_t> in_writer{0};      // bytes of this lane the writer holds; set under mu
  std::atomic<uint64_t> dropped{0};      // written by the worker only
  // Worker only.
  AccessLogFormatter formatter;
  std::string scratch;
  // Writer only: the chunks being written.
  std::vector<std::string> writing;
};

AccessLog::AccessLog(Options options) : options_(std::move(options)) {
  if (options_.lanes < 1) options_.lanes = 1;
  lane_cap_ = std::max<size_t>(options_.max_queued_bytes / static_cast<size_t>(options_.lanes),
                               64 * 1024);
  for (int i = 0; i < options_.lanes; ++i) {
    lanes_.push_back(std::make_unique<Lane>(options_.format));
  }
}

AccessLog::~AccessLog() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

bool AccessLog::start(std::string* error) {
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *error = "access log: cannot open " + options_.path + ": " + std::strerror(errno);
    return false;
  }
  writer_ = std::thread([this] { run(); });
  return true;
}

void AccessLog::stop() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stop_.store(true);
  }
  wake_cv_.notify_one();
  writer_.join();
}

void AccessLog::reopen() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    reopen_.store(true);
  }
  wake_cv_.notify_one();
}

void AccessLog::flushForTest() {
  std::unique_lock<std::mutex> lock(wake_mu_);
  if (!writer_.joinable() || stop_.load()) return;
  const uint64_t target = flush_requests_.fetch_add(1) + 1;
  wake_cv_.notify_one();
  flushed_cv_.wait(lock, [&] { return flushes_done_.load() >= target; });
}

void AccessLog::onRequestDone(int worker_id, const RequestRecord& record) {
  if (worker_id < 0 || static_cast<size_t>(worker_id) >= lanes_.size()) return;
  Lane& lane = *lanes_[static_cast<size_t>(worker_id)];
  lane.scratch.clear();
  lane.formatter.format(record, &lane.scratch);
  const size_t n = lane.scratch.size();
  bool accepted = false;
  bool handoff = false;
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    const size_t queued = lane.pending_bytes + lane.in_writer.load(std::memory_order_relaxed);
    if (queued + n <= lane_cap_) {
      if (lane.chunks.empty() || lane.chunks.back().size() + n > kChunkBytes) {
        if (!lane.free_chunks.empty()) {
          lane.chunks.push_back(std::move(lane.free_chunks.back()));
          lane.free_chunks.pop_back();
        } else {
          lane.chunks.emplace_back();
          lane.chunks.back().reserve(std::max(kChunkBytes, n));
        }
      }
      lane.chunks.back().append(lane.scratch);
      lane.pending_bytes += n;
      accepted = true;
      // Wake the writer once, when the queue crosses the hand-off size.
      handoff = lane.pending_bytes >= kHandoffBytes && lane.pending_bytes - n < kHandoffBytes;
    }
  }
  if (!accepted) {
    bump(lane.dropped);
  } else if (handoff) {
    // No lock: a wake-up lost to the race with the writer's wait costs one flush interval.
    wake_.store(true, std::memory_order_release);
    wake_cv_.notify_one();
  }
  if (lane.scratch.capacity() > 4 * kHandoffBytes) lane.scratch = std::string();
}

uint64_t AccessLog::droppedLines() const {
  uint64_t total = write_dropped_.load(std::memory_order_relaxed);
  for (const auto& lane : lanes_) total += lane->dropped.load(std::memory_order_relaxed);
  return total;
}

void AccessLog::run() {
  const auto interval = std::chrono::nanoseconds(options_.flush_interval_ns);
  while (true) {
    uint64_t flush_target = 0;
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_for(lock, interval, [&] {
        return wake_.load(std::memory_order_acquire) || stop_.load() || reopen_.load() ||
               flush_requests_.load() != flushes_done_.load();
      });
      flush_target = flush_requests_.load();
    }
    wake_.store(false, std::memory_order_relaxed);
    const bool stopping = stop_.load();
    if (reopen_.exchange(false)) {
      drainLanes();  // what was queued before the signal still goes to the old file
      reopenFile();
    }
    drainLanes();
    if (flush_target != flushes_done_.load()) {
      std::lock_guard<std::mutex> lock(wake_mu_);
      flushes_done_.store(flush_target);
      flushed_cv_.notify_all();
    }
    if (stopping) {
      drainLanes();
      std::lock_guard<std::mutex> lock(wake_mu_);
      flushes_done_.store(flush_requests_.load());
      flushed_cv_.notify_all();
      return;
    }
  }
}

void AccessLog::drainLanes() {
  for (auto& lane_ptr : lanes_) {
    Lane& lane = *lane_ptr;
    {
      std::lock_guard<std::mutex> lock(lane.mu);
      if (lane.chunks.empty()) continue;
      lane.writing.swap(lane.chunks);  // `writing` is empty here
      lane.in_writer.store(lane.pending_bytes, std::memory_order_relaxed);
      lane.pending_bytes = 0;
    }
    for (std::string& chunk : lane.writing) {
      writeAll(chunk);
      chunk.clear();
    }
    std::lock_guard<std::mutex> lock(lane.mu);
    // Keep a few emptied chunks for the worker to reuse; a burst's worth is freed.
    for (std::string& chunk : lane.writing) {
      if (lane.free_chunks.size() >= kFreeChunksKept || chunk.capacity() > 2 * kChunkBytes) break;
      lane.free_chunks.push_back(std::move(chunk));
    }
    lane.writing.clear();
    lane.in_writer.store(0, std::memory_order_relaxed);
  }
}

void AccessLog::writeAll(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n < 0 ? errno : EIO;
    // Drop the rest; a line cut by the failure counts as dropped.
    const uint64_t lost = static_cast<uint64_t>(
        std::count(bytes.begin() + static_cast<std::ptrdiff_t>(off), bytes.end(), '\n'));
    write_dropped_.fetch_add(lost, std::memory_order_relaxed);
    const int64_t now = monotonicNanos();
    if (last_error_log_ns_ == 0 || now - last_error_log_ns_ >= kErrorLogIntervalNs) {
      last_error_log_ns_ = now;
      log::error("access-log", "access-log-write-failed",
                 {{"path", options_.path}, {"error", std::strerror(err)},
                  {"dropped_lines", std::to_string(lost)}});
    }
    return;
  }
}

void AccessLog::reopenFile() {
  int fd = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    log::error("access-log", "access-log-reopen-failed",
               {{"path", options_.path}, {"error", std::strerror(errno)}});
    return;
  }
  ::close(fd_);
  fd_ = fd;
  reopens_.fetch_add(1, std::memory_order_relaxed);
  log::info("access-log", "access-log-reopened", {{"path", options_.path}});
}

}  // namespace foundry::router
