#pragma once
// What a cell needs to know about a pulled image: how to start it (from the config blob) and
// which layers make its root filesystem (from the manifest).
#include <cstdint>
#include <string>
#include <vector>

namespace foundry::oci {

struct Layer {
  std::string digest;      // "sha256:<hex>" of the blob as stored (compressed)
  uint64_t size = 0;       // bytes of the blob, as the manifest declares
  std::string media_type;  // e.g. application/vnd.oci.image.layer.v1.tar+gzip
};

struct ImageConfig {
  // sha256 of the image manifest the layers come from (for an index: the linux/amd64 entry's).
  std::string manifest_digest;
  std::vector<std::string> entrypoint, cmd, env;  // env entries as "NAME=value"
  std::string user, working_dir;
  std::vector<int> exposed_ports;  // sorted, distinct, tcp only ("8080/tcp" or "8080")
  std::vector<Layer> layers;       // bottom layer first
};

}  // namespace foundry::oci
