#pragma once
// EventLoopThread: an event_base run by its own thread, standing in for the router's control
// thread in tests. run() executes a function on that thread and waits for it, so objects that
// are "control thread only" can be created, started and destroyed where they belong.
//
//   EventLoopThread loop;
//   std::unique_ptr<NatsSubscriber> sub;
//   loop.run([&] { sub = std::make_unique<NatsSubscriber>(loop.base(), config, callbacks); });
//   ...
//   loop.run([&] { sub.reset(); });
//
// evthread_use_pthreads() is called before the base is created, as main must do, so other
// threads (nats.c's) may activate events on it.

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <signal.h>

#include <functional>
#include <future>
#include <thread>

namespace foundry::test {

class EventLoopThread {
 public:
  EventLoopThread() {
    evthread_use_pthreads();
    base_ = event_base_new();
    thread_ = std::thread([this] {
      // Fake servers on this loop write to peers that may hang up first (a cell aborting a
      // download past its disk quota): such a write must fail with EPIPE, not kill the whole
      // test binary with SIGPIPE. Blocked on this thread only, so what the tests fork from
      // their own threads keeps the default.
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      thread_id_promise_.set_value(std::this_thread::get_id());
      event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
    });
    thread_id_ = thread_id_promise_.get_future().get();
  }

  ~EventLoopThread() {
    event_base_loopbreak(base_);
    thread_.join();
    event_base_free(base_);
  }

  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;

  event_base* base() const { return base_; }
  std::thread::id threadId() const { return thread_id_; }

  // Runs `fn` on the loop thread and waits for it to return.
  void run(std::function<void()> fn) {
    if (std::this_thread::get_id() == thread_id_) {
      fn();
      return;
    }
    struct Call {
      std::function<void()> fn;
      std::promise<void> done;
    } call{std::move(fn), {}};
    auto future = call.done.get_future();
    event_base_once(
        base_, -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void* arg) {
          auto* c = static_cast<Call*>(arg);
          c->fn();
          c->done.set_value();
        },
        &call, nullptr);
    future.wait();
  }

 private:
  event_base* base_ = nullptr;
  std::promise<std::thread::id> thread_id_promise_;
  std::thread::id thread_id_;
  std::thread thread_;
};

}  // namespace foundry::test
