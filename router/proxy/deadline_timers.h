#pragma once
// Per-connection timeouts for the io_uring loop, without a heap and without a system call.
//
// Every timeout a session uses has one of a few fixed durations (idle, read header, dial,
// endpoint), so each duration keeps an intrusive FIFO list: arming appends at the tail (its
// deadline is the latest in that list), re-arming unlinks first, and the loop expires entries
// from the heads. Arm, cancel and expiry are O(1) and allocate nothing. The loop reads the
// clock once per turn, so deadlines are coarse by one turn, as gorouter's (Go's) are.

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
  static constexpr size_t kMaxDurations = 5;

  // Registers a duration; returns its index for arm(). At most kMaxDurations.
  size_t addDuration(int64_t duration_ns) {
    lists_[count_].duration_ns = duration_ns;
    return count_++;
  }

  void arm(TimerNode* node, size_t duration, int64_t now_ns) {
    node->cancel();
    TimerList& list = lists_[duration];
    node->list_ = &list;
    node->deadline_ns_ = now_ns + (list.duration_ns > 0 ? list.duration_ns : 1);
    node->prev_ = list.tail;
    node->next_ = nullptr;
    if (list.tail != nullptr) {
      list.tail->next_ = node;
    } else {
      list.head = node;
    }
    list.tail = node;
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

 private:
  std::array<TimerList, kMaxDurations> lists_{};
  size_t count_ = 0;
};

}  // namespace foundry::router
