#pragma once
// Structured logging: one JSON object per line on stderr, like gorouter's zap output.
// Event names are kebab-case ("endpoint-registered"); fields are key/value strings.
// Thread-safe: each line is written with a single write(2).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace foundry::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Fatal = 4 };

using Field = std::pair<std::string_view, std::string>;

void setLevel(Level level);
// Parses "debug" / "info" / "warn" / "error" / "fatal"; false on anything else.
bool parseLevel(std::string_view text, Level* out);
bool enabled(Level level);
void write(Level level, std::string_view source, std::string_view event,
           std::initializer_list<Field> fields = {});

inline void debug(std::string_view src, std::string_view ev, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Debug)) write(Level::Debug, src, ev, f);
}
inline void info(std::string_view src, std::string_view ev, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Info)) write(Level::Info, src, ev, f);
}
inline void warn(std::string_view src, std::string_view ev, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Warn)) write(Level::Warn, src, ev, f);
}
inline void error(std::string_view src, std::string_view ev, std::initializer_list<Field> f = {}) {
  write(Level::Error, src, ev, f);
}

}  // namespace foundry::log
