// The container a cell asks runc for (oci_spec.h) and how a Docker image's process is set up
// in it (image_process.h): pure functions, checked field by field.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "scheduler/cell/image_process.h"
#include "scheduler/cell/oci_spec.h"

namespace foundry::cell {
namespace {

using nlohmann::json;

ContainerSpec containerSpecForTest() {
  ContainerSpec spec;
  spec.hostname = "ig-1";
  spec.rootfs = "/cells/stack/rootfs";
  spec.args = {"/tmp/lifecycle/launcher", "app", "node server.js", ""};
  spec.env = {"PORT=61000"};
  spec.host_id_base = 1'065'536;
  spec.binds = {{"/usr", "/usr", true}, {"/cells/i/disk/home", "/home/vcap", false}};
  spec.cgroups_path = "/foundry/cell-1/ig-1/container";
  spec.pids_limit = 64;
  spec.cpu_shares = 256;
  return spec;
}

TEST(ContainerSpecTest, NamespacesIdsAndPrivileges) {
  json config = json::parse(ociConfigJson(containerSpecForTest()));
  EXPECT_EQ(config["root"]["path"], "/cells/stack/rootfs");
  EXPECT_EQ(config["root"]["readonly"], true);
  EXPECT_EQ(config["process"]["user"]["uid"], 2000);
  EXPECT_EQ(config["process"]["user"]["gid"], 2000);
  EXPECT_EQ(config["process"]["noNewPrivileges"], true);
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    EXPECT_EQ(config["process"]["capabilities"][set], json::array()) << set;
  }
  std::vector<std::string> namespaces;
  for (const auto& ns : config["linux"]["namespaces"]) namespaces.push_back(ns["type"]);
  // The host's network namespace on purpose (README "Containers"): no "network" here.
  EXPECT_EQ(namespaces, (std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"}));
  const json id_map = {{{"containerID", 0}, {"hostID", 1'065'536}, {"size", 65536}}};
  EXPECT_EQ(config["linux"]["uidMappings"], id_map);
  EXPECT_EQ(config["linux"]["gidMappings"], id_map);
  EXPECT_EQ(config["linux"]["cgroupsPath"], "/foundry/cell-1/ig-1/container");
  EXPECT_EQ(config["linux"]["resources"]["pids"]["limit"], 64);
  EXPECT_EQ(config["linux"]["resources"]["cpu"]["shares"], 256);
  // Memory is limited on the parent cgroup the cell reads afterwards, not here.
  EXPECT_FALSE(config["linux"]["resources"].contains("memory"));
}

TEST(ContainerSpecTest, SeccompRefusesMountAndNamespaceEscapesButAllowsPtrace) {
  json config = json::parse(ociConfigJson(containerSpecForTest()));
  const json& seccomp = config["linux"]["seccomp"];
  EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
  ASSERT_EQ(seccomp["syscalls"].size(), 1u);
  EXPECT_EQ(seccomp["syscalls"][0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(seccomp["syscalls"][0]["errnoRet"], 1);  // EPERM
  const json& names = seccomp["syscalls"][0]["names"];
  for (const char* refused : {"mount", "umount2", "unshare", "setns", "bpf", "keyctl",
                              "init_module", "kexec_load", "reboot", "pivot_root"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), refused), names.end()) << refused;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "ptrace"), names.end());
}

TEST(ContainerSpecTest, BindsFollowTheKernelMountsInOrderWithTheirModes) {
  json config = json::parse(ociConfigJson(containerSpecForTest()));
  std::vector<std::string> destinations;
  for (const auto& m : config["mounts"]) destinations.push_back(m["destination"]);
  EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                    "/dev/mqueue", "/sys", "/usr", "/home/vcap"}));
  const json& usr = config["mounts"][6];
  EXPECT_EQ(usr["type"], "bind");
  EXPECT_NE(std::find(usr["options"].begin(), usr["options"].end(), "ro"), usr["options"].end());
  const json& home = config["mounts"][7];
  EXPECT_EQ(std::find(home["options"].begin(), home["options"].end(), "ro"),
            home["options"].end());
  // The host's sysfs, read-only: a fresh one needs a network namespace of the container's own.
  EXPECT_EQ(config["mounts"][5]["source"], "/sys");
}

