#pragma once
// Requests aimed at one app instance (ROUTER-PROTOCOL.md section 2, "Instance targeting"):
//  X-CF-App-Instance: <app-guid>:<index>            matches app id + private_instance_index
//  X-CF-Process-Instance: <process-guid>[:<index>]  matches tags.process_id (+ index)
// A malformed value is a 400; no matching endpoint is a 400 unknown_route. The matching
// endpoints form a one-off pool for the request.

#include <string>
#include <string_view>

#include "router/route/pool.h"

namespace foundry::router {

struct InstanceTarget {
  enum class Kind { None, App, Process };
  Kind kind = Kind::None;
  std::string guid;
  std::string index;  // "" = any instance (process targeting only)
};

// Parses a header value; false when malformed. The guid must be a lower-case UUID and the
// index decimal digits.
bool parseAppInstanceHeader(std::string_view value, InstanceTarget* out);
bool parseProcessInstanceHeader(std::string_view value, InstanceTarget* out);

// The endpoints of `pool` the target selects, as a pool of their own (nullptr when none).
PoolConstSharedPtr targetPool(const Pool& pool, const InstanceTarget& target);

// The 400's message for a target that matched nothing.
std::string unknownInstanceMessage(const InstanceTarget& target, std::string_view host);

}  // namespace foundry::router
