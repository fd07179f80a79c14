#pragma once
// One probe of an instance (B5), as cloudfoundry/healthcheck does it:
//   port    TCP connect to address:port
//   http    GET http://address:port<endpoint>, User-Agent diego-healthcheck; healthy only on 200
//   process always healthy (the process running is the check; its exit is a crash)
// Blocks for at most `invocation_timeout_s` (1 s when <= 0).
#include <cstdint>
#include <string>

#include "scheduler/model/lrp.h"

namespace foundry::cell {

struct ProbeResult {
  bool healthy = false;
  std::string failure;  // why not, e.g. "failed to make TCP connection to 127.0.0.1:61000: ..."
};

ProbeResult probe(const sched::HealthCheck& check, const std::string& address, uint16_t port);

}  // namespace foundry::cell
