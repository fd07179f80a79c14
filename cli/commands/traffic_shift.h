#pragma once
// The plan of `foundry shift-traffic` (shift_traffic_command.cc), kept apart so it can be
// unit-tested: the weights of each step and the wait between steps.
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

}  // namespace foundry::cli
