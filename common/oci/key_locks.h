#pragma once
// One lock per key (a digest): the thread holding it does the work for that key while others
// for the same key wait, then find the work done. Keys in use are kept only while held.
//
//   KeyLocks::Hold hold = locks.acquire(digest);  // blocks while another thread holds it
//   if (exists(result)) return result;            // done while we waited
//   ... work ...
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

namespace foundry::oci {

class KeyLocks {
 public:
  class Hold {
   public:
    Hold(KeyLocks* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    ~Hold() {
      if (owner_ != nullptr) owner_->release(key_);
    }
    Hold(Hold&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) {
      other.owner_ = nullptr;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    Hold& operator=(Hold&&) = delete;

   private:
    KeyLocks* owner_;
    std::string key_;
  };

  Hold acquire(const std::string& key) {
    std::unique_lock<std::mutex> lock(mutex_);
    released_.wait(lock, [&] { return !held_.count(key); });
    held_.insert(key);
    return Hold(this, key);
  }

 private:
  void release(const std::string& key) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.erase(key);
    }
    released_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable released_;
  std::set<std::string> held_;
};

}  // namespace foundry::oci
