// The stager binary end to end: real system buildpacks (bash scripts, the machine's node and
// nginx), custom buildpacks, exit codes, timeout, cache reuse, and running a staged droplet.
#include "staging/common/process.h"
#include "staging/droplet/archive.h"
#include "staging/droplet/staging_info.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace foundry::staging {
namespace {
using test::readFile;

const fs::path kSource = FOUNDRY_SOURCE_DIR;

void spit(const fs::path& p, const std::string& text, bool executable = false) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  if (executable) {
    chmod(p.c_str(), 0755);
  }
}

struct StagerRun {
  int exit_code = -1;
  std::string output;  // stdout + stderr lines, in arrival order
  std::chrono::steady_clock::duration took{};
};

class StagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/stager-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StagerRun stager(std::vector<std::string> args, std::chrono::seconds limit = 60s) {
    ProcessSpec spec;
    spec.argv = {STAGER_BINARY};
    for (auto& a : args) {
      spec.argv.push_back(std::move(a));
    }
    spec.env = currentEnvironment();
    setEnv(spec.env, "TMPDIR", dir_.string());
    StagerRun run;
    auto start = std::chrono::steady_clock::now();
    auto r = runProcess(spec, start + limit, [&](const std::string& line, bool) {
      run.output += line;
      run.output += "\n";
    });
    run.took = std::chrono::steady_clock::now() - start;
    run.exit_code = r.timed_out ? -2 : r.exit_code;
    return run;
  }

  // Unpacks a droplet into dir_/<name> and returns that directory.
  fs::path unpack(const fs::path& droplet, const std::string& name) {
    fs::path out = dir_ / name;
    EXPECT_EQ(extractArchive(droplet.string(), out.string()), "");
    return out;
  }

  StagingInfo info(const fs::path& unpacked) {
    auto parsed = parseStagingInfo(readFile(unpacked / "staging_info.yml"));
    EXPECT_TRUE(parsed.has_value());
    return parsed.value_or(StagingInfo{});
  }

  // A custom buildpack folder with the given bin/ scripts (name -> bash body).
  fs::path buildpack(const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& scripts) {
    fs::path bp = dir_ / "buildpacks" / name;
    for (const auto& [script, body] : scripts) {
      spit(bp / "bin" / script, "#!/usr/bin/env bash\n" + body + "\n", true);
    }
    return bp;
  }

  fs::path app(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files) {
    fs::path a = dir_ / "apps" / name;
    fs::create_directories(a);
    for (const auto& [file, text] : files) {
      spit(a / file, text);
    }
    return a;
  }

  fs::path dir_;
};

TEST_F(StagerTest, NodeHelloIsDetectedAndStagedByTheNodejsBuildpack) {
  fs::path droplet = dir_ / "node.tgz";
  auto run = stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                     droplet.string(), "--cache", (dir_ / "cache").string(), "--result",
                     (dir_ / "result.json").string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Detected buildpack nodejs"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("No dependencies: skipping npm install"), std::string::npos);
  fs::path d = unpack(droplet, "node");
  for (const char* p : {"app/server.js", "app/package.json", "deps/0/config.yml", "profile.d",
                        "tmp", "logs", "staging_info.yml"}) {
    EXPECT_TRUE(fs::exists(d / p)) << p;
  }
  StagingInfo si = info(d);
  EXPECT_EQ(si.detected_buildpack, "nodejs");
  EXPECT_EQ(si.start_command, "node server.js");
  ASSERT_EQ(si.buildpacks.size(), 1u);
  EXPECT_EQ(si.buildpacks[0].key, "nodejs");
  EXPECT_EQ(si.buildpacks[0].version, "1.0.0");
  std::string result = readFile(dir_ / "result.json");
  EXPECT_NE(result.find("\"process_types\":{\"web\":\"node server.js\"}"), std::string::npos)
      << result;
  // The app dir itself is left alone.
  EXPECT_FALSE(fs::exists(kSource / "examples/node-hello/deps"));
}

