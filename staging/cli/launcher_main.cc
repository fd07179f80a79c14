// launcher APP_DIR START_COMMAND METADATA: runs a droplet's start command from the droplet root
// (the cwd), like buildpackapplifecycle's launcher (staging/README.md, A8).
#include "staging/launcher/launcher.h"

#include "staging/common/process.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

int main(int argc, char** argv) {
  using namespace foundry::staging;
  if (argc < 4) {
    std::fprintf(stderr, "usage: launcher <app directory> <start command> <metadata>\n");
    return kLauncherUsage;
  }
  std::ifstream in("staging_info.yml");
  std::stringstream info;
  info << in.rdbuf();
  std::string command = launchCommand(argv[2], info.str());
  if (command.empty()) {
    std::fprintf(stderr, "launcher: no start command specified or detected in droplet\n");
    return kLauncherUsage;
  }
  char resolved[PATH_MAX];
  if (!realpath(argv[1], resolved)) {
    std::fprintf(stderr, "launcher: invalid app directory %s: %s\n", argv[1],
                 std::strerror(errno));
    return kLauncherEnvFail;
  }
  std::vector<std::string> env = currentEnvironment();
  std::string err = calcLaunchEnv(env, resolved);
  if (!err.empty()) {
    std::fprintf(stderr, "launcher: %s\n", err.c_str());
    return kLauncherEnvFail;
  }
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  const char* args[] = {"bash", "-c", launchScript(), "launcher", resolved, command.c_str(),
                        nullptr};
  execve("/bin/bash", const_cast<char**>(args), envp.data());
  std::fprintf(stderr, "launcher: exec /bin/bash: %s\n", std::strerror(errno));
  return kLauncherExecFail;
}
