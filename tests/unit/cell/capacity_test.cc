#include "scheduler/cell/capacity.h"

#include <gtest/gtest.h>

namespace foundry::cell {
namespace {

TEST(CellCapacityTest, AvailableIsTotalMinusEveryReservation) {
  Capacity capacity({1024, 4096, 3});
  EXPECT_TRUE(capacity.reserve("a", 256, 1024));
  EXPECT_TRUE(capacity.reserve("b", 512, 1024));
  sched::Resources left = capacity.available();
  EXPECT_EQ(left.memory_mb, 256);
  EXPECT_EQ(left.disk_mb, 2048);
  EXPECT_EQ(left.containers, 1);
  EXPECT_EQ(capacity.total().memory_mb, 1024);
}

TEST(CellCapacityTest, RefusesWhatDoesNotFitAndKeepsNothingOfIt) {
  Capacity capacity({1024, 2048, 2});
  EXPECT_TRUE(capacity.reserve("a", 1000, 100));
  EXPECT_FALSE(capacity.reserve("memory", 25, 100));
  EXPECT_FALSE(capacity.reserve("disk", 10, 2000));
  EXPECT_TRUE(capacity.reserve("b", 24, 100));
  EXPECT_FALSE(capacity.reserve("containers", 0, 0));  // 2 containers already
  EXPECT_FALSE(capacity.holds("memory"));
  EXPECT_EQ(capacity.available().memory_mb, 0);
}

TEST(CellCapacityTest, SameGuidTwiceAndNegativeSizesAreRefused) {
  Capacity capacity({1024, 2048, 10});
  EXPECT_TRUE(capacity.reserve("a", 100, 100));
  EXPECT_FALSE(capacity.reserve("a", 100, 100));
  EXPECT_FALSE(capacity.reserve("neg", -1, 100));
  EXPECT_EQ(capacity.available().memory_mb, 924);
}

TEST(CellCapacityTest, ReleaseGivesTheRoomBackAndIsIdempotent) {
  Capacity capacity({512, 512, 1});
  EXPECT_TRUE(capacity.reserve("a", 512, 512));
  EXPECT_FALSE(capacity.reserve("b", 1, 1));
  capacity.release("a");
  capacity.release("a");
  capacity.release("unknown");
  EXPECT_EQ(capacity.available().memory_mb, 512);
  EXPECT_EQ(capacity.available().containers, 1);
  EXPECT_TRUE(capacity.reserve("b", 512, 512));
}

}  // namespace
}  // namespace foundry::cell
