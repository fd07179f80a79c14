#pragma once
// TaskMessenger: the TaskBook's slow side effects, each on a DelayQueue of its own so that no
// caller waits on the network and a slow callback receiver never delays a cancel:
//  - cancels: POST {rep_url}/v1/tasks/{task_guid}/cancel on the cell, up to 5 attempts 1 s apart;
//  - completion callbacks: POST the Task's JSON (never its docker password) to its
//    completion_callback_url, signed like every internal call, up to 3 attempts (again on no
//    answer or a 5xx, 1 s then 2 s later), then TaskBook::callbackDone with the outcome.
#include <chrono>

#include "common/net/http_client.h"
#include "scheduler/bbs/delay_queue.h"
#include "scheduler/bbs/task_book.h"

namespace foundry::sched {

class TaskMessenger {
 public:
  explicit TaskMessenger(net::Authorizer authorize) : authorize_(std::move(authorize)) {}
  // The book that gets callbackDone; set before the first callback.
  void attach(TaskBook* book) { book_ = book; }
  void cancelLater(const TaskCancelOrder& order);
  void callbackLater(const Task& task);
  void shutdown() {
    cancels_.stop();
    callbacks_.stop();
  }

 private:
  void cancelAttempt(TaskCancelOrder order, int tries_left);
  void callbackAttempt(Task task, int attempt);

  net::Authorizer authorize_;
  TaskBook* book_ = nullptr;
  DelayQueue cancels_;
  DelayQueue callbacks_;
};

}  // namespace foundry::sched
