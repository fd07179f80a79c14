#pragma once
// Applies one image layer (a tar: plain, gzip or zstd) on top of a root filesystem being
// assembled, with the OCI whiteout rules:
//   DIR/.wh.NAME        NAME of the lower layers is deleted
//   DIR/.wh..wh..opq    DIR keeps only what this layer puts in it (lower content goes)
// Refused, failing the whole layer: absolute names (but "/", the root itself), "..", and any
// write or delete through a symlink (a lower layer's `etc -> /` must not let `etc/passwd` land
// on the host). Modes,
// owners (numeric, we run as root) and mtimes are kept; device nodes and sockets are skipped.
#include <string>

namespace foundry::oci {

// `root` must be an absolute path without symlinks in it (the caller canonicalizes it).
// `label` names the layer in errors (its digest). Returns "" or why the layer was refused.
std::string applyLayer(const std::string& blob_path, const std::string& root,
                       const std::string& label);

}  // namespace foundry::oci
