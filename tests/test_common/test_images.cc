#include "tests/test_common/test_images.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/test_common/shell.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;

std::string imageShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs each command in order; "" or the failing command with its output.
std::string imageRunAll(const std::vector<std::string>& commands) {
  for (const std::string& command : commands) {
    auto [rc, out] = runShell("timeout 120 " + command);
    if (rc != 0) return "`" + command + "` exited " + std::to_string(rc) + ": " + out;
  }
  return "";
}

void imageWriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

}  // namespace

std::string buildTestImageLayout(const std::string& work_dir, std::string* layout_dir) {
  const fs::path work(work_dir);
  const fs::path bundle = work / "bundle", opaque = work / "opaque", layout = work / "layout";
  const fs::path rootfs = bundle / "rootfs";
  std::error_code ec;
  for (const fs::path& p : {bundle, opaque, layout}) fs::remove_all(p, ec);
  if (!fs::exists("/bin/busybox")) {
    return "/bin/busybox is missing: scripts/install-deps.sh installs busybox-static";
  }
  const std::string image = imageShellQuote(layout.string() + ":v1");
  const std::string q_bundle = imageShellQuote(bundle.string());
  // umoci insert writes layers without the tar trailer (0.4.7), which strict readers refuse:
  // layers 1 and 2 come from unpack/repack, the opaque one from GNU tar via raw add-layer.
  std::string error = imageRunAll({
      "umoci init --layout " + imageShellQuote(layout.string()),
      "umoci new --image " + image,
      "umoci unpack --image " + image + " " + q_bundle,
  });
  if (!error.empty()) return error;
  fs::create_directories(rootfs / "bin");
  fs::copy_file("/bin/busybox", rootfs / "bin/busybox", ec);
  if (ec) return "copying /bin/busybox: " + ec.message();
  for (const char* tool : {"sh", "ls", "cat"}) fs::create_symlink("busybox", rootfs / "bin" / tool);
  imageWriteFile(rootfs / "etc/hello.txt", "hello");
  imageWriteFile(rootfs / "etc/removed.txt", "bye");
  imageWriteFile(rootfs / "opt/data/old1", "o1");
  // --refresh-bundle: the next repack diffs against this layer, not the empty image.
  error = imageRunAll({"umoci repack --refresh-bundle --image " + image + " " + q_bundle});
  if (!error.empty()) return error;
  fs::remove(rootfs / "etc/removed.txt", ec);  // repack records it as a whiteout
  imageWriteFile(opaque / "opt/data/.wh..wh..opq", "");
  imageWriteFile(opaque / "opt/data/new1", "n1");
  const std::string opaque_tar = imageShellQuote((work / "opaque.tar").string());
  error = imageRunAll({
      "umoci repack --image " + image + " " + q_bundle,
      "tar -C " + imageShellQuote(opaque.string()) + " --owner=0 --group=0 -cf " + opaque_tar +
          " opt/data/.wh..wh..opq opt/data/new1",
      "umoci raw add-layer --image " + image + " " + opaque_tar,
      "umoci config --image " + image +
          " --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hi'"
          " --config.env FOO=bar --config.exposedports 8080/tcp --config.exposedports 53/udp"
          " --config.workingdir /app --config.user 1000:1000",
      "umoci config --image " + image + " --architecture arm64 --tag v1-arm64",
      // An app image: its own CMD serves /etc on $PORT, as root (no USER).
      "umoci config --image " + image + " --tag web --config.user '' --clear config.cmd"
          " --config.cmd /bin/sh --config.cmd -c"
          " --config.cmd 'exec /bin/busybox httpd -f -p \"$PORT\" -h /etc'",
      "umoci config --image " + image + " --tag nocmd --clear config.cmd",
      // 3 MiB that gzip cannot shrink, in a layer of its own.
      "mkdir -p " + imageShellQuote((work / "big").string()) + " && head -c 3145728 /dev/urandom > " +
          imageShellQuote((work / "big/blob.bin").string()),
      "tar -C " + imageShellQuote((work / "big").string()) + " --owner=0 --group=0 -cf " +
          imageShellQuote((work / "big.tar").string()) + " blob.bin",
      "umoci raw add-layer --image " + image + " --tag big " +
          imageShellQuote((work / "big.tar").string()),
  });
  if (!error.empty()) return error;
  *layout_dir = layout.string();
  return "";
}

std::string pushTestImage(const std::string& layout_dir, const std::string& tag,
                          const std::string& destination, const PushOptions& options) {
  std::string command = "skopeo copy --quiet --dest-tls-verify=false";
  if (!options.creds.empty()) command += " --dest-creds " + imageShellQuote(options.creds);
  if (options.docker_format) command += " --format v2s2";
  command += " " + imageShellQuote("oci:" + layout_dir + ":" + tag) + " " +
             imageShellQuote("docker://" + destination);
  return imageRunAll({command});
}

}  // namespace foundry::test
