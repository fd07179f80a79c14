#pragma once
// Memory and disk quantities as cf writes them: "256M", "256MB", "1G", "1GB", "1T" (case
// insensitive). A unit is required, as in cf ("Byte quantity must be an integer with a unit of
// measurement like M, MB, G, or GB").
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/common/result.h"

namespace foundry::cli {

// Megabytes for `text`; an error for a missing/unknown unit, a non-integer, zero or overflow.
Result<int64_t> parseMegabytes(std::string_view text);

// 256 -> "256M", 1024 -> "1G" (whole gigabytes only), as cf prints quotas.
std::string formatMegabytes(int64_t megabytes);

// Bytes for humans, as cf's app summary: "31.2M", "1G", "512K", "0".
std::string formatBytes(double bytes);

}  // namespace foundry::cli
