#pragma once
// InternalCredentials: what lets the platform's own processes (controller, scheduler, cells)
// trust each other's internal HTTP calls, and nobody else.
//
// Every process gets the same `--secrets DIR`. The first to start fills it: DIR is made 0700
// (a DIR whose mode lets group or others in, or that another user owns, is refused), and under
// an exclusive flock on DIR/.lock the 32-byte key DIR/internal-key is read, or made (RAND_bytes,
// base64url, 0600, written to a temp file and renamed). Processes that start at the same moment
// with the same DIR therefore end up with the same key.
//
// A call carries a signed request token, never the key itself:
//
//   Authorization: FoundryInternal caller=<name>,ts=<unix seconds>,sig=<base64url(mac)>
//   mac = HMAC-SHA256(key, caller "\n" ts "\n" METHOD "\n" request-target)
//
// request-target is the path plus "?query" when there is one, exactly as sent on the request
// line. A token is therefore bound to one method and one target, and is accepted for 300 s
// either side of its ts (clock skew; within that window the same request can be replayed,
// nothing else). The key is a Secret: it prints as ***.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/auth/secret.h"

namespace foundry::auth {

class InternalCredentials {
 public:
  static constexpr const char* kScheme = "FoundryInternal";
  static constexpr int64_t kMaxSkewSeconds = 300;
  static constexpr size_t kKeyBytes = 32;

  // Reads or creates DIR/internal-key as described above (creating DIR and its parents when
  // absent). Throws std::runtime_error naming the path on any failure.
  static InternalCredentials loadOrCreate(const std::string& dir);

  // A key held in memory only (tests). `key` holds the raw bytes; must not be empty.
  explicit InternalCredentials(Secret key);

  // The Authorization header value for `method` `target` sent by `caller` at `now` (unix
  // seconds). caller: printable ASCII without spaces, ',' or '=' (others become '_').
  std::string sign(std::string_view caller, std::string_view method, std::string_view target,
                   int64_t now) const;
  std::string sign(std::string_view caller, std::string_view method,
                   std::string_view target) const {
    return sign(caller, method, target, nowSeconds());
  }

  // True when `header_value` is a well-formed token for exactly this method and target, made
  // with our key, with |now - ts| <= kMaxSkewSeconds. Else false and `why` (when given) says
  // which check failed, in words that never include the header's value. `caller` (when given)
  // receives the verified caller name.
  bool verify(std::string_view header_value, std::string_view method, std::string_view target,
              int64_t now, std::string* why, std::string* caller = nullptr) const;
  bool verify(std::string_view header_value, std::string_view method, std::string_view target,
              std::string* why, std::string* caller = nullptr) const {
    return verify(header_value, method, target, nowSeconds(), why, caller);
  }

  // A function (method, request-target) -> header value for `caller`, holding its own copy of
  // the key: what HTTP clients (net::HttpRequest::authorize) take.
  std::function<std::string(const std::string& method, const std::string& target)> signer(
      std::string caller) const;

  // The folder it was loaded from ("" for an in-memory key).
  const std::string& dir() const { return dir_; }

  static int64_t nowSeconds();

 private:
  Secret key_;       // raw key bytes
  std::string dir_;
};

}  // namespace foundry::auth
