#pragma once
// Offloader: runs slow work (assembling an uploaded package: unzip, hash, tar, gzip) on a
// worker thread so the event loop keeps answering, then hands the follow-up (`then`, which
// touches the single-threaded store) to `post`, which must run it on the event loop.
//
// Thread context: run() from the event loop; workers are joined on destruction (the work is
// bounded: no child processes).

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace foundry::control {

class Offloader {
 public:
  using Post = std::function<void(std::function<void()>)>;
  explicit Offloader(Post post) : post_(std::move(post)) {}
  ~Offloader();
  Offloader(const Offloader&) = delete;
  Offloader& operator=(const Offloader&) = delete;

  void run(std::function<void()> work, std::function<void()> then);

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<bool> done;
  };
  Post post_;
  std::mutex mu_;
  std::vector<Worker> workers_;
};

}  // namespace foundry::control
