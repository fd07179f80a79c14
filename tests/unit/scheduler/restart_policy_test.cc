// Diego's crash-restart table (B6; bbs models/actual_lrp_test.go) and the 5-minute reset.
#include "scheduler/bbs/restart_policy.h"

#include <gtest/gtest.h>

namespace foundry::sched {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(RestartPolicy, DelayTable) {
  EXPECT_EQ(restartDelayNs(0), 0);
  EXPECT_EQ(restartDelayNs(1), 0);
  EXPECT_EQ(restartDelayNs(2), 0);
  EXPECT_EQ(restartDelayNs(3), 30 * kSecond);
  EXPECT_EQ(restartDelayNs(4), 60 * kSecond);
  EXPECT_EQ(restartDelayNs(5), 120 * kSecond);
  EXPECT_EQ(restartDelayNs(6), 240 * kSecond);
  EXPECT_EQ(restartDelayNs(7), 480 * kSecond);
  EXPECT_EQ(restartDelayNs(8), 960 * kSecond);
  EXPECT_EQ(restartDelayNs(50), 960 * kSecond);
  EXPECT_EQ(restartDelayNs(199), 960 * kSecond);
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
  int64_t since = 1000 * kSecond;
  EXPECT_FALSE(restartDue(3, since, since + 29 * kSecond));
  EXPECT_TRUE(restartDue(3, since, since + 30 * kSecond));
  EXPECT_FALSE(restartDue(7, since, since + 479 * kSecond));
  EXPECT_TRUE(restartDue(7, since, since + 480 * kSecond));
  EXPECT_FALSE(restartDue(200, since, since + 100000 * kSecond));
}

TEST(RestartPolicy, CrashCountResetsAfterFiveMinutesRunning) {
  EXPECT_EQ(nextCrashCount(0, false, 0), 1);
  EXPECT_EQ(nextCrashCount(4, true, 299 * kSecond), 5);
  EXPECT_EQ(nextCrashCount(4, true, 301 * kSecond), 1);
  // Only a RUNNING instance earns the reset: a long CLAIMED start that fails still counts.
  EXPECT_EQ(nextCrashCount(4, false, 600 * kSecond), 5);
}

}  // namespace
}  // namespace foundry::sched
