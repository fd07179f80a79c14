#pragma once
// Resolves route-service host names on a thread of its own, so that no worker ever waits on
// DNS (a getaddrinfo can take seconds when a name server is slow or gone).
//
// A worker asks lookup(); the answer is immediate:
//  - Ready: an address, from the cache; when the entry is older than the TTL it is still
//    returned (stale-while-revalidate) and a refresh is queued, so traffic never waits on an
//    expired entry;
//  - Pending: the name has never been resolved; it is queued and the caller asks again
//    (ClientSession polls every few milliseconds, bounded by endpoint_dial_timeout);
//  - Failed: the last resolution failed; kept for the negative TTL, then retried.
// IP literals and "localhost" never get here (RouteServiceTargets maps them directly).
//
// Thread-safe. The mutex is taken only on a worker's local cache miss (RouteServiceTargets keeps
// a per-worker copy for the TTL), never per request in the steady state.

#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace foundry::router {

struct ResolvedAddress {
  sockaddr_storage addr{};  // port 0: the caller sets it
  socklen_t len = 0;
};

class AddressResolver {
 public:
  // Blocking resolution of one name (getaddrinfo by default; tests inject their own).
  // Returns false with *error on failure.
  using ResolveFn = std::function<bool(const std::string& host, ResolvedAddress* out,
                                       std::string* error)>;
  struct Options {
    int64_t ttl_ns = 30'000'000'000;
    int64_t negative_ttl_ns = 5'000'000'000;
    size_t max_entries = 4096;  // beyond this the cache is cleared (names come from routes)
    ResolveFn resolve;          // empty: getaddrinfo
  };

  explicit AddressResolver(Options options);
  AddressResolver() : AddressResolver(Options{}) {}
  ~AddressResolver();
  AddressResolver(const AddressResolver&) = delete;
  AddressResolver& operator=(const AddressResolver&) = delete;

  enum class Status { Ready, Pending, Failed };
  struct Answer {
    Status status = Status::Pending;
    ResolvedAddress address;  // Ready
    std::string error;        // Failed
    int64_t fresh_until_ns = 0;  // Ready / Failed: how long a caller may keep the answer
  };
  // `now_ns` is monotonic.
  Answer lookup(const std::string& host, int64_t now_ns);

  // The system resolver (getaddrinfo, first address, IPv4 or IPv6).
  static bool systemResolve(const std::string& host, ResolvedAddress* out, std::string* error);

 private:
  struct Entry {
    Status status = Status::Pending;
    ResolvedAddress address;
    std::string error;
    int64_t resolved_at_ns = 0;
    bool queued = false;
  };
  void run();
  void enqueueLocked(const std::string& host, Entry& entry);

  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::deque<std::string> queue_;                    // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::thread thread_;
};

}  // namespace foundry::router
