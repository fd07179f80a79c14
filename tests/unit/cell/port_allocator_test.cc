#include "scheduler/cell/port_allocator.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "tests/test_common/ports.h"

namespace foundry::cell {
namespace {

// A small range of ports that were free a moment ago: [first, first + count).
uint16_t freeRangeStart(int count) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    uint16_t base = test::freeTcpPort();
    if (base == 0 || base > 65000) continue;
    bool all = true;
    for (int i = 0; i < count && all; ++i) all = PortAllocator::bindable(uint16_t(base + i));
    if (all) return base;
  }
  return 0;
}

TEST(CellPortAllocatorTest, HandsOutEachPortOnceUntilReleased) {
  uint16_t first = freeRangeStart(3);
  ASSERT_NE(first, 0);
  PortAllocator ports(first, uint16_t(first + 2));
  std::set<uint16_t> got;
  for (int i = 0; i < 3; ++i) got.insert(ports.allocate());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(*got.begin(), first);
  EXPECT_EQ(*got.rbegin(), first + 2);
  EXPECT_EQ(ports.allocate(), 0) << "the range is exhausted";
  EXPECT_EQ(ports.inUse(), 3u);
  ports.release(uint16_t(first + 1));
  EXPECT_EQ(ports.allocate(), first + 1);
}

TEST(CellPortAllocatorTest, SkipsAPortAnotherProgramHolds) {
  uint16_t first = freeRangeStart(2);
  ASSERT_NE(first, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(first);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  PortAllocator ports(first, uint16_t(first + 1));
  EXPECT_EQ(ports.allocate(), first + 1);
  EXPECT_EQ(ports.allocate(), 0);
  close(fd);
  EXPECT_EQ(ports.allocate(), first);
}

TEST(CellPortAllocatorTest, RoundRobinDoesNotReuseAFreedPortAtOnce) {
  uint16_t first = freeRangeStart(3);
  ASSERT_NE(first, 0);
  PortAllocator ports(first, uint16_t(first + 2));
  uint16_t a = ports.allocate();
  ports.release(a);
  EXPECT_NE(ports.allocate(), a);
}

TEST(CellPortAllocatorTest, ParsesRanges) {
  uint16_t a = 0, b = 0;
  EXPECT_TRUE(parsePortRange("61000-61999", &a, &b));
  EXPECT_EQ(a, 61000);
  EXPECT_EQ(b, 61999);
  EXPECT_TRUE(parsePortRange("5-5", &a, &b));
  EXPECT_FALSE(parsePortRange("61999-61000", &a, &b));
  EXPECT_FALSE(parsePortRange("0-10", &a, &b));
  EXPECT_FALSE(parsePortRange("1-70000", &a, &b));
  EXPECT_FALSE(parsePortRange("61000", &a, &b));
  EXPECT_FALSE(parsePortRange("a-b", &a, &b));
  EXPECT_FALSE(parsePortRange("1-2x", &a, &b));
  EXPECT_FALSE(parsePortRange("-", &a, &b));
}

}  // namespace
}  // namespace foundry::cell
