#include "scheduler/cell/port_allocator.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>

namespace foundry::cell {

bool PortAllocator::bindable(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

uint16_t PortAllocator::allocate() {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint32_t count = uint32_t(last_) - first_ + 1;
  for (uint32_t tried = 0; tried < count; ++tried) {
    uint16_t port = next_;
    next_ = port == last_ ? first_ : uint16_t(port + 1);
    if (used_.count(port) == 0 && bindable(port)) {
      used_.insert(port);
      return port;
    }
  }
  return 0;
}

void PortAllocator::release(uint16_t port) {
  std::lock_guard<std::mutex> lock(mutex_);
  used_.erase(port);
}

size_t PortAllocator::inUse() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return used_.size();
}

bool parsePortRange(const std::string& text, uint16_t* first, uint16_t* last) {
  size_t dash = text.find('-');
  if (dash == std::string::npos) return false;
  auto number = [](const char* begin, const char* end, unsigned* out) {
    auto [ptr, ec] = std::from_chars(begin, end, *out);
    return ec == std::errc() && ptr == end && begin != end;
  };
  unsigned a = 0, b = 0;
  const char* s = text.data();
  if (!number(s, s + dash, &a) || !number(s + dash + 1, s + text.size(), &b)) return false;
  if (a < 1 || b > 65535 || a > b) return false;
  *first = uint16_t(a);
  *last = uint16_t(b);
  return true;
}

}  // namespace foundry::cell
