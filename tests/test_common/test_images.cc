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
  const fs::path base = work / "base", newdata = work / "newdata", layout = work / "layout";
  std::error_code ec;
  fs::remove_all(base, ec);
  fs::remove_all(newdata, ec);
  fs::remove_all(layout, ec);
  fs::create_directories(base / "bin");
  if (!fs::exists("/bin/busybox")) {
    return "/bin/busybox is missing: scripts/install-deps.sh installs busybox-static";
  }
  fs::copy_file("/bin/busybox", base / "bin/busybox", ec);
  if (ec) return "copying /bin/busybox: " + ec.message();
  for (const char* tool : {"sh", "ls", "cat"}) fs::create_symlink("busybox", base / "bin" / tool);
  imageWriteFile(base / "etc/hello.txt", "hello");
  imageWriteFile(base / "etc/removed.txt", "bye");
  imageWriteFile(base / "opt/data/old1", "o1");
  imageWriteFile(newdata / "new1", "n1");
  const std::string image = imageShellQuote(layout.string() + ":v1");
  std::string error = imageRunAll({
      "umoci init --layout " + imageShellQuote(layout.string()),
      "umoci new --image " + image,
      "umoci insert --image " + image + " " + imageShellQuote(base.string()) + " /",
      "umoci insert --image " + image + " --whiteout /etc/removed.txt",
      "umoci insert --image " + image + " --opaque " + imageShellQuote(newdata.string()) +
          " /opt/data",
      "umoci config --image " + image +
          " --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hi'"
          " --config.env FOO=bar --config.exposedports 8080/tcp --config.exposedports 53/udp"
          " --config.workingdir /app --config.user 1000:1000",
      "umoci config --image " + image + " --architecture arm64 --tag v1-arm64",
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
