#include "control/staging/offloader.h"

namespace foundry::control {

Offloader::~Offloader() {
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) {
    if (w.thread.joinable()) w.thread.join();
  }
}

void Offloader::run(std::function<void()> work, std::function<void()> then) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {  // reap the finished ones
    if (*it->done) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<bool>(false);
  Worker w;
  w.done = done;
  w.thread = std::thread([this, work = std::move(work), then = std::move(then), done] {
    work();
    post_(then);
    std::lock_guard<std::mutex> l(mu_);
    *done = true;
  });
  workers_.push_back(std::move(w));
}

}  // namespace foundry::control