TEST(ContainerSpecTest, CpuSharesFollowMemoryWithinBounds) {
  EXPECT_EQ(cpuSharesFor(1024, 4096), 256);
  EXPECT_EQ(cpuSharesFor(4096, 4096), 1024);
  EXPECT_EQ(cpuSharesFor(8192, 4096), 1024);  // at most one CPU's default weight
  EXPECT_EQ(cpuSharesFor(1, 4096), 10);       // Garden's floor
  EXPECT_EQ(cpuSharesFor(512, 0), 1024);      // unknown cell memory
}

TEST(ImageProcessTest, CommandComesFromTheAppOrTheImage) {
  oci::ImageConfig image;
  image.entrypoint = {"/docker-entrypoint.sh"};
  image.cmd = {"nginx", "-g", "daemon off;"};
  std::string error;
  EXPECT_EQ(imageProcessArgs(image, "", &error),
            (std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
  EXPECT_EQ(imageProcessArgs(image, "echo $PORT", &error),
            (std::vector<std::string>{"/bin/sh", "-c", "echo $PORT"}));
  EXPECT_EQ(error, "");
  EXPECT_TRUE(imageProcessArgs(oci::ImageConfig{}, "", &error).empty());
  EXPECT_EQ(error.rfind("image has no command", 0), 0u) << error;
}

TEST(ImageProcessTest, UserIsResolvedInTheImagesOwnFiles) {
  char templ[] = "/tmp/image-rootfs-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string rootfs = templ;
  std::filesystem::create_directories(rootfs + "/etc");
  std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/app:/bin/sh\n";
  std::ofstream(rootfs + "/etc/group") << "root:x:0:\nstaff:x:50:\n";
  uid_t uid = 9;
  gid_t gid = 9;
  std::string error;
  EXPECT_TRUE(resolveImageUser(rootfs, "", &uid, &gid, &error));
  EXPECT_EQ(uid, 0u);
  EXPECT_EQ(gid, 0u);
  EXPECT_TRUE(resolveImageUser(rootfs, "app", &uid, &gid, &error));
  EXPECT_EQ(uid, 1001u);
  EXPECT_EQ(gid, 1002u);
  EXPECT_TRUE(resolveImageUser(rootfs, "app:staff", &uid, &gid, &error));
  EXPECT_EQ(gid, 50u);
  EXPECT_TRUE(resolveImageUser(rootfs, "1000:1000", &uid, &gid, &error));
  EXPECT_EQ(uid, 1000u);
  EXPECT_EQ(gid, 1000u);
  EXPECT_TRUE(resolveImageUser(rootfs, "4242", &uid, &gid, &error));
  EXPECT_EQ(gid, 0u);  // a bare uid runs with group 0, as Docker does
  EXPECT_FALSE(resolveImageUser(rootfs, "nobody-here", &uid, &gid, &error));
  EXPECT_NE(error.find("nobody-here"), std::string::npos);
  EXPECT_FALSE(resolveImageUser(rootfs, "app:nogroup", &uid, &gid, &error));
  std::filesystem::remove_all(rootfs);
}

TEST(ImageProcessTest, PlatformVariablesWinButTheImageKeepsItsPath) {
  std::vector<std::string> env =
      imageEnvironment({"PATH=/opt/bin:/bin", "FOO=bar", "PORT=1"},
                       {"PATH=/usr/bin", "PORT=61000", "VCAP_APPLICATION={}", "HOME=/home/vcap/app"});
  EXPECT_EQ(env, (std::vector<std::string>{"FOO=bar", "HOME=/home/vcap/app", "PATH=/opt/bin:/bin",
                                           "PORT=61000", "VCAP_APPLICATION={}"}));
}

}  // namespace
}  // namespace foundry::cell
