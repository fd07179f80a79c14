#include "router/routeservice/address_resolver.h"

#include <netdb.h>

#include <cstring>

#include "router/common/clock.h"

namespace foundry::router {

AddressResolver::AddressResolver(Options options) : options_(std::move(options)) {
  if (!options_.resolve) options_.resolve = &AddressResolver::systemResolve;
  thread_ = std::thread([this] { run(); });
}

AddressResolver::~AddressResolver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool AddressResolver::systemResolve(const std::string& host, ResolvedAddress* out,
                                    std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    *error = rc != 0 ? gai_strerror(rc) : "no address";
    if (result != nullptr) freeaddrinfo(result);
    return false;
  }
  const bool fits = result->ai_addrlen <= sizeof(out->addr);
  if (fits) {
    std::memcpy(&out->addr, result->ai_addr, result->ai_addrlen);
    out->len = result->ai_addrlen;
  } else {
    *error = "address too long";
  }
  freeaddrinfo(result);
  return fits;
}

void AddressResolver::enqueueLocked(const std::string& host, Entry& entry) {
  if (entry.queued) return;
  entry.queued = true;
  queue_.push_back(host);
  cv_.notify_one();
}

AddressResolver::Answer AddressResolver::lookup(const std::string& host, int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(host);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) {
      // Names come from route registrations, so this only grows with abuse; start over rather
      // than grow without bound. Queued names stay queued (their entries are recreated).
      entries_.clear();
    }
    it = entries_.emplace(host, Entry{}).first;
  }
  Entry& entry = it->second;
  Answer answer;
  answer.status = entry.status;
  switch (entry.status) {
    case Status::Pending:
      enqueueLocked(host, entry);
      break;
    case Status::Ready:
      answer.address = entry.address;
      answer.fresh_until_ns = entry.resolved_at_ns + options_.ttl_ns;
      if (now_ns >= answer.fresh_until_ns) {
        enqueueLocked(host, entry);  // refresh in the background; serve the old address now
        answer.fresh_until_ns = now_ns;  // and let the caller ask again soon
      }
      break;
    case Status::Failed:
      answer.error = entry.error;
      answer.fresh_until_ns = entry.resolved_at_ns + options_.negative_ttl_ns;
      if (now_ns >= answer.fresh_until_ns) {
        enqueueLocked(host, entry);
        answer.status = Status::Pending;  // retried now: wait for that answer
      }
      break;
  }
  return answer;
}

void AddressResolver::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string host = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    ResolvedAddress address;
    std::string error;
    const bool ok = options_.resolve(host, &address, &error);
    const int64_t now = monotonicNanos();
    lock.lock();
    Entry& entry = entries_[host];
    entry.queued = false;
    entry.resolved_at_ns = now;
    if (ok) {
      entry.status = Status::Ready;
      entry.address = address;
      entry.error.clear();
    } else if (entry.status != Status::Ready) {
      entry.status = Status::Failed;
      entry.error = error;
    }
    // A refresh that fails keeps the last good address (until the next TTL): a flapping name
    // server should not take a working route service down.
  }
}

}  // namespace foundry::router
