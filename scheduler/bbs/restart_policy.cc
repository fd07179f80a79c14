#include "scheduler/bbs/restart_policy.h"

#include <algorithm>

namespace foundry::sched {

int nextCrashCount(int old_count, bool was_running, int64_t running_for_ns) {
  if (was_running && running_for_ns > kCrashResetNs) return 1;
  return old_count + 1;
}

int64_t restartDelayNs(int crash_count) {
  if (crash_count >= kMaxRestarts) return -1;
  if (crash_count < kImmediateRestarts) return 0;
  int doublings = std::min(crash_count - kImmediateRestarts, kMaxBackoffCount);
  return std::min(kCrashBackoffMinNs << doublings, kMaxBackoffNs);
}

bool restartsImmediately(int crash_count) { return restartDelayNs(crash_count) == 0; }

bool restartDue(int crash_count, int64_t since_ns, int64_t now_ns) {
  int64_t delay = restartDelayNs(crash_count);
  return delay >= 0 && now_ns - since_ns >= delay;
}

}  // namespace foundry::sched
