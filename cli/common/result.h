#pragma once
// Result<T>: a value or an error message for user-facing failures (bad flags, bad manifests,
// API errors). The CLI never throws across module boundaries; commands turn an error into
// "FAILED" + the message and exit code 1.
#include <optional>
#include <string>
#include <utility>

namespace foundry::cli {

template <class T>
class Result {
 public:
  static Result ok(T value) {
    Result r;
    r.value_ = std::move(value);
    return r;
  }
  static Result fail(std::string error) {
    Result r;
    r.error_ = std::move(error);
    return r;
  }
  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

// For operations that only succeed or fail.
struct Unit {};
using Status = Result<Unit>;
inline Status okStatus() { return Status::ok(Unit{}); }

}  // namespace foundry::cli
