#pragma once
// Free TCP ports for tests.

#include <cstdint>

namespace foundry::test {

// A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, read back, closed.
// Another process may still grab it before the caller binds, so callers that spawn servers
// should retry on a bind failure. Returns 0 if no socket could be bound.
uint16_t freeTcpPort();

}  // namespace foundry::test
