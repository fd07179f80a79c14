#include "cli/commands/traffic_shift.h"

#include <charconv>

namespace foundry::cli {

Result<std::vector<int>> shiftWeights(int steps) {
  if (steps < 1 || steps > 100) {
    return Result<std::vector<int>>::fail("--steps must be between 1 and 100");
  }
  std::vector<int> weights;
  for (int i = 1; i <= steps; ++i) {
    weights.push_back((200 * i + steps) / (2 * steps));  // round(100 * i / steps)
  }
  return Result<std::vector<int>>::ok(weights);
}

Result<std::chrono::milliseconds> parseInterval(std::string_view text) {
  using Ms = std::chrono::milliseconds;
  auto bad = [&] {
    return Result<Ms>::fail("Invalid interval '" + std::string(text) +
                            "': use a number with ms, s or m, e.g. 10s");
  };
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return bad();
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t ms = 0;
  if (unit == "ms") {
    ms = value;
  } else if (unit == "s") {
    ms = value * 1000;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit.empty() && value == 0) {
    ms = 0;
  } else {
    return bad();
  }
  if (value > 3'600'000 || ms > 3'600'000) {
    return Result<Ms>::fail("Invalid interval '" + std::string(text) + "': at most 1 hour");
  }
  return Result<Ms>::ok(Ms(ms));
}

}  // namespace foundry::cli
