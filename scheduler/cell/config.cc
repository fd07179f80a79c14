#include "scheduler/cell/config.h"

#include <sys/statvfs.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace foundry::cell {

std::string CellConfig::repUrl() const {
  std::string host = listen_host;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = address;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(listen_port);
}

int machineMemoryMb() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  long long kb = 0;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") return static_cast<int>(kb / 1024);
  }
  return 0;
}

int freeDiskMb(const std::string& dir) {
  struct statvfs info{};
  if (statvfs(dir.c_str(), &info) != 0) return 0;
  unsigned long long bytes = static_cast<unsigned long long>(info.f_bavail) * info.f_frsize;
  unsigned long long mb = bytes / (1024 * 1024);
  return mb > 0x7fffffff ? 0x7fffffff : static_cast<int>(mb);
}

std::vector<std::string> splitTags(const std::string& text) {
  std::vector<std::string> tags;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) tags.push_back(item.substr(b, e - b + 1));
  }
  return tags;
}

bool parseHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned p = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, p);
  if (ec != std::errc() || ptr != end || begin == end || p < 1 || p > 65535 || h.empty()) {
    return false;
  }
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace foundry::cell
