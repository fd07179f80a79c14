#include "scheduler/cell/stack_rootfs.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

// /etc of the stack: just enough for name lookups, TLS and the dynamic linker, and what the
// system buildpacks read while staging in a container (the staticfile buildpack copies
// nginx's mime.types into the droplet).
const char* const kEtcCopies[] = {"resolv.conf", "nsswitch.conf", "ld.so.cache", "host.conf",
                                  "mime.types",  "protocols",     "services",    "nginx/mime.types"};
const char* const kEtcBinds[] = {"ssl", "alternatives", "ca-certificates"};
const char* const kTopLevelLinks[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

bool writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

bool prepareStackRootfs(const std::string& dir, StackRootfs* stack, std::string* error) {
  std::error_code ec;
  const fs::path root = fs::path(dir) / "rootfs";
  fs::remove_all(root, ec);
  for (const char* sub : {"usr", "etc", "home/vcap", "tmp", "proc", "dev", "sys", "var/tmp"}) {
    fs::create_directories(root / sub, ec);
    if (ec) {
      *error = "cannot create " + (root / sub).string() + ": " + ec.message();
      return false;
    }
  }
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  fs::permissions(root / "var/tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  stack->rootfs = root.string();
  stack->binds = {{"/usr", "/usr", true}};
  // Merged /usr (Debian 12): /bin -> usr/bin and so on, as symlinks; a host that still has
  // real directories there gets them bound read-only instead.
  for (const char* name : kTopLevelLinks) {
    const fs::path host = fs::path("/") / name;
    if (fs::is_symlink(host, ec)) {
      fs::create_symlink(fs::read_symlink(host, ec), root / name, ec);
    } else if (fs::is_directory(host, ec)) {
      fs::create_directories(root / name, ec);
      stack->binds.push_back({host.string(), host.string(), true});
    }
  }
  const fs::path etc = root / "etc";
  bool ok = writeText(etc / "passwd",
                      "root:x:0:0:root:/root:/bin/sh\n"
                      "vcap:x:2000:2000::/home/vcap:/bin/bash\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n") &&
            writeText(etc / "group", "root:x:0:\nvcap:x:2000:\nnogroup:x:65534:\n") &&
            writeText(etc / "hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
  if (!ok) {
    *error = "cannot write " + etc.string();
    return false;
  }
  for (const char* name : kEtcCopies) {
    const fs::path host = fs::path("/etc") / name;
    if (!fs::exists(host, ec)) continue;
    fs::create_directories((etc / name).parent_path(), ec);
    fs::copy_file(host, etc / name, fs::copy_options::overwrite_existing, ec);
  }
  if (fs::is_symlink("/etc/localtime", ec)) {
    fs::create_symlink(fs::read_symlink("/etc/localtime", ec), etc / "localtime", ec);
  }
  if (fs::is_symlink("/etc/os-release", ec)) {
    fs::create_symlink(fs::read_symlink("/etc/os-release", ec), etc / "os-release", ec);
  }
  for (const char* name : kEtcBinds) {
    const fs::path host = fs::path("/etc") / name;
    if (fs::is_directory(host, ec)) {
      fs::create_directories(etc / name, ec);
      stack->binds.push_back({host.string(), host.string(), true});
    }
  }
  // Everyone may read and enter the skeleton: the container's users map to unprivileged ids.
  chmod(root.c_str(), 0755);
  return true;
}

}  // namespace foundry::cell
