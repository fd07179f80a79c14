#pragma once
// Diego's crash-restart policy (bbs models/restart_calculator.go; STAGING-SCHEDULING.md B6) as
// pure functions, so the table is testable without a store or a clock.
#include <cstdint>

namespace foundry::sched {

inline constexpr int kImmediateRestarts = 3;
inline constexpr int kMaxRestarts = 200;
inline constexpr int kMaxBackoffCount = 5;
inline constexpr int64_t kCrashBackoffMinNs = 30LL * 1'000'000'000;
inline constexpr int64_t kMaxBackoffNs = 16LL * 60 * 1'000'000'000;
inline constexpr int64_t kCrashResetNs = 5LL * 60 * 1'000'000'000;

// The crash_count after a crash: old + 1, or 1 when the instance had been RUNNING for more
// than 5 minutes (its earlier crashes no longer count).
int nextCrashCount(int old_count, bool was_running, int64_t running_for_ns);

// How long a CRASHED instance with `crash_count` waits (from its `since`) before it runs again:
// 0 for counts below 3, then 30 s doubling up to 16 min; -1 = never (count >= 200).
int64_t restartDelayNs(int crash_count);

// True when the instance is restarted right at the crash, without waiting for convergence.
bool restartsImmediately(int crash_count);

// True when a CRASHED instance whose state changed at `since_ns` may run again at `now_ns`.
bool restartDue(int crash_count, int64_t since_ns, int64_t now_ns);

}  // namespace foundry::sched