TEST_F(StagerTest, StaticSiteIsStagedByTheStaticfileBuildpackWithAnNginxConfig) {
  fs::path droplet = dir_ / "static.tgz";
  auto run = stager({"--app", (kSource / "examples/static-site").string(), "--droplet",
                     droplet.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  fs::path d = unpack(droplet, "static");
  EXPECT_TRUE(fs::exists(d / "app/index.html"));
  EXPECT_TRUE(fs::exists(d / "app/nginx/boot.sh"));
  std::string conf = readFile(d / "app/nginx/conf/nginx.conf.template");
  EXPECT_NE(conf.find("listen {{PORT}};"), std::string::npos) << conf;
  StagingInfo si = info(d);
  EXPECT_EQ(si.detected_buildpack, "staticfile");
  EXPECT_EQ(si.start_command, "bash nginx/boot.sh");
}

TEST_F(StagerTest, NoBuildpackDetectedExits222) {
  fs::path a = app("plain", {{"README.txt", "nothing to run\n"}});
  auto run = stager({"--app", a.string(), "--droplet", (dir_ / "d.tgz").string()});
  EXPECT_EQ(run.exit_code, 222) << run.output;
  EXPECT_NE(run.output.find("None of the buildpacks detected a compatible application"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "d.tgz"));
}

TEST_F(StagerTest, CustomLegacyBuildpackFolderWithProcfileOverride) {
  fs::path bp = buildpack("legacy", {
      {"detect", "echo legacy-bp 9.9; exit 0"},
      {"compile", "echo compiling \"$1\"; echo built > \"$1/built.txt\""},
      {"release", "printf -- '---\\ndefault_process_types:\\n  web: ./release-start\\n  worker: w\\n'"},
  });
  fs::path a = app("legacy-app", {{"Procfile", "web: ./procfile-start\n"}});
  fs::path droplet = dir_ / "legacy.tgz";
  auto run = stager({"--app", a.string(), "--droplet", droplet.string(), "-b", bp.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("compiling "), std::string::npos);
  fs::path d = unpack(droplet, "legacy");
  EXPECT_EQ(readFile(d / "app/built.txt"), "built\n");
  EXPECT_FALSE(fs::exists(d / "deps/0"));  // compile path deletes deps/IDX
  EXPECT_EQ(info(d).start_command, "./procfile-start");

  // The user's command wins over the Procfile.
  auto run2 = stager({"--app", a.string(), "--droplet", droplet.string(), "-b", bp.string(),
                      "-c", "./user-start"});
  ASSERT_EQ(run2.exit_code, 0) << run2.output;
  EXPECT_EQ(info(unpack(droplet, "legacy2")).start_command, "./user-start");
}

TEST_F(StagerTest, CustomBuildpackFromANestedTgzArchive) {
  fs::path src = dir_ / "bp-src";
  spit(src / "my-buildpack-1.0/bin/detect", "#!/usr/bin/env bash\nexit 0\n", true);
  spit(src / "my-buildpack-1.0/bin/supply",
       "#!/usr/bin/env bash\nprintf 'name: archived\\nversion: 1.0\\n' > \"$3/$4/config.yml\"\n",
       true);
  spit(src / "my-buildpack-1.0/bin/finalize", "#!/usr/bin/env bash\necho finalize-args $#\n",
       true);
  spit(src / "my-buildpack-1.0/bin/release",
       "#!/usr/bin/env bash\necho 'default_process_types: {web: ./archived}'\n", true);
  fs::path tgz = dir_ / "my-buildpack.tgz";
  ASSERT_EQ(createTarGz(src.string(), tgz.string()), "");
  fs::path a = app("any", {{"x", "y"}});
  fs::path droplet = dir_ / "a.tgz";
  auto run = stager({"--app", a.string(), "--droplet", droplet.string(), "-b", tgz.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("finalize-args 5"), std::string::npos) << run.output;
  StagingInfo si = info(unpack(droplet, "a"));
  EXPECT_EQ(si.detected_buildpack, "archived");
  EXPECT_EQ(si.start_command, "./archived");
}

TEST_F(StagerTest, MultiBuildpackSuppliesDepsForTheFinalNodejsBuildpack) {
  fs::path tool = buildpack("tool", {
      {"supply", "mkdir -p \"$3/$4/bin\"; echo tool > \"$3/$4/bin/tool\"; "
                 "printf 'name: tool\\nversion: 2.0\\n' > \"$3/$4/config.yml\"; echo supplied $4"},
  });
  fs::path droplet = dir_ / "multi.tgz";
  auto run = stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                     droplet.string(), "-b", tool.string(), "-b", "nodejs"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("supplied 0"), std::string::npos);
  fs::path d = unpack(droplet, "multi");
  EXPECT_TRUE(fs::exists(d / "deps/0/bin/tool"));
  EXPECT_TRUE(fs::exists(d / "deps/1/config.yml"));
  StagingInfo si = info(d);
  EXPECT_EQ(si.detected_buildpack, "nodejs");
  ASSERT_EQ(si.buildpacks.size(), 2u);
  EXPECT_EQ(si.buildpacks[0].name, "tool");
  EXPECT_EQ(si.buildpacks[0].version, "2.0");
  EXPECT_EQ(si.start_command, "node server.js");
}

TEST_F(StagerTest, NonFinalBuildpackWithoutSupplyExits225) {
  fs::path legacy = buildpack("nosupply", {{"compile", "exit 0"}});
  auto run = stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", legacy.string(), "-b", "nodejs"});
  EXPECT_EQ(run.exit_code, 225) << run.output;
}

TEST_F(StagerTest, FailingCompileExits223) {
  fs::path bp = buildpack("broken", {{"compile", "echo 'about to fail' >&2; exit 3"},
                                     {"release", "echo ---"}});
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", bp.string()});
  EXPECT_EQ(run.exit_code, 223) << run.output;
  EXPECT_NE(run.output.find("about to fail"), std::string::npos);
  EXPECT_NE(run.output.find("Failed to compile droplet"), std::string::npos);
}

TEST_F(StagerTest, ResultJsonNamesTheBuildpackEvenWhenTheBuildFails) {
  fs::path bp = buildpack("broken", {{"compile", "exit 3"}, {"release", "echo ---"}});
  fs::path result = dir_ / "result.json";
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", bp.string(), "--result", result.string()});
  ASSERT_EQ(run.exit_code, 223) << run.output;
  std::string text = readFile(result);
  EXPECT_NE(text.find("\"exit_code\":223"), std::string::npos) << text;
  EXPECT_NE(text.find("\"buildpack_key\":\"" + bp.string() + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("Failed to compile droplet"), std::string::npos) << text;
}

TEST_F(StagerTest, FailingFinalFinalizeAlsoExits223) {
  fs::path bp = buildpack("badfinal", {{"finalize", "exit 9"}, {"release", "echo ---"}});
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", bp.string()});
  EXPECT_EQ(run.exit_code, 223) << run.output;
}

TEST_F(StagerTest, FailingOrInvalidReleaseExits224) {
  fs::path fails = buildpack("relfail", {{"compile", "exit 0"}, {"release", "exit 1"}});
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", fails.string()});
  EXPECT_EQ(run.exit_code, 224) << run.output;
  fs::path invalid = buildpack("relbad", {{"compile", "exit 0"},
                                          {"release", "echo 'default_process_types: [1, 2]'"}});
  auto run2 = stager({"--app", app("b", {{"f", "x"}}).string(), "--droplet",
                      (dir_ / "d.tgz").string(), "-b", invalid.string()});
  EXPECT_EQ(run2.exit_code, 224) << run2.output;
  EXPECT_NE(run2.output.find("release output invalid"), std::string::npos);
}

TEST_F(StagerTest, TimeoutKillsAHangingBuildpackAndItsChildren) {
  fs::path marker = dir_ / "survivor";
  fs::path bp = buildpack("hang", {
      {"compile", "echo hanging; (sleep 3; touch " + marker.string() + ") & sleep 60"},
      {"release", "echo ---"},
  });
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", bp.string(), "--timeout", "0.5"});
  EXPECT_EQ(run.exit_code, 124) << run.output;
  EXPECT_LT(run.took, 10s);
  EXPECT_NE(run.output.find("hanging"), std::string::npos);
  EXPECT_NE(run.output.find("timed out"), std::string::npos) << run.output;
  std::this_thread::sleep_for(3500ms);  // the background child would have touched it by now
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(StagerTest, BuildArtifactsCacheIsReusedOnTheNextStaging) {
  fs::path bp = buildpack("counter", {
      {"compile", "n=$(cat \"$2/count\" 2>/dev/null || echo 0); n=$((n+1)); "
                  "echo $n > \"$2/count\"; echo \"cache count $n\""},
      {"release", "echo ---"},
  });
  fs::path cache = dir_ / "cache";
  fs::path a = app("a", {{"f", "x"}});
  auto first = stager({"--app", a.string(), "--droplet", (dir_ / "1.tgz").string(), "-b",
                       bp.string(), "--cache", cache.string()});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("cache count 1"), std::string::npos);
  auto second = stager({"--app", a.string(), "--droplet", (dir_ / "2.tgz").string(), "-b",
                        bp.string(), "--cache", cache.string()});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("cache count 2"), std::string::npos) << second.output;
  EXPECT_TRUE(fs::exists(cache / "final/count"));

  // The nodejs buildpack notices its own cache too.
  fs::path node_cache = dir_ / "node-cache";
  std::string node_app = (kSource / "examples/node-hello").string();
  ASSERT_EQ(stager({"--app", node_app, "--droplet", (dir_ / "n1.tgz").string(), "--cache",
                    node_cache.string()}).exit_code, 0);
  auto again = stager({"--app", node_app, "--droplet", (dir_ / "n2.tgz").string(), "--cache",
                       node_cache.string()});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("Reusing build cache"), std::string::npos) << again.output;
}

TEST_F(StagerTest, StaleSupplyCachesAreCleanedFinalCacheKept) {
  fs::path cache = dir_ / "cache";
  fs::create_directories(cache / "final");
  fs::create_directories(cache / "0123456789abcdef");
  spit(cache / "final/keep", "k");
  fs::path bp = buildpack("noop", {{"compile", "exit 0"}, {"release", "echo ---"}});
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", bp.string(), "--cache", cache.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(cache / "final/keep"));
  EXPECT_FALSE(fs::exists(cache / "0123456789abcdef"));
}

// Runs `command` with bash -c in `cwd` as its own process group; returns the pid.
pid_t startApp(const fs::path& cwd, const std::string& command,
               const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> envs = currentEnvironment();
  for (const auto& [k, v] : env) {
    setEnv(envs, k, v);
  }
  std::vector<char*> envp;
  for (auto& e : envs) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::string dir = cwd.string();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (chdir(dir.c_str()) != 0) {
      _exit(127);
    }
    execle("/bin/bash", "bash", "-c", command.c_str(), static_cast<char*>(nullptr),
           envp.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

void stopApp(pid_t pid) {
  kill(-pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
}

std::optional<test::HttpResponse> getUntilUp(uint16_t port, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (auto r = test::httpGet(port, "app.local", "/", {}, 2s)) {
      return r;
    }
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

TEST_F(StagerTest, StagedNodeDropletRunsAndAnswersWithItsInstanceIndex) {
  fs::path droplet = dir_ / "node.tgz";
  ASSERT_EQ(stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                    droplet.string()}).exit_code, 0);
  fs::path d = unpack(droplet, "home");
  StagingInfo si = info(d);
  uint16_t port = test::freeTcpPort();
  ASSERT_NE(port, 0);
  pid_t pid = startApp(d / "app", si.start_command,
                       {{"PORT", std::to_string(port)}, {"CF_INSTANCE_INDEX", "3"},
                        {"HOME", (d / "app").string()}, {"TMPDIR", (d / "tmp").string()},
                        {"DEPS_DIR", (d / "deps").string()}});
  auto r = getUntilUp(port, 15s);
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello from node-hello instance 3\n");
}

TEST_F(StagerTest, StagedNodeDropletReadsTheIndexFromVcapApplication) {
  fs::path droplet = dir_ / "node.tgz";
  ASSERT_EQ(stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                    droplet.string()}).exit_code, 0);
  fs::path d = unpack(droplet, "home");
  uint16_t port = test::freeTcpPort();
  std::vector<std::string> env = currentEnvironment();
  pid_t pid = startApp(d / "app", info(d).start_command,
                       {{"PORT", std::to_string(port)}, {"CF_INSTANCE_INDEX", ""},
                        {"VCAP_APPLICATION", "{\"instance_index\":5,\"name\":\"node-hello\"}"}});
  auto r = getUntilUp(port, 15s);
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello from node-hello instance 5\n");
}

TEST_F(StagerTest, StagedStaticSiteServesIndexHtmlWithNginx) {
  if (access("/usr/sbin/nginx", X_OK) != 0) {
    GTEST_SKIP() << "nginx not installed";
  }
  fs::path droplet = dir_ / "static.tgz";
  ASSERT_EQ(stager({"--app", (kSource / "examples/static-site").string(), "--droplet",
                    droplet.string()}).exit_code, 0);
  fs::path d = unpack(droplet, "home");
  uint16_t port = test::freeTcpPort();
  pid_t pid = startApp(d / "app", info(d).start_command, {{"PORT", std::to_string(port)}});
  auto r = getUntilUp(port, 15s);
  std::optional<test::HttpResponse> hidden;
  if (r) {
    hidden = test::httpGet(port, "app.local", "/nginx/conf/nginx.conf", {}, 2s);
  }
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Hello from static-site"), std::string::npos);
  ASSERT_TRUE(hidden.has_value());
  EXPECT_EQ(hidden->status, 404);
}

TEST_F(StagerTest, CustomBuildpackFromAZipArchive) {
  fs::path src = dir_ / "zip-src";
  spit(src / "bin/detect", "#!/usr/bin/env bash\nexit 0\n", true);
  spit(src / "bin/compile", "#!/usr/bin/env bash\necho zipped-compile\n", true);
  spit(src / "bin/release", "#!/usr/bin/env bash\necho 'default_process_types: {web: ./z}'\n",
       true);
  fs::path zip = dir_ / "bp.zip";
  ProcessSpec spec;
  spec.argv = {"/bin/bash", "-c", "cd '" + src.string() + "' && python3 -m zipfile -c '" +
                                      zip.string() + "' bin"};
  spec.env = currentEnvironment();
  ASSERT_EQ(runProcess(spec, std::chrono::steady_clock::now() + 30s, nullptr).exit_code, 0);
  fs::path droplet = dir_ / "z.tgz";
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet", droplet.string(),
                     "-b", zip.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("zipped-compile"), std::string::npos);
  EXPECT_EQ(info(unpack(droplet, "z")).start_command, "./z");
}

TEST_F(StagerTest, BuildpackWithoutBinIsMalformed) {
  fs::path empty = dir_ / "buildpacks/empty";
  fs::create_directories(empty / "a");
  fs::create_directories(empty / "b");
  auto run = stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                     (dir_ / "d.tgz").string(), "-b", empty.string()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("does not contain a /bin dir"), std::string::npos) << run.output;
}

