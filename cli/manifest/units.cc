#include "cli/manifest/units.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace foundry::cli {

namespace {

constexpr const char* kUnitHelp =
    "Byte quantity must be an integer with a unit of measurement like M, MB, G, or GB";

}  // namespace

Result<int64_t> parseMegabytes(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  std::string_view trimmed = text.substr(begin, end - begin);
  size_t digits = 0;
  while (digits < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[digits]))) {
    ++digits;
  }
  if (digits == 0) {
    return Result<int64_t>::fail(std::string(kUnitHelp) + " (got '" + std::string(text) + "')");
  }
  std::string unit;
  for (char c : trimmed.substr(digits))
    unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int64_t multiplier = 0;
  if (unit == "M" || unit == "MB") {
    multiplier = 1;
  } else if (unit == "G" || unit == "GB") {
    multiplier = 1024;
  } else if (unit == "T" || unit == "TB") {
    multiplier = 1024 * 1024;
  } else {
    return Result<int64_t>::fail(std::string(kUnitHelp) + " (got '" + std::string(text) + "')");
  }
  int64_t number = 0;
  for (size_t i = 0; i < digits; ++i) {
    int d = trimmed[i] - '0';
    if (number > (std::numeric_limits<int32_t>::max() - d) / 10) {
      return Result<int64_t>::fail("Byte quantity is too large: '" + std::string(text) + "'");
    }
    number = number * 10 + d;
  }
  if (number == 0) {
    return Result<int64_t>::fail("Byte quantity must be greater than zero (got '" +
                                 std::string(text) + "')");
  }
  int64_t megabytes = number * multiplier;
  if (megabytes > std::numeric_limits<int32_t>::max()) {
    return Result<int64_t>::fail("Byte quantity is too large: '" + std::string(text) + "'");
  }
  return Result<int64_t>::ok(megabytes);
}

std::string formatMegabytes(int64_t megabytes) {
  if (megabytes > 0 && megabytes % 1024 == 0) return std::to_string(megabytes / 1024) + "G";
  return std::to_string(megabytes) + "M";
}

std::string formatBytes(double bytes) {
  if (bytes <= 0) return "0";
  const char* units[] = {"B", "K", "M", "G", "T"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%.0f%s", bytes, units[unit]);
  } else if (bytes == static_cast<double>(static_cast<int64_t>(bytes))) {
    std::snprintf(buffer, sizeof buffer, "%.0f%s", bytes, units[unit]);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f%s", bytes, units[unit]);
  }
  return buffer;
}

}  // namespace foundry::cli
