#pragma once
// Timestamps as Go's time.Time marshals them to JSON (RFC 3339 with nanoseconds, the layout
// "2006-01-02T15:04:05.999999999Z07:00": trailing zeros of the fraction dropped, no fraction
// at all when it is zero). The route-service signature carries its requested_time this way.

#include <cstdint>
#include <string>
#include <string_view>

namespace foundry::router {

// Unix nanoseconds -> "YYYY-MM-DDThh:mm:ss[.fraction]Z" (UTC).
std::string formatRfc3339Nano(int64_t unix_ns);

// Parses RFC 3339 ("Z" or a "+hh:mm" / "-hh:mm" offset, 0 to 9 fraction digits) into Unix
// nanoseconds. False for anything else (out-of-range fields included).
bool parseRfc3339(std::string_view text, int64_t* unix_ns);

}  // namespace foundry::router
