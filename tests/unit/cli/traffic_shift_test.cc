// The plan of `foundry shift-traffic`: step weights, the interval, and route URLs.
#include "cli/commands/traffic_shift.h"

#include <gtest/gtest.h>

namespace foundry::cli {
namespace {

TEST(TrafficShiftTest, WeightsGrowEvenlyToHundred) {
  EXPECT_EQ(*shiftWeights(5), (std::vector<int>{20, 40, 60, 80, 100}));
  EXPECT_EQ(*shiftWeights(4), (std::vector<int>{25, 50, 75, 100}));
  EXPECT_EQ(*shiftWeights(3), (std::vector<int>{33, 67, 100}));
  EXPECT_EQ(*shiftWeights(1), (std::vector<int>{100}));
  auto hundred = shiftWeights(100);
  ASSERT_TRUE(hundred);
  EXPECT_EQ(hundred->front(), 1);
  EXPECT_EQ(hundred->back(), 100);
  for (int steps = 1; steps <= 100; ++steps) {
    auto w = *shiftWeights(steps);
    ASSERT_EQ(w.size(), static_cast<size_t>(steps));
    for (size_t i = 1; i < w.size(); ++i) EXPECT_GT(w[i], w[i - 1]) << steps;
    EXPECT_GE(w.front(), 1);  // the old app's weight (100 - w) stays valid until the last step
  }
  EXPECT_FALSE(shiftWeights(0));
  EXPECT_FALSE(shiftWeights(101));
}

TEST(TrafficShiftTest, IntervalsTakeMsSecondsOrMinutes) {
  using std::chrono::milliseconds;
  EXPECT_EQ(*parseInterval("10s"), milliseconds(10'000));
  EXPECT_EQ(*parseInterval("250ms"), milliseconds(250));
  EXPECT_EQ(*parseInterval("2m"), milliseconds(120'000));
  EXPECT_EQ(*parseInterval("0"), milliseconds(0));
  EXPECT_EQ(*parseInterval("0s"), milliseconds(0));
  for (const char* bad : {"", "10", "s", "-1s", "1h", "1.5s", "10 s", "61m", "99999999999999m"}) {
    EXPECT_FALSE(parseInterval(bad)) << bad;
  }
}

}  // namespace
}  // namespace foundry::cli
