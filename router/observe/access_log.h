#pragma once
// gorouter's access log (ROUTER-PROTOCOL.md 9.5, cloudfoundry/gorouter:accesslog/schema/
// access_log_record.go), one line per request, written to access_log.file off the request path.
//
// Line format (values in "" are Go-quoted, strconv.Quote; an empty value prints as "-"):
//   <Host> - [<YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ>] "<METHOD> <request-uri> <PROTO>" <status|"-">
//   <req-body-bytes> <resp-body-bytes> "<Referer>" "<User-Agent>" "<client ip:port>"
//   "<backend host:port>" x_forwarded_for:"…" x_forwarded_proto:"…" vcap_request_id:"…"
//   response_time:<s.6dp> gorouter_time:<s.6dp> app_id:"…" app_index:"…" instance_id:"…"
//   x_cf_routererror:"…"
// (one line, single spaces). The timestamp is the receive time in UTC. gorouter_time is the
// response time minus the time spent waiting on backends. Nothing is truncated (that is only
// for gorouter's app-log-stream copy, which we do not send).
//
// Off the request path: every worker formats its lines into a worker-local scratch string and
// appends them to its own lane (a list of 64 KiB chunks) under the lane's mutex. Only that
// worker and the writer thread ever take a lane's mutex, and each holds it for a memcpy or a
// few pointer moves, never for I/O. The writer thread wakes every flush interval (100 ms), or
// sooner when a lane holds more than kHandoffBytes, takes each lane's chunks and write(2)s them,
// then hands a few emptied chunks back for reuse (no allocation in the steady state). A slow
// or stuck disk therefore never blocks a worker: the bytes queued per lane (buffered plus
// being written) are bounded by max_queued_bytes / lanes, and lines beyond that are dropped
// and counted (droppedLines()). reopen() (SIGHUP, for logrotate) makes the writer open the
// path again and switch to the new file.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "router/observe/request_record.h"

namespace foundry::router {

struct AccessLogFormatOptions {
  bool disable_log_forwarded_for = false;  // x_forwarded_for:"-"
  bool disable_log_source_ip = false;      // client address "-"
  std::string redact_query_params = "none";  // GET only: "none", "all" or "hash" (sha1 hex)
};

// Formats access log lines. Keeps a per-second cache of the timestamp's date part, so use one
// per thread.
class AccessLogFormatter {
 public:
  explicit AccessLogFormatter(AccessLogFormatOptions options = {});
  // Appends the line for `record`, '\n' included.
  void format(const RequestRecord& record, std::string* out);

 private:
  AccessLogFormatOptions options_;
  int64_t cached_second_ = INT64_MIN;
  char cached_prefix_[20] = {};  // "YYYY-MM-DDThh:mm:ss"
};

// Go's strconv.Quote of `s` appended to `out` (ASCII controls and invalid UTF-8 bytes as \xNN,
// named escapes for \a\b\f\n\r\t\v, non-printable code points as \uNNNN).
void appendGoQuoted(std::string* out, std::string_view s);

class AccessLog : public RequestObserver {
 public:
  struct Options {
    std::string path;
    int lanes = 1;  // one per worker; worker ids are 0 .. lanes-1
    AccessLogFormatOptions format;
    size_t max_queued_bytes = 64u << 20;
    int64_t flush_interval_ns = 100'000'000;
  };
  static constexpr size_t kHandoffBytes = 256 * 1024;  // queued bytes that wake the writer
  static constexpr size_t kChunkBytes = 64 * 1024;      // queue chunk size
  static constexpr size_t kFreeChunksKept = 8;          // per lane, for reuse

  explicit AccessLog(Options options);
  ~AccessLog() override;  // stop()
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Opens (creates, appends to) the file and starts the writer thread. False with *error when
  // the file cannot be opened.
  bool start(std::string* error);
  // Writes out everything queued and joins the writer. Call after the workers have stopped.
  // Idempotent.
  void stop();
  // Any thread: the writer reopens the path (after a rename by logrotate). Lines queued before
  // the reopen may land in either file; none is lost.
  void reopen();
  // Any thread: flushes the queued lines now and waits until they are written (tests).
  void flushForTest();

  // RequestObserver; worker thread `worker_id` only.
  void onRequestDone(int worker_id, const RequestRecord& record) override;
  bool wantsDetails() const override { return true; }

  // Any thread.
  uint64_t droppedLines() const;
  uint64_t reopenCount() const { return reopens_.load(std::memory_order_relaxed); }

 private:
  struct Lane;
  void run();
  // Writer thread: takes every lane's buffer and writes it. Returns after the write.
  void drainLanes();
  // Writer thread: write(2)s all of `bytes`; on an error drops the rest and counts its lines.
  void writeAll(const std::string& bytes);
  void reopenFile();

  Options options_;
  size_t lane_cap_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  int fd_ = -1;  // writer thread (and start/stop)
  std::thread writer_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::atomic<bool> wake_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> reopen_{false};
  std::atomic<uint64_t> flush_requests_{0};
  std::atomic<uint64_t> flushes_done_{0};
  std::condition_variable flushed_cv_;
  std::atomic<uint64_t> write_dropped_{0};
  std::atomic<uint64_t> reopens_{0};
  int64_t last_error_log_ns_ = 0;  // writer thread
};

}  // namespace foundry::router