TEST_F(StagerTest, NodejsBuildpackRunsNpmInstallForLocalDependencies) {
  // A file: dependency: npm installs it without the registry.
  fs::path a = app("npm-app", {
      {"package.json", R"({"name":"npm-app","version":"1.0.0","scripts":{"start":"node server.js"},)"
                       R"("dependencies":{"local-lib":"file:./local-lib"}})"},
      {"server.js", "console.log(require('local-lib')());\n"},
      {"local-lib/package.json", R"({"name":"local-lib","version":"1.0.0","main":"index.js"})"},
      {"local-lib/index.js", "module.exports = () => 'from local-lib';\n"},
  });
  fs::path droplet = dir_ / "npm.tgz";
  fs::path cache = dir_ / "cache";
  auto run = stager({"--app", a.string(), "--droplet", droplet.string(), "--cache",
                     cache.string()},
                    120s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Running npm install"), std::string::npos) << run.output;
  fs::path d = unpack(droplet, "npm");
  EXPECT_TRUE(fs::exists(d / "app/node_modules/local-lib/index.js"));
  EXPECT_TRUE(fs::exists(cache / "final/node_modules"));
  EXPECT_EQ(info(d).start_command, "npm start");
}

TEST_F(StagerTest, PythonAppIsStagedAndServes) {
  fs::path a = app("py", {
      {"app.py",
       "import http.server, os\n"
       "class H(http.server.BaseHTTPRequestHandler):\n"
       "    def do_GET(self):\n"
       "        body = b'hello from python\\n'\n"
       "        self.send_response(200)\n"
       "        self.send_header('Content-Length', str(len(body)))\n"
       "        self.end_headers()\n"
       "        self.wfile.write(body)\n"
       "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n"},
      {"requirements.txt", "# no dependencies\n"},
  });
  fs::path droplet = dir_ / "py.tgz";
  auto run = stager({"--app", a.string(), "--droplet", droplet.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Detected buildpack python"), std::string::npos);
  fs::path d = unpack(droplet, "py");
  StagingInfo si = info(d);
  EXPECT_EQ(si.detected_buildpack, "python");
  EXPECT_EQ(si.start_command, "python3 app.py");
  uint16_t port = test::freeTcpPort();
  pid_t pid = startApp(d / "app", si.start_command, {{"PORT", std::to_string(port)}});
  auto r = getUntilUp(port, 15s);
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello from python\n");
}

TEST_F(StagerTest, BuildpacksSeeCfStackAndExtraEnvironment) {
  fs::path bp = buildpack("env", {{"compile", "echo \"stack=$CF_STACK foo=$FOO cwd=$(pwd)\""},
                                  {"release", "echo ---"}});
  fs::path a = app("a", {{"f", "x"}});
  auto run = stager({"--app", a.string(), "--droplet", (dir_ / "d.tgz").string(), "-b",
                     bp.string(), "--stack", "cflinuxfs5", "-e", "FOO=bar baz"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("stack=cflinuxfs5 foo=bar baz cwd="), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("/contents/app"), std::string::npos) << run.output;
  // No web process: a warning, not a failure.
  EXPECT_NE(run.output.find("No start command specified by buildpack or via Procfile."),
            std::string::npos);
}

TEST_F(StagerTest, BadArgumentsExit1) {
  EXPECT_EQ(stager({"--app"}).exit_code, 1);
  EXPECT_EQ(stager({"--bogus"}).exit_code, 1);
  EXPECT_EQ(stager({"--app", (dir_ / "missing").string(), "--droplet",
                    (dir_ / "d.tgz").string()}).exit_code, 1);
  EXPECT_EQ(stager({"--app", app("a", {{"f", "x"}}).string(), "--droplet",
                    (dir_ / "d.tgz").string(), "--timeout", "soon"}).exit_code, 1);
  EXPECT_EQ(stager({"--help"}).exit_code, 0);
}

TEST_F(StagerTest, LauncherRunsTheDropletWithProfileScriptsAndItsEnvironment) {
  fs::path droplet = dir_ / "node.tgz";
  ASSERT_EQ(stager({"--app", (kSource / "examples/node-hello").string(), "--droplet",
                    droplet.string()}).exit_code, 0);
  fs::path d = unpack(droplet, "home");
  // A droplet-level profile.d script runs before the start command (A8).
  spit(d / "profile.d/00-test.sh", "export CF_INSTANCE_INDEX=7\n");
  fs::path launcher = fs::path(STAGER_BINARY).parent_path() / "launcher";
  uint16_t port = test::freeTcpPort();
  // cwd = droplet root; empty command: staging_info.yml's start_command is used.
  pid_t pid = startApp(d, "exec '" + launcher.string() + "' app '' ''",
                       {{"PORT", std::to_string(port)}, {"INSTANCE_INDEX", "1"}});
  auto r = getUntilUp(port, 15s);
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello from node-hello instance 7\n");

  // Without a profile override the index comes from VCAP_APPLICATION, which the launcher
  // fills in from INSTANCE_INDEX.
  fs::remove(d / "profile.d/00-test.sh");
  port = test::freeTcpPort();
  pid = startApp(d, "exec '" + launcher.string() + "' app '' ''",
                 {{"PORT", std::to_string(port)}, {"INSTANCE_INDEX", "4"},
                  {"CF_INSTANCE_INDEX", ""}});
  r = getUntilUp(port, 15s);
  stopApp(pid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello from node-hello instance 4\n");
}

TEST_F(StagerTest, LauncherWithoutAnyCommandExits1) {
  fs::path root = dir_ / "empty-droplet";
  fs::create_directories(root / "app");
  fs::path launcher = fs::path(STAGER_BINARY).parent_path() / "launcher";
  ProcessSpec spec;
  spec.argv = {launcher.string(), "app", "", ""};
  spec.cwd = root.string();
  spec.env = currentEnvironment();
  std::string out;
  auto r = runProcess(spec, std::chrono::steady_clock::now() + 10s,
                      [&](const std::string& l, bool) { out += l; });
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(out.find("no start command specified or detected in droplet"), std::string::npos);
}

TEST_F(StagerTest, CacheTravelsAsAnArchiveBetweenStagings) {
  fs::path bp = buildpack("counter", {
      {"compile", "n=$(cat \"$2/count\" 2>/dev/null || echo 0); n=$((n+1)); "
                  "echo $n > \"$2/count\"; echo \"cache count $n\""},
      {"release", "echo ---"},
  });
  fs::path a = app("a", {{"f", "x"}});
  fs::path tgz = dir_ / "cache1.tgz";
  // First staging: no previous cache archive yet (a missing input is fine).
  auto first = stager({"--app", a.string(), "--droplet", (dir_ / "1.tgz").string(), "-b",
                       bp.string(), "--input-cache", (dir_ / "none.tgz").string(),
                       "--output-cache", tgz.string()});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(tgz));
  // Second staging on another "machine": fresh cache dir, cache comes from the archive.
  auto second = stager({"--app", a.string(), "--droplet", (dir_ / "2.tgz").string(), "-b",
                        bp.string(), "--cache", (dir_ / "elsewhere").string(), "--input-cache",
                        tgz.string(), "--output-cache", (dir_ / "cache2.tgz").string()});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("cache count 2"), std::string::npos) << second.output;
  fs::path c2 = unpack(dir_ / "cache2.tgz", "c2");
  EXPECT_EQ(readFile(c2 / "final/count"), "2\n");
}

}  // namespace
}  // namespace foundry::staging
