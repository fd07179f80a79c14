#pragma once
// The plan of `foundry shift-traffic` (shift_traffic_command.cc), kept apart so it can be
// unit-tested: the weights of each step, the wait between steps, and which route a URL names.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "cli/common/result.h"

namespace foundry::cli {

// The new app's weight after each of `steps` steps (1..100): 100 * i / steps rounded to the
// nearest integer, so it grows evenly and the last is 100; the old app gets 100 minus it.
// An error outside 1..100.
Result<std::vector<int>> shiftWeights(int steps);

// A wait such as "10s", "500ms", "2m" or "0" (no unit only for zero). An error for anything
// else, negative values and more than an hour.
Result<std::chrono::milliseconds> parseInterval(std::string_view text);

struct RouteAddress {
  std::string host;    // "" for a route on the bare domain
  std::string domain;
  std::string path;    // "" or "/..."
};

// Splits "host.domain[/path]" using the domains the API knows: the longest domain name that
// is the URL's host part or its suffix after a '.'. An error when no domain fits.
Result<RouteAddress> splitRouteUrl(std::string_view url, const std::vector<std::string>& domains);

}  // namespace foundry::cli
