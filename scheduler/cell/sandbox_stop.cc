#include "scheduler/cell/sandbox_stop.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "scheduler/cell/process.h"

namespace foundry::cell {

void stopSandboxed(InstanceSandbox& sandbox, pid_t pid, bool* exited, int grace_s) {
  if (pid <= 0) return;
  sandbox.signalAll(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!*exited && pollExit(pid).exited) *exited = true;
    if (*exited && !sandbox.anyLeft()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  killSandboxed(sandbox, pid, exited);
}

void killSandboxed(InstanceSandbox& sandbox, pid_t pid, bool* exited) {
  if (pid <= 0) return;
  sandbox.signalAll(SIGKILL);
  if (!*exited) *exited = waitExit(pid, 5000).exited;
  if (!*exited) kill(-pid, SIGKILL);  // the watched process itself did not go
  if (!*exited) *exited = waitExit(pid, 2000).exited;
  // Other members are not our children: give the kernel a moment to take them away.
  for (int i = 0; i < 100 && sandbox.anyLeft(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace foundry::cell
