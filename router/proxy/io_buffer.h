#pragma once
// A byte buffer for one direction of one connection: recv() appends at the end, the proxy
// forwards from the front. Storage is a single heap block reused across requests; it only
// grows for large heads (up to the header limit) and is never copied on the body path.

#include <cstddef>
#include <cstring>
#include <memory>

namespace foundry::router {

class IoBuffer {
 public:
  static constexpr size_t kDefaultCapacity = 16 * 1024;

  const char* data() const { return storage_.get() + begin_; }
  char* mutableData() { return storage_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }

  // Room to append at least `min_free` bytes (compacts, then grows when needed).
  char* writable(size_t min_free = 1) {
    if (!storage_) {
      capacity_ = min_free > kDefaultCapacity ? min_free : kDefaultCapacity;
      storage_.reset(new char[capacity_]);
    }
    if (capacity_ - end_ < min_free) {
      if (begin_ > 0) {
        std::memmove(storage_.get(), storage_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (capacity_ - end_ < min_free) {
        size_t cap = capacity_ * 2;
        while (cap - end_ < min_free) cap *= 2;
        std::unique_ptr<char[]> bigger(new char[cap]);
        std::memcpy(bigger.get(), storage_.get(), end_);
        storage_ = std::move(bigger);
        capacity_ = cap;
      }
    }
    return storage_.get() + end_;
  }
  size_t writableSize() const { return capacity_ - end_; }
  void commit(size_t n) { end_ += n; }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> storage_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace foundry::router
