// The access log line (ROUTER-PROTOCOL.md 9.5, gorouter's accesslog/schema/access_log_record.go)
// and the off-request-path writer: lanes, flushing, reopen after rename, bounded queue.

#include "router/observe/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace foundry::router {
namespace {

// 2024-03-05T07:08:09Z
constexpr int64_t kStartSecond = 1709622489;

EndpointSharedPtr appEndpoint() {
  EndpointFields f;
  f.host = "10.0.16.5";
  f.port = 61001;
  f.app_id = "0a1b2c3d-0000-4000-8000-000000000001";
  f.private_instance_id = "e9b5a3c1-7f2d-4d8e-6a1b-0c3d";
  f.private_instance_index = "2";
  f.tags = {{"component", "route-emitter"}};
  return std::make_shared<Endpoint>(f);
}

RequestRecord fullRecord() {
  RequestRecord r;
  r.start_wall_ns = kStartSecond * 1'000'000'000 + 12'345'678;
  r.start_mono_ns = 5'000'000'000;
  r.end_mono_ns = r.start_mono_ns + 1'234'567'891;  // 1.234568 s
  r.backend_ns = 1'200'000'000;                      // gorouter_time 0.034568 s
  r.host = "app.example.com";
  r.method = "GET";
  r.target = "/v2/apps?page=2&q=a%20b";
  r.proto = "HTTP/1.1";
  r.referer = "https://example.com/start";
  r.user_agent = "curl/8.5.0";
  r.client_addr = "192.0.2.10:53422";
  r.x_forwarded_for = "203.0.113.7, 192.0.2.10";
  r.x_forwarded_proto = "https";
  r.request_id = "4d5f1c2e-8a9b-4c3d-9e8f-7a6b5c4d3e2f";
  r.endpoint = appEndpoint();
  r.status = 200;
  r.attempts = 1;
  r.request_body_bytes = 42;
  r.response_body_bytes = 1337;
  return r;
}

std::string formatOne(const RequestRecord& r, AccessLogFormatOptions options = {}) {
  AccessLogFormatter formatter(std::move(options));
  std::string out;
  formatter.format(r, &out);
  return out;
}

std::string goQuoted(std::string_view s) {
  std::string out;
  appendGoQuoted(&out, s);
  return out;
}

TEST(AccessLogFormatTest, FullRecordExactLine) {
  EXPECT_EQ(formatOne(fullRecord()),
            "app.example.com - [2024-03-05T07:08:09.012345678Z] "
            "\"GET /v2/apps?page=2&q=a%20b HTTP/1.1\" 200 42 1337 "
            "\"https://example.com/start\" \"curl/8.5.0\" \"192.0.2.10:53422\" "
            "\"10.0.16.5:61001\" x_forwarded_for:\"203.0.113.7, 192.0.2.10\" "
            "x_forwarded_proto:\"https\" vcap_request_id:\"4d5f1c2e-8a9b-4c3d-9e8f-7a6b5c4d3e2f\" "
            "response_time:1.234568 gorouter_time:0.034568 "
            "app_id:\"0a1b2c3d-0000-4000-8000-000000000001\" app_index:\"2\" "
            "instance_id:\"e9b5a3c1-7f2d-4d8e-6a1b-0c3d\" x_cf_routererror:\"-\"\n");
}

TEST(AccessLogFormatTest, RouterErrorRecordUsesDashes) {
  RequestRecord r;
  r.start_wall_ns = kStartSecond * 1'000'000'000;  // .000000000
  r.start_mono_ns = 100;
  r.end_mono_ns = 100 + 250'400;  // 0.000250 s, all of it router time
  r.host = "nope.example.com";
  r.method = "POST";
  r.target = "/";
  r.proto = "HTTP/1.0";
  r.client_addr = "127.0.0.1:40000";
  r.x_forwarded_for = "127.0.0.1";
  r.x_forwarded_proto = "http";
  r.request_id = "00000000-0000-4000-8000-000000000000";
  r.router_error = "unknown_route";
  r.status = 404;
  r.request_body_bytes = 0;
  r.response_body_bytes = 67;
  EXPECT_EQ(formatOne(r),
            "nope.example.com - [2024-03-05T07:08:09.000000000Z] \"POST / HTTP/1.0\" 404 0 67 "
            "\"-\" \"-\" \"127.0.0.1:40000\" \"-\" x_forwarded_for:\"127.0.0.1\" "
            "x_forwarded_proto:\"http\" vcap_request_id:\"00000000-0000-4000-8000-000000000000\" "
            "response_time:0.000250 gorouter_time:0.000250 app_id:\"-\" app_index:\"-\" "
            "instance_id:\"-\" x_cf_routererror:\"unknown_route\"\n");
}

TEST(AccessLogFormatTest, NoStatusIsDashAndEmptyHeadersAreDashes) {
  RequestRecord r = fullRecord();
  r.status = 0;  // client went away before a response head
  r.referer.clear();
  r.user_agent.clear();
  r.x_forwarded_for.clear();
  r.x_forwarded_proto.clear();
  r.request_id.clear();
  std::string line = formatOne(r);
  EXPECT_NE(line.find("HTTP/1.1\" \"-\" 42 1337 \"-\" \"-\" \"192.0.2.10:53422\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(" x_forwarded_for:\"-\" x_forwarded_proto:\"-\" vcap_request_id:\"-\" "),
            std::string::npos)
      << line;
}

TEST(AccessLogFormatTest, TimestampIsUtcWithNanoseconds) {
  RequestRecord r = fullRecord();
  r.start_wall_ns = 0;
  EXPECT_NE(formatOne(r).find(" - [1970-01-01T00:00:00.000000000Z] "), std::string::npos);
  r.start_wall_ns = 4102444799'999999999;  // 2099-12-31T23:59:59.999999999Z
  EXPECT_NE(formatOne(r).find(" - [2099-12-31T23:59:59.999999999Z] "), std::string::npos);
  // The formatter caches the date per second; a new second must not reuse it.
  AccessLogFormatter formatter;
  std::string a, b;
  r.start_wall_ns = kStartSecond * 1'000'000'000 + 999'999'999;
  formatter.format(r, &a);
  r.start_wall_ns += 1;
  formatter.format(r, &b);
  EXPECT_NE(a.find("[2024-03-05T07:08:09.999999999Z]"), std::string::npos) << a;
  EXPECT_NE(b.find("[2024-03-05T07:08:10.000000000Z]"), std::string::npos) << b;
}

TEST(AccessLogFormatTest, TimesRoundToMicroseconds) {
  RequestRecord r = fullRecord();
  r.end_mono_ns = r.start_mono_ns + 1'499;  // 1.499 us
  r.backend_ns = 0;
  std::string line = formatOne(r);
  EXPECT_NE(line.find(" response_time:0.000001 gorouter_time:0.000001 "), std::string::npos)
      << line;
  r.end_mono_ns = r.start_mono_ns + 61'000'000'500;  // rounds up
  line = formatOne(r);
  EXPECT_NE(line.find(" response_time:61.000001 "), std::string::npos) << line;
}

TEST(AccessLogFormatTest, GoQuoting) {
  EXPECT_EQ(goQuoted("plain"), "\"plain\"");
  EXPECT_EQ(goQuoted("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
  EXPECT_EQ(goQuoted("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(goQuoted(std::string("\x01\x1f\x7f", 3)), "\"\\x01\\x1f\\x7f\"");
  EXPECT_EQ(goQuoted(std::string("nul\0!", 5)), "\"nul\\x00!\"");
  // Printable UTF-8 passes through; invalid bytes are escaped one by one.
  EXPECT_EQ(goQuoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(goQuoted("\xff\xc3"), "\"\\xff\\xc3\"");
  EXPECT_EQ(goQuoted("\xc0\xaf"), "\"\\xc0\\xaf\"");        // overlong '/'
  EXPECT_EQ(goQuoted("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // a surrogate
  // Non-printable code points as \u.
  EXPECT_EQ(goQuoted("a\xc2\x85" "b"), "\"a\\u0085b\"");   // NEL
  EXPECT_EQ(goQuoted("\xc2\xa0"), "\"\\u00a0\"");          // no-break space
  EXPECT_EQ(goQuoted("\xef\xbb\xbf"), "\"\\ufeff\"");      // BOM
  EXPECT_EQ(goQuoted("\xf3\xb0\x80\x80"), "\"\\U000f0000\"");  // private use plane
}

TEST(AccessLogFormatTest, HeaderValuesAreQuotedLikeGo) {
  RequestRecord r = fullRecord();
  r.user_agent = "evil\" agent\n";
  r.referer = "back\\slash";
  std::string line = formatOne(r);
  EXPECT_NE(line.find(" \"back\\\\slash\" \"evil\\\" agent\\n\" "), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the input
}

TEST(AccessLogFormatTest, AbsoluteFormTargetLogsThePathOnly) {
  RequestRecord r = fullRecord();
  r.target = "http://app.example.com/a/b?c=d";
  EXPECT_NE(formatOne(r).find("\"GET /a/b?c=d HTTP/1.1\""), std::string::npos);
  r.target = "http://app.example.com";
  EXPECT_NE(formatOne(r).find("\"GET / HTTP/1.1\""), std::string::npos);
  r.target = "http://app.example.com?x=1";
  EXPECT_NE(formatOne(r).find("\"GET /?x=1 HTTP/1.1\""), std::string::npos);
  r.method = "OPTIONS";
  r.target = "*";
  EXPECT_NE(formatOne(r).find("\"OPTIONS * HTTP/1.1\""), std::string::npos);
}

TEST(AccessLogFormatTest, RedactQueryParams) {
  RequestRecord r = fullRecord();
  r.target = "/search?token=s3cret&q=1";
  AccessLogFormatOptions all;
  all.redact_query_params = "all";
  EXPECT_NE(formatOne(r, all).find("\"GET /search HTTP/1.1\""), std::string::npos);
  AccessLogFormatOptions hash;
  hash.redact_query_params = "hash";
  // sha1("token=s3cret&q=1")
  EXPECT_NE(formatOne(r, hash).find(
                "\"GET /search?hash=94bee7fae2c7696a0671904d779cfbf2d275cd95 HTTP/1.1\""),
            std::string::npos)
      << formatOne(r, hash);
  // Only GET is redacted, and only when there is a query.
  r.method = "POST";
  EXPECT_NE(formatOne(r, all).find("\"POST /search?token=s3cret&q=1 HTTP/1.1\""),
            std::string::npos);
  r.method = "GET";
  r.target = "/plain";
  EXPECT_NE(formatOne(r, hash).find("\"GET /plain HTTP/1.1\""), std::string::npos);
}

TEST(AccessLogFormatTest, DisableForwardedForAndSourceIp) {
  AccessLogFormatOptions options;
  options.disable_log_forwarded_for = true;
  options.disable_log_source_ip = true;
  std::string line = formatOne(fullRecord(), options);
  EXPECT_NE(line.find("\"curl/8.5.0\" \"-\" \"10.0.16.5:61001\" x_forwarded_for:\"-\" "),
            std::string::npos)
      << line;
}

// ---------------------------------------------------------------------------------------------
// The writer.

class AccessLogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/access-log-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    path_ = dir_ + "/access.log";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static size_t countLines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  static RequestRecord recordFor(const std::string& host) {
    RequestRecord r = fullRecord();
    r.host = host;
    return r;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(AccessLogWriterTest, LinesFromEveryLaneReachTheFile) {
  AccessLog::Options options;
  options.path = path_;
  options.lanes = 2;
  AccessLog log(options);
  std::string error;
  ASSERT_TRUE(log.start(&error)) << error;
  std::thread a([&] {
    for (int i = 0; i < 1000; ++i) log.onRequestDone(0, recordFor("a.example.com"));
  });
  std::thread b([&] {
    for (int i = 0; i < 1000; ++i) log.onRequestDone(1, recordFor("b.example.com"));
  });
  a.join();
  b.join();
  log.onRequestDone(7, recordFor("ignored.example.com"));  // no such lane
  log.flushForTest();
  std::string text = readFile(path_);
  EXPECT_EQ(countLines(text), 2000u);
  // Lines are never interleaved: each starts with a host and ends with the router error field.
  std::istringstream lines(text);
  std::string line;
  size_t a_lines = 0;
  while (std::getline(lines, line)) {
    ASSERT_TRUE(line.rfind("a.example.com - [", 0) == 0 || line.rfind("b.example.com - [", 0) == 0)
        << line;
    ASSERT_TRUE(line.size() > 20 && line.substr(line.size() - 20) == "x_cf_routererror:\"-\"")
        << line;
    a_lines += line[0] == 'a';
  }
  EXPECT_EQ(a_lines, 1000u);
  EXPECT_EQ(log.droppedLines(), 0u);
}

TEST_F(AccessLogWriterTest, FlushesOnTheIntervalWithoutBeingAsked) {
  AccessLog::Options options;
  options.path = path_;
  options.flush_interval_ns = 20'000'000;
  AccessLog log(options);
  std::string error;
  ASSERT_TRUE(log.start(&error)) << error;
  log.onRequestDone(0, recordFor("tick.example.com"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (countLines(readFile(path_)) < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(countLines(readFile(path_)), 1u);
}

TEST_F(AccessLogWriterTest, StopWritesEverythingQueued) {
  AccessLog::Options options;
  options.path = path_;
  options.flush_interval_ns = 3600 * 1'000'000'000LL;
  {
    AccessLog log(options);
    std::string error;
    ASSERT_TRUE(log.start(&error)) << error;
    for (int i = 0; i < 10; ++i) log.onRequestDone(0, recordFor("bye.example.com"));
    log.stop();
    log.stop();  // idempotent
  }
  EXPECT_EQ(countLines(readFile(path_)), 10u);
}

TEST_F(AccessLogWriterTest, ReopenAfterRenameWritesToANewFile) {
  AccessLog::Options options;
  options.path = path_;
  AccessLog log(options);
  std::string error;
  ASSERT_TRUE(log.start(&error)) << error;
  log.onRequestDone(0, recordFor("before.example.com"));
  log.flushForTest();
  ASSERT_EQ(std::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  log.onRequestDone(0, recordFor("queued.example.com"));  // queued before the signal
  log.reopen();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (log.reopenCount() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(log.reopenCount(), 1u);
  log.onRequestDone(0, recordFor("after.example.com"));
  log.flushForTest();
  std::string old_text = readFile(path_ + ".1");
  std::string new_text = readFile(path_);
  EXPECT_EQ(countLines(old_text), 2u) << old_text;
  EXPECT_EQ(old_text.rfind("before.example.com", 0), 0u);
  EXPECT_NE(old_text.find("\nqueued.example.com"), std::string::npos);
  EXPECT_EQ(countLines(new_text), 1u) << new_text;
  EXPECT_EQ(new_text.rfind("after.example.com", 0), 0u);
}

TEST_F(AccessLogWriterTest, UnopenableFileFailsStart) {
  AccessLog::Options options;
  options.path = dir_ + "/missing-dir/access.log";
  AccessLog log(options);
  std::string error;
  EXPECT_FALSE(log.start(&error));
  EXPECT_NE(error.find("missing-dir/access.log"), std::string::npos) << error;
}

TEST_F(AccessLogWriterTest, QueueIsBoundedAndOverflowIsCounted) {
  AccessLog::Options options;
  options.path = path_;
  options.max_queued_bytes = 64 * 1024;  // the minimum per lane
  options.flush_interval_ns = 3600 * 1'000'000'000LL;  // nothing leaves unless asked
  AccessLog log(options);
  std::string error;
  ASSERT_TRUE(log.start(&error)) << error;
  std::string one;
  AccessLogFormatter().format(recordFor("x.example.com"), &one);
  const size_t fit = options.max_queued_bytes / one.size();
  for (size_t i = 0; i < fit + 100; ++i) log.onRequestDone(0, recordFor("x.example.com"));
  EXPECT_EQ(log.droppedLines(), 100u);
  log.flushForTest();
  EXPECT_EQ(countLines(readFile(path_)), fit);
  // Room again once written.
  log.onRequestDone(0, recordFor("x.example.com"));
  log.flushForTest();
  EXPECT_EQ(countLines(readFile(path_)), fit + 1);
}

// A writer stuck in write(2) (a full pipe standing in for a hung disk) never blocks the
// request path: workers keep going, lines beyond the bound are dropped and counted.
TEST_F(AccessLogWriterTest, StuckDiskNeverBlocksWorkers) {
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  AccessLog::Options options;
  options.path = fifo;
  options.max_queued_bytes = 1 << 20;
  options.flush_interval_ns = 1'000'000;
  auto log = std::make_unique<AccessLog>(options);
  std::string error;
  ASSERT_TRUE(log->start(&error)) << error;
  const auto started = std::chrono::steady_clock::now();
  const int kLines = 50'000;  // ~20 MB, far more than the pipe plus the queue hold
  for (int i = 0; i < kLines; ++i) log->onRequestDone(0, recordFor("busy.example.com"));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_GT(log->droppedLines(), 0u);
  EXPECT_LT(log->droppedLines(), static_cast<uint64_t>(kLines));

  // Unstick it: read until the writer has finished and closed the pipe.
  size_t read_lines = 0;
  std::thread drain([&] {
    ::fcntl(reader, F_SETFL, 0);  // blocking: read() returns 0 once the writer closed
    char buf[65536];
    while (true) {
      ssize_t n = ::read(reader, buf, sizeof buf);
      if (n > 0) {
        read_lines += static_cast<size_t>(std::count(buf, buf + n, '\n'));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
  });
  log->stop();
  const uint64_t dropped = log->droppedLines();
  log.reset();  // closes the pipe
  drain.join();
  ::close(reader);
  // Every line was either written or counted as dropped.
  EXPECT_EQ(read_lines + dropped, static_cast<size_t>(kLines));
}

}  // namespace
}  // namespace foundry::router
