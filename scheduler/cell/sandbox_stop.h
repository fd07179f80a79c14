#pragma once
// Ending what runs in a sandbox, the same for instances and tasks: SIGTERM to every process of
// it, SIGKILL to what is left after the grace, then the watched process (`pid`, the cell's
// child) reaped, bounded. `*exited` says whether that child was reaped already, and is kept.
#include <sys/types.h>

#include "scheduler/cell/instance_sandbox.h"

namespace foundry::cell {

// SIGTERM, then up to `grace_s` for everything to go, then killSandboxed().
void stopSandboxed(InstanceSandbox& sandbox, pid_t pid, bool* exited, int grace_s);
// SIGKILL to every process, reap `pid` (its own group gets SIGKILL too if it does not go).
void killSandboxed(InstanceSandbox& sandbox, pid_t pid, bool* exited);

}  // namespace foundry::cell
