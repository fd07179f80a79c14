#include "common/log/log.h"

#include "common/log/json_escape.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

namespace foundry::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};

const char* levelName(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Fatal: return "fatal";
  }
  return "info";
}


}  // namespace

void setLevel(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool parseLevel(std::string_view text, Level* out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {
      {"debug", Level::Debug}, {"info", Level::Info},   {"warn", Level::Warn},
      {"error", Level::Error}, {"fatal", Level::Fatal},
  };
  for (const auto& [name, level] : kNames) {
    if (text == name) {
      *out = level;
      return true;
    }
  }
  return false;
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view source, std::string_view event,
           std::initializer_list<Field> fields) {
  using namespace std::chrono;
  double ts = duration<double>(system_clock::now().time_since_epoch()).count();
  std::string line;
  line.reserve(160);
  char buf[64];
  std::snprintf(buf, sizeof buf, "{\"timestamp\":%.6f,\"log_level\":", ts);
  line += buf;
  appendJsonString(&line, levelName(level));
  line += ",\"source\":";
  appendJsonString(&line, source);
  line += ",\"message\":";
  appendJsonString(&line, event);
  line += ",\"data\":{";
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) line.push_back(',');
    first = false;
    appendJsonString(&line, key);
    line.push_back(':');
    appendJsonString(&line, value);
  }
  line += "}}\n";
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace foundry::log
