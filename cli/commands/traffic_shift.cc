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

Result<RouteAddress> splitRouteUrl(std::string_view url, const std::vector<std::string>& domains) {
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  RouteAddress out;
  if (slash != std::string_view::npos) {
    out.path = std::string(url.substr(slash));
    while (out.path.size() > 1 && out.path.back() == '/') out.path.pop_back();
    if (out.path == "/") out.path.clear();
  }
  const std::string* best = nullptr;
  for (const std::string& domain : domains) {
    bool bare = authority == domain;
    bool under = authority.size() > domain.size() + 1 &&
                 authority.substr(authority.size() - domain.size()) == domain &&
                 authority[authority.size() - domain.size() - 1] == '.';
    if ((bare || under) && (best == nullptr || domain.size() > best->size())) best = &domain;
  }
  if (best == nullptr) {
    return Result<RouteAddress>::fail("No domain found for route '" + std::string(url) + "'");
  }
  out.domain = *best;
  if (authority.size() > best->size()) {
    out.host = std::string(authority.substr(0, authority.size() - best->size() - 1));
  }
  return Result<RouteAddress>::ok(out);
}

}  // namespace foundry::cli
