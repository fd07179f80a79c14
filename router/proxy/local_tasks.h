#pragma once
// Work a worker runs soon, from its own loop, instead of right away.
//
// Why: parts of the data plane that talk to each other in memory (an HTTP/2 stream and the
// ClientSession that proxies it, see memory_link.h) must never run inside each other's
// callbacks: a session may delete itself at the end of any step, and a stream's owner may be in
// the middle of nghttp2's. So one side posts a task and the loop runs it after the current
// callback has returned. Intrusive: posting allocates nothing, a task is queued at most once
// however often it is posted, and a task destroyed while queued unlinks itself.
//
// epoll: one libevent event made active when the queue turns non-empty (libevent runs it in the
// same loop iteration). io_uring: UringLoop::defer(), run at the end of the loop turn.
// Worker thread only.

#include <event2/event.h>

#include "router/proxy/uring_loop.h"

namespace foundry::router {

class LocalTasks;

class LocalTask {
 public:
  LocalTask() = default;
  LocalTask(const LocalTask&) = delete;
  LocalTask& operator=(const LocalTask&) = delete;

  virtual void runTask() = 0;
  bool taskQueued() const { return queue_ != nullptr; }
  // Takes the task off its queue (no-op when not queued).
  void cancelTask();

 protected:
  ~LocalTask() { cancelTask(); }

 private:
  friend class LocalTasks;
  LocalTasks* queue_ = nullptr;
  LocalTask* prev_ = nullptr;
  LocalTask* next_ = nullptr;
};

class LocalTasks final : public UringHandler {
 public:
  // Exactly one of `base` (epoll) and `uring` is set.
  LocalTasks(event_base* base, UringLoop* uring);
  ~LocalTasks();
  LocalTasks(const LocalTasks&) = delete;
  LocalTasks& operator=(const LocalTasks&) = delete;

  // Queues `task` (no-op when it is queued already). Its runTask() runs from the loop, after
  // the callback that posted it returned.
  void post(LocalTask* task);
  // Runs every queued task, including those queued while running, up to a bound: a task that
  // keeps re-posting itself waits for the next loop turn instead of starving the sockets.
  void runAll();
  bool empty() const { return head_ == nullptr; }

  // UringHandler
  void onCompletion(unsigned tag, int res, unsigned flags) override;

 private:
  friend class LocalTask;
  static void onEvent(evutil_socket_t, short, void* arg);
  void unlink(LocalTask* task);
  void schedule();

  event* event_ = nullptr;  // epoll
  UringLoop* uring_ = nullptr;
  bool scheduled_ = false;
  LocalTask* head_ = nullptr;
  LocalTask* tail_ = nullptr;
};

inline void LocalTask::cancelTask() {
  if (queue_ != nullptr) queue_->unlink(this);
}

}  // namespace foundry::router
