// The real `cell` running instances in runc containers (README.md "Containers"): an app inside
// probes what it can see and do and writes its findings to a file the test reads from the
// host; the lifecycle (health checks, crash reasons, the memory limit, stop) works unchanged
// through the container; a cell without its OCI runtime refuses to start.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "tests/integration/cell/cell_fixture.h"
#include "tests/test_common/registry_process.h"
#include "tests/test_common/shell.h"
#include "tests/test_common/test_images.h"

namespace foundry::cell {
namespace {

// Runs in the container: writes what it could see and do to app/probe.json, then serves
// HTTP on $PORT (with SO_REUSEPORT, so another instance could share the port if the
// kernel let it). argv: the paths it must not see, a port it must not bind, the cell's pid.
const char* kProbeApp = R"PY(
import errno, json, os, socket, sys, time
hidden = sys.argv[1].split(",")
foreign_port = int(sys.argv[2])
cell_pid = int(sys.argv[3])
facts = {"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(), "home": os.environ.get("HOME")}
facts["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
facts["visible"] = [p for p in hidden if os.path.exists(p)]
status = open("/proc/self/status").read()
facts["cap_eff"] = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff")][0]
facts["no_new_privs"] = [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")][0]
facts["seccomp"] = [l.split()[1] for l in status.splitlines() if l.startswith("Seccomp:")][0]
def error_of(action):
    try:
        action()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
facts["kill_cell"] = error_of(lambda: os.kill(cell_pid, 0))
facts["write_root"] = error_of(lambda: open("/var/tmp/x", "w"))  # 1777 in the stack
def bind_foreign():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", foreign_port))
facts["bind_foreign"] = error_of(bind_foreign)
def fill_disk():
    with open("/home/vcap/fill", "wb") as f:
        chunk = b"x" * (1 << 20)
        for _ in range(512):
            f.write(chunk)
            f.flush()
facts["fill_disk"] = error_of(fill_disk)
os.remove("/home/vcap/fill")
children, fork_error = [], "ok"
for _ in range(200):
    try:
        pid = os.fork()
    except OSError as e:
        fork_error = errno.errorcode.get(e.errno, str(e.errno))
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children.append(pid)
facts["fork_bomb"] = {"error": fork_error, "forked": len(children)}
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
with open("probe.json", "w") as f:
    json.dump(facts, f)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("0.0.0.0", int(os.environ["PORT"])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    c.close()
)PY";

class ContainerCellTest : public CellTest {
 protected:
  std::vector<std::string> isolationArgs() const override {
    return {"--isolation", "container", "--pids-limit", "64"};
  }

  std::string instanceHome(const std::string& instance_guid) {
    return dir_ + "/work/instances/" + instance_guid + "/disk/home";
  }

  // probe.json of the instance once written (the app writes it before it listens).
  nlohmann::json probeFacts(const std::string& instance_guid) {
    const std::string path = instanceHome(instance_guid) + "/app/probe.json";
    for (int i = 0; i < 200; ++i) {
      std::string text = test::readFile(path);
      if (!text.empty()) {
        auto facts = nlohmann::json::parse(text, nullptr, false);
        if (!facts.is_discarded()) return facts;
      }
      std::this_thread::sleep_for(50ms);
    }
    return nullptr;
  }

  static bool mountedBelow(const std::string& dir) {
    return test::readFile("/proc/self/mountinfo").find(dir) != std::string::npos;
  }
};

// A listening socket of root's, as the router's would be, with SO_REUSEPORT set.
int listenAsRouter(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(fd, 4);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

TEST_F(ContainerCellTest, InstanceIsIsolatedFromTheCellTheHostAndOtherInstances) {
  startCell();
  // The controller's data and another app's files: on the host, never in a container.
  const std::string controller_data = dir_ + "/controller-data";
  fs::create_directories(controller_data);
  std::ofstream(controller_data + "/platform.db") << "secret rows";
  uint16_t router_port = 0;
  int router_fd = listenAsRouter(&router_port);
  const std::string hidden = dir_ + "/work," + controller_data + ",/root," + dir_;
  auto command = [&](uint16_t foreign_port) {
    return "exec python3 probe.py " + hidden + " " + std::to_string(foreign_port) + " " +
           std::to_string(cell_->pid());
  };
  auto start_a = lrp("ig-a", makeDroplet("a", command(router_port), {{"probe.py", kProbeApp}}));
  start_a.desired.disk_mb = 64;
  postWork({start_a});
  auto started_a = scheduler_.waitFor("start", "ig-a", 30s);
  ASSERT_TRUE(started_a) << cell_->logs();
  const uint16_t port_a = started_a->body["port"].get<uint16_t>();
  // B tries to take A's port (A listens with SO_REUSEPORT too).
  auto start_b = lrp("ig-b", makeDroplet("b", command(port_a), {{"probe.py", kProbeApp}}));
  start_b.desired.disk_mb = 64;
  postWork({start_b});
  auto started_b = scheduler_.waitFor("start", "ig-b", 30s);
  ASSERT_TRUE(started_b) << cell_->logs();

  nlohmann::json a = probeFacts("ig-a"), b = probeFacts("ig-b");
  ASSERT_TRUE(a.is_object()) << cell_->logs();
  ASSERT_TRUE(b.is_object()) << cell_->logs();
  for (const auto& facts : {a, b}) {
    EXPECT_EQ(facts["uid"], 2000);
    EXPECT_EQ(facts["gid"], 2000);
    EXPECT_EQ(facts["cwd"], "/home/vcap/app");  // the launcher starts the app in app/
    EXPECT_EQ(facts["home"], "/home/vcap/app");
    // Its own PID namespace: the launcher's exec'd app is pid 1, and a handful of its own.
    EXPECT_EQ(facts["pids"][0], 1);
    EXPECT_LT(facts["pids"].size(), 5u) << facts["pids"];
    EXPECT_EQ(facts["visible"], nlohmann::json::array()) << facts["visible"];
    EXPECT_EQ(facts["cap_eff"], "0000000000000000");
    EXPECT_EQ(facts["no_new_privs"], "1");
    EXPECT_EQ(facts["seccomp"], "2");
    EXPECT_EQ(facts["kill_cell"], "ESRCH");      // the cell is not even visible
    EXPECT_EQ(facts["write_root"], "EROFS");     // read-only root file system
    EXPECT_EQ(facts["fill_disk"], "ENOSPC");     // 512 MiB against a 64 MB quota
    EXPECT_EQ(facts["fork_bomb"]["error"], "EAGAIN");  // the pids limit (64)
    EXPECT_LT(facts["fork_bomb"]["forked"].get<int>(), 64);
  }
  EXPECT_EQ(a["bind_foreign"], "EADDRINUSE");  // the router's port
  EXPECT_EQ(b["bind_foreign"], "EADDRINUSE");  // A's port, SO_REUSEPORT notwithstanding
  close(router_fd);

  // Both still serve through their ports, and the cell's own disk never filled.
  for (uint16_t port : {port_a, started_b->body["port"].get<uint16_t>()}) {
    auto r = net::perform({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
    EXPECT_EQ(r.status, 200) << r.error;
  }
}

TEST_F(ContainerCellTest, CrashesMemoryLimitAndStopWorkThroughTheContainer) {
  startCell();
  // An exit status is a crash with that status.
  postWork({lrp("ig-exit", makeDroplet("exit", "sleep 0.3; exit 3"), "process")});
  auto crash = scheduler_.waitFor("crash", "ig-exit", 30s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_EQ(crash->body["crash_reason"], "APP/PROC/WEB: Exited with status 3");

  // Past the memory limit: the kernel kills it and the cell says why.
  auto hog = lrp("ig-hog", makeDroplet("hog", "exec python3 -c 'x = bytearray(300 << 20)'"),
                 "process");
  hog.desired.memory_mb = 64;
  postWork({hog});
  crash = scheduler_.waitFor("crash", "ig-hog", 30s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_EQ(crash->body["crash_reason"], "out of memory: exceeded 64 MB");

  // Stop: an app that ignores SIGTERM is killed after the grace; nothing is left behind.
  postWork({lrp("ig-stop",
                makeDroplet("stop", "trap '' TERM; exec python3 -m http.server $PORT"))});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-stop", 30s)) << cell_->logs();
  const std::string root = dir_ + "/work/instances/ig-stop";
  EXPECT_TRUE(mountedBelow(root));
  auto r = net::sendJson("POST", repUrl() + "/v1/lrps/proc-ig-stop/instances/ig-stop/stop", "",
                         10000, sign());
  EXPECT_EQ(r.status, 202);
  ASSERT_TRUE(scheduler_.waitFor("remove", "ig-stop", 15s)) << cell_->logs();
  EXPECT_FALSE(fs::exists(root));
  EXPECT_FALSE(mountedBelow(root));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory/foundry/cell-test/ig-stop"));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/pids/foundry/cell-test/ig-stop"));
  EXPECT_EQ(state().available.memory_mb, 1024);
}

// A Docker image instead of a droplet: pulled from a real registry on loopback, run with the
// image's user and environment, served through its port; bad references and credentials are
// crash reasons that name the problem and never the password.
TEST_F(ContainerCellTest, DockerImageFromARegistryRunsWithItsUserAndEnvironment) {
  test::RegistryProcess open_registry, locked_registry({"alice", "s3cret-pw"});
  ASSERT_TRUE(open_registry.start()) << open_registry.lastError();
  ASSERT_TRUE(locked_registry.start()) << locked_registry.lastError();
  std::string layout;
  ASSERT_EQ(test::buildTestImageLayout(dir_ + "/image", &layout), "");
  const std::string image = open_registry.address() + "/test/app:v1";
  ASSERT_EQ(test::pushTestImage(layout, "v1", image), "");
  ASSERT_EQ(test::pushTestImage(layout, "big", open_registry.address() + "/test/app:big"), "");
  const std::string locked_image = locked_registry.address() + "/test/app:v1";
  ASSERT_EQ(test::pushTestImage(layout, "v1", locked_image, {.creds = "alice:s3cret-pw"}), "");
  startCell();

  auto docker = [&](const std::string& guid, const std::string& ref) {
    sched::LrpStart start = lrp(guid, "");
    start.desired.droplet_guid.clear();
    start.desired.docker_image = ref;
    // The image's own CMD only echoes; this serves its /etc with its busybox, noting who and
    // with what environment it runs first.
    start.desired.start_command =
        "busybox id > /tmp/id.txt; echo \"$FOO|$PORT|$HOME\" > /tmp/env.txt; "
        "exec busybox httpd -f -p $PORT -h /etc";
    return start;
  };
  postWork({docker("ig-docker", image)});
  auto started = scheduler_.waitFor("start", "ig-docker", 60s);
  ASSERT_TRUE(started) << cell_->logs();
  const uint16_t port = started->body["port"].get<uint16_t>();
  auto r = net::perform({.url = "http://127.0.0.1:" + std::to_string(port) + "/hello.txt"});
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello");
  // /etc/removed.txt was deleted by a later layer (a whiteout): gone from the image.
  r = net::perform({.url = "http://127.0.0.1:" + std::to_string(port) + "/removed.txt"});
  EXPECT_EQ(r.status, 404);
  const std::string tmp = dir_ + "/work/instances/ig-docker/disk/tmp/";
  EXPECT_EQ(test::readFile(tmp + "id.txt").rfind("uid=1000 gid=1000", 0), 0u)
      << test::readFile(tmp + "id.txt");  // the image's USER 1000:1000
  EXPECT_EQ(test::readFile(tmp + "env.txt"),
            "bar|" + std::to_string(port) + "|/home/vcap/app\n");  // image env, then ours

  // The locked registry with the right password, then with a wrong one.
  auto good = docker("ig-locked", locked_image);
  good.desired.docker_username = "alice";
  good.desired.docker_password = auth::Secret("s3cret-pw");
  postWork({good});
  EXPECT_TRUE(scheduler_.waitFor("start", "ig-locked", 60s)) << cell_->logs();
  auto bad = docker("ig-badpw", locked_image);
  bad.desired.docker_username = "alice";
  bad.desired.docker_password = auth::Secret("wrong-password");
  auto big = docker("ig-big", open_registry.address() + "/test/app:big");
  big.desired.disk_mb = 2;  // the image's layers hold 3 MiB of random bytes
  postWork({bad, docker("ig-missing", open_registry.address() + "/test/app:nope"), big});
  auto crash = scheduler_.waitFor("crash", "ig-badpw", 60s);
  ASSERT_TRUE(crash) << cell_->logs();
  const std::string reason = crash->body["crash_reason"];
  EXPECT_EQ(reason.rfind("Pulling image " + locked_image + " failed: unauthorized", 0), 0u)
      << reason;
  EXPECT_EQ(reason.find("wrong-password"), std::string::npos);
  EXPECT_EQ(cell_->logs().find("wrong-password"), std::string::npos);
  crash = scheduler_.waitFor("crash", "ig-missing", 60s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_NE(crash->body["crash_reason"].get<std::string>().find("image not found"),
            std::string::npos)
      << crash->body["crash_reason"];
  crash = scheduler_.waitFor("crash", "ig-big", 60s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_NE(crash->body["crash_reason"].get<std::string>().find(
                ") exceed the disk quota (2 MB)"),
            std::string::npos)
      << crash->body["crash_reason"];
  // The cell kept serving the good instance all along.
  r = net::perform({.url = "http://127.0.0.1:" + std::to_string(port) + "/hello.txt"});
  EXPECT_EQ(r.status, 200);
}

TEST_F(ContainerCellTest, RefusesToStartWithoutItsRuntimeUnlessIsolationNone) {
  test::ChildProcess cell("cell", CELL_BINARY,
                          {"--listen", "127.0.0.1:" + std::to_string(test::freeTcpPort()),
                           "--work-dir", dir_ + "/work", "--launcher", LAUNCHER_BINARY,
                           "--secrets", secrets_.dir(), "--oci-runtime", "/nonexistent/runc"},
                          dir_);
  ASSERT_TRUE(cell.start());
  for (int i = 0; i < 100 && cell.running(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(cell.running());
  EXPECT_NE(cell.logs().find("cannot run instances in containers"), std::string::npos)
      << cell.logs();
  EXPECT_NE(cell.logs().find("--isolation none"), std::string::npos);
}

}  // namespace
}  // namespace foundry::cell
