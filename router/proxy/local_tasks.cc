#include "router/proxy/local_tasks.h"

namespace foundry::router {
namespace {

// Tasks one runAll() may run; the rest wait for the next loop turn (see runAll()).
constexpr int kMaxTasksPerRun = 4096;

}  // namespace

LocalTasks::LocalTasks(event_base* base, UringLoop* uring) : uring_(uring) {
  if (base != nullptr) event_ = event_new(base, -1, 0, &onEvent, this);
}

LocalTasks::~LocalTasks() {
  while (head_ != nullptr) unlink(head_);
  if (event_ != nullptr) event_free(event_);
}

void LocalTasks::post(LocalTask* task) {
  if (task->queue_ != nullptr) return;
  task->queue_ = this;
  task->prev_ = tail_;
  task->next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = task;
  } else {
    head_ = task;
  }
  tail_ = task;
  schedule();
}

void LocalTasks::schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  if (event_ != nullptr) {
    event_active(event_, 0, 0);
  } else if (uring_ != nullptr) {
    uring_->defer(this);
  }
}

void LocalTasks::unlink(LocalTask* task) {
  if (task->prev_ != nullptr) {
    task->prev_->next_ = task->next_;
  } else {
    head_ = task->next_;
  }
  if (task->next_ != nullptr) {
    task->next_->prev_ = task->prev_;
  } else {
    tail_ = task->prev_;
  }
  task->prev_ = task->next_ = nullptr;
  task->queue_ = nullptr;
}

void LocalTasks::runAll() {
  scheduled_ = false;
  // Take from the head, one at a time: a running task may destroy (and so unlink) any other.
  for (int ran = 0; head_ != nullptr && ran < kMaxTasksPerRun; ++ran) {
    LocalTask* task = head_;
    unlink(task);
    task->runTask();
  }
  if (head_ != nullptr) schedule();
}

void LocalTasks::onEvent(evutil_socket_t, short, void* arg) {
  static_cast<LocalTasks*>(arg)->runAll();
}

void LocalTasks::onCompletion(unsigned, int, unsigned) { runAll(); }

}  // namespace foundry::router
