// The per-app log ring behind GET /api/v1/read.
#include "control/logs/log_buffer.h"

#include <gtest/gtest.h>

#include <thread>

namespace foundry::control {
namespace {

sched::LogLine line(const std::string& app, int64_t ts, const std::string& msg) {
  sched::LogLine l;
  l.app_guid = app;
  l.timestamp_ns = ts;
  l.source_type = "APP/PROC/WEB";
  l.instance_index = "0";
  l.message = msg;
  return l;
}

TEST(LogBuffer, KeepsTheLastLinesPerApp) {
  LogBuffer logs(2000);
  for (int i = 1; i <= 2500; ++i) logs.append(line("a", i, std::to_string(i)));
  logs.append(line("b", 7, "other app"));
  EXPECT_EQ(logs.size("a"), 2000u);
  EXPECT_EQ(logs.size("b"), 1u);
  LogQuery all;
  all.limit = 5000;
  auto got = logs.read("a", all);
  ASSERT_EQ(got.size(), 2000u);
  EXPECT_EQ(got.front().message, "501");  // the oldest 500 were dropped
  EXPECT_EQ(got.back().message, "2500");
  EXPECT_TRUE(logs.read("nobody", all).empty());
}

TEST(LogBuffer, StartTimeIsInclusiveAndOrderByTimestamp) {
  LogBuffer logs;
  logs.append(line("a", 30, "c"));
  logs.append(line("a", 10, "a"));  // arrived late (another cell)
  logs.append(line("a", 20, "b"));
  logs.append(line("a", 20, "b2"));
  LogQuery q;
  q.start_time_ns = 20;
  auto got = logs.read("a", q);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].message, "b");
  EXPECT_EQ(got[1].message, "b2");
  EXPECT_EQ(got[2].message, "c");

  q.start_time_ns = 0;
  q.end_time_ns = 20;
  EXPECT_EQ(logs.read("a", q).size(), 3u);

  LogQuery newest;
  newest.descending = true;
  newest.limit = 2;
  got = logs.read("a", newest);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].message, "c");
  EXPECT_EQ(got[1].message, "b2");

  LogQuery oldest;
  oldest.limit = 1;
  EXPECT_EQ(logs.read("a", oldest).at(0).message, "a");
}

TEST(LogBuffer, DropsTheQuietestAppBeyondMaxApps) {
  LogBuffer logs(10, 2);
  logs.append(line("a", 1, "x"));
  logs.append(line("b", 2, "x"));
  logs.append(line("a", 3, "x"));
  logs.append(line("c", 4, "x"));  // evicts b (its last line is the oldest)
  EXPECT_EQ(logs.size("a"), 2u);
  EXPECT_EQ(logs.size("b"), 0u);
  EXPECT_EQ(logs.size("c"), 1u);
}

TEST(LogBuffer, ConcurrentWritersAndReaders) {
  LogBuffer logs(100);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&logs, t] {
      for (int i = 0; i < 1000; ++i) logs.append(line("a", t * 1000 + i, "m"));
    });
  }
  threads.emplace_back([&logs] {
    for (int i = 0; i < 200; ++i) EXPECT_LE(logs.read("a", LogQuery{}).size(), 100u);
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(logs.size("a"), 100u);
}

}  // namespace
}  // namespace foundry::control
