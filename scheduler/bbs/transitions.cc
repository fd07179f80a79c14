#include "scheduler/bbs/transitions.h"

namespace foundry::sched {

bool allowsTransition(LrpState from, LrpState to, bool same_key) {
  using S = LrpState;
  switch (from) {
    case S::kUnclaimed:
      // Any cell may claim or start an unclaimed instance it was given by the auction.
      return to == S::kUnclaimed || to == S::kClaimed || to == S::kRunning;
    case S::kClaimed:
      if (to == S::kUnclaimed) return true;
      return same_key && (to == S::kClaimed || to == S::kRunning || to == S::kCrashed);
    case S::kRunning:
      if (to == S::kUnclaimed) return true;
      return same_key && (to == S::kClaimed || to == S::kRunning || to == S::kCrashed);
    case S::kCrashed:
      if (to == S::kUnclaimed) return true;
      return same_key && (to == S::kClaimed || to == S::kRunning);
  }
  return false;
}

}  // namespace foundry::sched
