#pragma once
// Test images built with Debian's tools (umoci, skopeo, busybox-static), never downloaded.
//
// buildTestImageLayout() writes an OCI layout with two tags:
//   "v1"        linux/amd64, three layers:
//                 1. /bin/busybox (static) with bin/sh, bin/ls, bin/cat -> busybox;
//                    etc/hello.txt "hello"; etc/removed.txt; opt/data/old1 (umoci repack)
//                 2. a whiteout of etc/removed.txt (umoci repack after deleting it)
//                 3. opt/data made opaque, holding only new1 "n1" (GNU tar, umoci raw add-layer)
//               config: Cmd ["/bin/sh","-c","echo hi"], Env FOO=bar, ports 8080/tcp and
//               53/udp, WorkingDir /app, User 1000:1000
//   "v1-arm64"  the same image declared linux/arm64 (for multi-arch indexes)
//   "web"       v1 as an app: Cmd ["/bin/sh","-c","exec /bin/busybox httpd -f -p \"$PORT\"
//               -h /etc"], no User (root in the container), so GET /hello.txt -> "hello"
//   "nocmd"     v1 without a Cmd (and no Entrypoint): nothing to run
//   "big"       v1 plus a layer of 3 MiB of random bytes (past a 2 MB disk quota)
// pushTestImage() copies a tag to a registry with skopeo. Both return "" or the tool's output
// (a missing tool is an error, never a skip: scripts/install-deps.sh installs them).
#include <string>

namespace foundry::test {

std::string buildTestImageLayout(const std::string& work_dir, std::string* layout_dir);

struct PushOptions {
  std::string creds;           // "user:password" for a registry with auth
  bool docker_format = false;  // convert to Docker manifest v2 schema 2 (else keep OCI)
};

// Copies `layout_dir:tag` to docker://`destination` (e.g. "127.0.0.1:5000/test/app:v1").
std::string pushTestImage(const std::string& layout_dir, const std::string& tag,
                          const std::string& destination, const PushOptions& options = {});

}  // namespace foundry::test
