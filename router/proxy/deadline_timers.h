#pragma once
// Per-connection timeouts for the io_uring loop, without a heap and without a system call.
//
// Every timeout a session uses has one of a few fixed durations (idle, read header, dial,
// endpoint, PROXY header), so each duration keeps an intrusive FIFO list: arming appends at the
// tail (its deadline is the latest in that list), re-arming unlinks first, and the loop expires
// entries from the heads. Arm, cancel and expiry are O(1) and allocate nothing. The loop reads
// the clock once per turn, so deadlines are coarse by one turn, as gorouter's (Go's) are.
//
// A config reload can change a duration: the worker then acquires a list for the new one and
// releases the old, which keeps the timers already armed in it and is reused once empty. Only
// if every list is taken does a list change its duration while still holding timers; arm()
// then inserts in deadline order (walking back from the tail), so expiry stays correct and only
// costs more until the old timers are gone.

#include <array>
#include <cstddef>
#include <cstdint>

namespace foundry::router {

class DeadlineTimers;

class TimerNode {
 public:
  TimerNode() = default;
  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;
  ~TimerNode() { cancel(); }

  bool armed() const { return list_ != nullptr; }
  void cancel();

  // Called with `owner` when the deadline passes (already disarmed).
  void (*on_expire)(void* owner) = nullptr;
  void* owner = nullptr;

 private:
  friend class DeadlineTimers;
  struct TimerList* list_ = nullptr;
  TimerNode* prev_ = nullptr;
  TimerNode* next_ = nullptr;
  int64_t deadline_ns_ = 0;
};

struct TimerList {
  TimerNode* head = nullptr;
  TimerNode* tail = nullptr;
  int64_t duration_ns = 0;
  int holders = 0;  // acquire() minus release()
};

inline void TimerNode::cancel() {
  if (list_ == nullptr) return;
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    list_->head = next_;
  }
  if (next_ != nullptr) {
    next_->prev_ = prev_;
  } else {
    list_->tail = prev_;
  }
  prev_ = next_ = nullptr;
  list_ = nullptr;
}

class DeadlineTimers {
 public:
  static constexpr size_t kMaxLists = 16;

  // A list for `duration_ns`: one already of that duration if there is one, else an empty list
  // nobody holds, else a new one, else (all kMaxLists in use) a list nobody holds, which takes
  // the new duration. Returns its index for arm(); pair with release().
  size_t acquire(int64_t duration_ns) {
    for (size_t i = 0; i < count_; ++i) {
      if (lists_[i].duration_ns == duration_ns) return hold(i, duration_ns);
    }
    for (size_t i = 0; i < count_; ++i) {
      if (lists_[i].holders == 0 && lists_[i].head == nullptr) return hold(i, duration_ns);
    }
    if (count_ < kMaxLists) return hold(count_++, duration_ns);
    for (size_t i = 0; i < count_; ++i) {
      if (lists_[i].holders == 0) return hold(i, duration_ns);
    }
    return hold(0, duration_ns);  // more holders than lists: a caller bug; order still holds
  }
  // The caller no longer arms new timers in `list`; those armed stay until they fire.
  void release(size_t list) {
    if (lists_[list].holders > 0) --lists_[list].holders;
  }

  void arm(TimerNode* node, size_t duration, int64_t now_ns) {
    node->cancel();
    TimerList& list = lists_[duration];
    node->list_ = &list;
    node->deadline_ns_ = now_ns + (list.duration_ns > 0 ? list.duration_ns : 1);
    // Normally the latest deadline in its list, so `after` is the tail at once.
    TimerNode* after = list.tail;
    while (after != nullptr && after->deadline_ns_ > node->deadline_ns_) after = after->prev_;
    node->prev_ = after;
    node->next_ = after != nullptr ? after->next_ : list.head;
    if (node->next_ != nullptr) {
      node->next_->prev_ = node;
    } else {
      list.tail = node;
    }
    if (after != nullptr) {
      after->next_ = node;
    } else {
      list.head = node;
    }
  }

  // Nanoseconds until the earliest deadline (0 if one passed), or `cap_ns` when none is sooner.
  int64_t nextIn(int64_t now_ns, int64_t cap_ns) const {
    int64_t best = cap_ns;
    for (size_t i = 0; i < count_; ++i) {
      const TimerNode* head = lists_[i].head;
      if (head == nullptr) continue;
      int64_t in = head->deadline_ns_ - now_ns;
      if (in < 0) in = 0;
      if (in < best) best = in;
    }
    return best;
  }

  // Fires every node whose deadline is at or before now_ns. A callback may arm or cancel any
  // node (even itself) or destroy its owner.
  void expire(int64_t now_ns) {
    for (size_t i = 0; i < count_; ++i) {
      TimerList& list = lists_[i];
      while (list.head != nullptr && list.head->deadline_ns_ <= now_ns) {
        TimerNode* node = list.head;
        node->cancel();
        node->on_expire(node->owner);
      }
    }
  }

  size_t listsForTest() const { return count_; }

 private:
  size_t hold(size_t i, int64_t duration_ns) {
    lists_[i].duration_ns = duration_ns;
    ++lists_[i].holders;
    return i;
  }

  std::array<TimerList, kMaxLists> lists_{};
  size_t count_ = 0;
};

}  // namespace foundry::router
