// stager: stages an app directory into a droplet with buildpacks (see staging/README.md).
#include "staging/builder/builder.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: stager --app DIR --droplet OUT.tgz [options]\n"
               "  -b, --buildpack NAME|DIR|ARCHIVE  named buildpack (repeat for multi-buildpack;\n"
               "                                    none given: detect over system buildpacks)\n"
               "  --cache DIR                       build-artifacts cache, reused next time\n"
               "  --input-cache TGZ                 previous cache archive, extracted first (may be missing)\n"
               "  --output-cache TGZ                write the cache dir as a .tgz after staging\n"
               "  --result FILE                     write result.json\n"
               "  -c, --start-command CMD           user start command (wins over Procfile)\n"
               "  --timeout SECONDS                 staging timeout (default 900)\n"
               "  --system-buildpacks DIR           system buildpacks (default: %s)\n"
               "  --stack NAME                      CF_STACK for buildpacks (default cflinuxfs4)\n"
               "  -e, --env NAME=VALUE              extra staging environment variable\n"
               "  --env-file FILE                   more of them, as a JSON object (keeps secrets\n"
               "                                    such as VCAP_SERVICES out of the argument list)\n"
               "exit codes: 0 ok, 222 none detected, 223 compile failed, 224 release failed,\n"
               "            225 supply failed, 124 timed out, 1 other errors\n",
               foundry::staging::defaultSystemBuildpacksDir().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  foundry::staging::StagingConfig config;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "stager: %s needs a value\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--app") {
      config.app_dir = value();
    } else if (a == "--droplet") {
      config.output_droplet = value();
    } else if (a == "-b" || a == "--buildpack") {
      config.buildpacks.push_back(value());
    } else if (a == "--cache") {
      config.cache_dir = value();
    } else if (a == "--input-cache") {
      config.input_cache = value();
    } else if (a == "--output-cache") {
      config.output_cache = value();
    } else if (a == "--result") {
      config.output_metadata = value();
    } else if (a == "-c" || a == "--start-command") {
      config.start_command = value();
    } else if (a == "--timeout") {
      std::string v = value();
      char* end = nullptr;
      double secs = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || secs <= 0) {
        std::fprintf(stderr, "stager: bad --timeout %s\n", v.c_str());
        return 1;
      }
      config.timeout = std::chrono::milliseconds(static_cast<long long>(secs * 1000));
    } else if (a == "--system-buildpacks") {
      config.system_buildpacks_dir = value();
    } else if (a == "--stack") {
      config.stack = value();
    } else if (a == "-e" || a == "--env") {
      std::string kv = value();
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "stager: bad --env %s (want NAME=VALUE)\n", kv.c_str());
        return 1;
      }
      config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--env-file") {
      std::ifstream in(value());
      std::stringstream text;
      text << in.rdbuf();
      auto env = nlohmann::json::parse(text.str(), nullptr, false);
      if (!in || !env.is_object()) {
        std::fprintf(stderr, "stager: bad --env-file (want a JSON object)\n");
        return 1;
      }
      for (const auto& [k, v] : env.items()) {
        if (k.empty() || !v.is_string()) continue;
        config.env.emplace_back(k, v.get<std::string>());
      }
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "stager: unknown argument %s\n", a.c_str());
      usage();
      return 1;
    }
  }
  if (config.app_dir.empty() || config.output_droplet.empty()) {
    usage();
    return 1;
  }
  auto outcome = foundry::staging::stage(config, [](const std::string& line, bool is_stderr) {
    FILE* f = is_stderr ? stderr : stdout;
    std::fwrite(line.data(), 1, line.size(), f);
    std::fputc('\n', f);
    std::fflush(f);
  });
  if (outcome.exit_code == 0) {
    std::printf("start command: %s\n", outcome.info.start_command.c_str());
  }
  return outcome.exit_code;
}
