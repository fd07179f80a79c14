// Log envelopes from the log-cache-shaped endpoint, cf's line format and de-duplication
// across overlapping polls.
#include "cli/logs/log_lines.h"

#include <gtest/gtest.h>

#include "cli/output/ui.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

json envelope(const std::string& ts, const std::string& source, const std::string& instance,
              const std::string& type, const std::string& payload_b64) {
  return {{"timestamp", ts},
          {"source_id", "app-guid"},
          {"instance_id", instance},
          {"tags", {{"source_type", source}}},
          {"log", {{"payload", payload_b64}, {"type", type}}}};
}

TEST(CliLogs, Base64) {
  EXPECT_EQ(base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64Decode("aGVsbG8gd29ybGQK"), "hello world\n");
  EXPECT_EQ(base64Decode(""), "");
  EXPECT_EQ(base64Decode("!!"), "");
}

TEST(CliLogs, ParsesSortsAndSkipsNonLogEnvelopes) {
  json body = {{"envelopes",
                {{"batch",
                  {envelope("1795791001000000000", "APP/PROC/WEB", "1", "ERR", "Ym9vbQ=="),
                   envelope("1795791000000000000", "STG", "0", "OUT", "aGVsbG8K"),
                   {{"timestamp", "1795791000500000000"}, {"gauge", json::object()}},
                   "garbage"}}}}};
  auto lines = parseLogEnvelopes(body);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].source_type, "STG");
  EXPECT_EQ(lines[0].message, "hello\n");
  EXPECT_EQ(lines[1].type, "ERR");
  EXPECT_EQ(lines[1].message, "boom");
  EXPECT_TRUE(parseLogEnvelopes(json::object()).empty());
  EXPECT_TRUE(parseLogEnvelopes(json::array()).empty());
  EXPECT_TRUE(parseLogEnvelopes({{"envelopes", {{"batch", 3}}}}).empty());
}

TEST(CliLogs, FormatsLikeCf) {
  LogLine line;
  line.timestamp_ns = 1795791001123456789LL;  // 2026-11-27T14:50:01.12Z
  line.source_type = "APP/PROC/WEB";
  line.instance_id = "0";
  line.type = "OUT";
  line.message = "hello\n";
  EXPECT_EQ(formatLogLine(line), "2026-11-27T14:50:01.12+0000 [APP/PROC/WEB/0] OUT hello");
  line.instance_id.clear();
  line.source_type = "RTR";
  EXPECT_EQ(formatLogLine(line), "2026-11-27T14:50:01.12+0000 [RTR] OUT hello");
}

TEST(CliLogs, CursorPrintsEachLineOnce) {
  LogCursor cursor(100);
  auto make = [](int64_t ts, const std::string& message) {
    LogLine l;
    l.timestamp_ns = ts;
    l.message = message;
    return l;
  };
  auto first = cursor.fresh({make(50, "old"), make(100, "a"), make(200, "b"), make(200, "c")});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].message, "a");
  EXPECT_EQ(cursor.startTime(), 200);
  // The next poll starts at 200 and sees b and c again, plus new lines.
  auto second = cursor.fresh({make(200, "b"), make(200, "c"), make(200, "d"), make(300, "e")});
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].message, "d");
  EXPECT_EQ(second[1].message, "e");
  EXPECT_TRUE(cursor.fresh({make(300, "e")}).empty());
}

TEST(CliUi, TablesAlignColumns) {
  EXPECT_EQ(formatTable({{"name", "state"}, {"a-long-name", "started"}, {"b", ""}}),
            "name          state\n"
            "a-long-name   started\n"
            "b\n");
}

}  // namespace
}  // namespace foundry::cli
