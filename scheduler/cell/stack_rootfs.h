#pragma once
// The stack buildpack apps run on (CF calls it cflinuxfs): a root file system the cell builds
// once at start from the host's own system directories, the way the droplets were staged.
// The root itself is a small skeleton the cell writes (its own /etc with `vcap` as uid 2000,
// mount points, the merged-/usr symlinks); the host's /usr and a few read-only parts of /etc
// are bound into it. Nothing else of the host is visible: not /root, not /home, not /var, not
// the cell's work dir or the controller's data.
#include <string>
#include <vector>

#include "scheduler/cell/oci_spec.h"

namespace foundry::cell {

struct StackRootfs {
  std::string rootfs;            // the skeleton, mounted read-only as /
  std::vector<BindMount> binds;  // host directories bound read-only into it
};

// Builds (or rebuilds) the skeleton under `dir`. False with `error` when it cannot.
bool prepareStackRootfs(const std::string& dir, StackRootfs* stack, std::string* error);

}  // namespace foundry::cell
