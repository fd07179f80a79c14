#pragma once
// Host ports for instances, from the cell's --ports range. A port is handed out only when no
// instance of ours holds it and it can be bound right now (another program may use it).
// Allocation goes round-robin from the last port given, so a freed port is not reused at once
// (the router may still hold a stale route to it for a moment). Thread-safe.
#include <cstdint>
#include <mutex>
#include <set>
#include <string>

namespace foundry::cell {

class PortAllocator {
 public:
  PortAllocator(uint16_t first, uint16_t last) : first_(first), last_(last), next_(first) {}

  // A free port, or 0 when every port of the range is taken or not bindable.
  uint16_t allocate();
  void release(uint16_t port);
  size_t inUse() const;

  // True when a TCP socket can bind 0.0.0.0:port now (what an app listening on $PORT needs).
  static bool bindable(uint16_t port);

 private:
  const uint16_t first_, last_;
  mutable std::mutex mutex_;
  uint16_t next_;
  std::set<uint16_t> used_;
};

// Parses "FROM-TO" (1 <= FROM <= TO <= 65535). False on anything else.
bool parsePortRange(const std::string& text, uint16_t* first, uint16_t* last);

}  // namespace foundry::cell
