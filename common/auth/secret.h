#pragma once
// Secret: a password, token or credential. It prints as "***" (operator<< and str()), so a log
// line or an error message cannot leak one by accident; the value is reached only through
// reveal(), which names the intent at every use. Comparison is constant-time.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace foundry::auth {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // "***" (or "" for an empty secret): what a log line may show.
  std::string str() const { return value_.empty() ? "" : "***"; }
  // Constant-time in the length of `other` (CRYPTO_memcmp).
  bool equals(std::string_view other) const;
  bool operator==(const Secret& other) const { return equals(other.value_); }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const Secret& s) { return os << s.str(); }

}  // namespace foundry::auth
