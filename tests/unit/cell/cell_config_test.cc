#include "scheduler/cell/config.h"

#include <gtest/gtest.h>

#include "scheduler/cell/log_emitter.h"
#include "scheduler/cell/memory_limit.h"

#include <unistd.h>

namespace foundry::cell {
namespace {

TEST(CellConfigTest, ParsesHostPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(parseHostPort("127.0.0.1:9100", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9100);
  EXPECT_TRUE(parseHostPort("[::1]:9101", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(parseHostPort("9100", &host, &port));
  EXPECT_FALSE(parseHostPort(":9100", &host, &port));
  EXPECT_FALSE(parseHostPort("h:0", &host, &port));
  EXPECT_FALSE(parseHostPort("h:70000", &host, &port));
  EXPECT_FALSE(parseHostPort("h:12x", &host, &port));
}

TEST(CellConfigTest, SplitsTags) {
  EXPECT_EQ(splitTags("a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitTags("").empty());
}

TEST(CellConfigTest, RepUrlUsesTheAddressWhenListeningOnAllInterfaces) {
  CellConfig config;
  config.listen_host = "0.0.0.0";
  config.listen_port = 9100;
  config.address = "10.1.2.3";
  EXPECT_EQ(config.repUrl(), "http://10.1.2.3:9100");
  config.listen_host = "127.0.0.1";
  EXPECT_EQ(config.repUrl(), "http://127.0.0.1:9100");
}

TEST(CellConfigTest, MachineDefaultsAreReadFromTheSystem) {
  EXPECT_GT(machineMemoryMb(), 0);
  EXPECT_GT(freeDiskMb("/tmp"), 0);
  EXPECT_EQ(freeDiskMb("/no/such/dir"), 0);
}

TEST(CellConfigTest, SourceTypeIsTheUpperCasedProcessType) {
  EXPECT_EQ(appSourceType("web"), "APP/PROC/WEB");
  EXPECT_EQ(appSourceType("worker"), "APP/PROC/WORKER");
  EXPECT_EQ(appSourceType(""), "APP/PROC/WEB");
}

TEST(CellMemoryLimiterTest, GroupRssCountsOurOwnGroup) {
  // This test process is in some process group; its RSS is surely above 1 MB.
  EXPECT_GT(MemoryLimiter::groupRssBytes(getpgrp()), 1024 * 1024);
  EXPECT_EQ(MemoryLimiter::groupRssBytes(0x7ffffff0), 0);
}

}  // namespace
}  // namespace foundry::cell
