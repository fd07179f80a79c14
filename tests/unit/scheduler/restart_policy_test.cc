// Diego's crash-restart table (B6; bbs models/actual_lrp_test.go) and the 5-minute reset.
#include "scheduler/bbs/restart_policy.h"

#include <gtest/gtest.h>

namespace foundry::sched {
namespace {

constexpr int64_t kRestartSecond = 1'000'000'000;

TEST(RestartPolicy, DelayTable) {
  EXPECT_EQ(restartDelayNs(0), 0);
  EXPECT_EQ(restartDelayNs(1), 0);
  EXPECT_EQ(restartDelayNs(2), 0);
  EXPECT_EQ(restartDelayNs(3), 30 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(4), 60 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(5), 120 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(6), 240 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(7), 480 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(8), 960 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(50), 960 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(199), 960 * kRestartSecond);
  EXPECT_EQ(restartDelayNs(200), -1);
  EXPECT_EQ(restartDelayNs(1000), -1);
}

TEST(RestartPolicy, ImmediateOnlyBelowThree) {
  EXPECT_TRUE(restartsImmediately(1));
  EXPECT_TRUE(restartsImmediately(2));
  EXPECT_FALSE(restartsImmediately(3));
  EXPECT_FALSE(restartsImmediately(200));
}

TEST(RestartPolicy, DueAfterBackoffFromSince) {
  int64_t since = 1000 * kRestartSecond;
  EXPECT_FALSE(restartDue(3, since, since + 29 * kRestartSecond));
  EXPECT_TRUE(restartDue(3, since, since + 30 * kRestartSecond));
  EXPECT_FALSE(restartDue(7, since, since + 479 * kRestartSecond));
  EXPECT_TRUE(restartDue(7, since, since + 480 * kRestartSecond));
  EXPECT_FALSE(restartDue(200, since, since + 100000 * kRestartSecond));
}

TEST(RestartPolicy, CrashCountResetsAfterFiveMinutesRunning) {
  EXPECT_EQ(nextCrashCount(0, false, 0), 1);
  EXPECT_EQ(nextCrashCount(4, true, 299 * kRestartSecond), 5);
  EXPECT_EQ(nextCrashCount(4, true, 301 * kRestartSecond), 1);
  // Only a RUNNING instance earns the reset: a long CLAIMED start that fails still counts.
  EXPECT_EQ(nextCrashCount(4, false, 600 * kRestartSecond), 5);
}

}  // namespace
}  // namespace foundry::sched
