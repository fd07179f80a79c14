#pragma once
// The OCI runtime binary (runc, or whatever --oci-runtime names with the same command line),
// driven through its CLI with its state kept under the cell's work dir.
#include <string>

#include "scheduler/cell/process.h"

namespace foundry::cell {

class OciRuntime {
 public:
  OciRuntime(std::string binary, std::string state_dir)
      : binary_(std::move(binary)), state_dir_(std::move(state_dir)) {}

  // `runc run` in the foreground as a new process group: the container's stdout and stderr
  // come back on the pipes of `Spawned`, and runc exits with the container's status once its
  // init is gone (128 + N when signal N ended it), having removed the container.
  Spawned run(const std::string& id, const std::string& bundle_dir) const;
  // Sends `signal` to every process of the container. False when it has none (any more).
  bool kill(const std::string& id, int signal) const;
  // Removes the container whatever its state (killing what is left).
  void remove(const std::string& id) const;
  // Removes every container a previous run of the cell left behind.
  void removeAll() const;
  // "runc version 1.1.5 ..." (first line), or "" with `error` when the binary does not run.
  std::string version(std::string* error) const;

  const std::string& binary() const { return binary_; }

 private:
  const std::string binary_;
  const std::string state_dir_;
};

}  // namespace foundry::cell
