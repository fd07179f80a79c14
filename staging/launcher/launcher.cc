#include "staging/launcher/launcher.h"

#include "staging/common/process.h"
#include "staging/droplet/staging_info.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace foundry::staging {
namespace {

const std::string* findEnv(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  for (const auto& e : env) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      return &e;
    }
  }
  return nullptr;
}

std::string envValue(const std::vector<std::string>& env, const std::string& name) {
  const std::string* e = findEnv(env, name);
  return e ? e->substr(name.size() + 1) : "";
}

}  // namespace

std::string launchCommand(const std::string& argv_command, const std::string& staging_info_text) {
  if (!argv_command.empty()) {
    return argv_command;
  }
  auto info = parseStagingInfo(staging_info_text);
  return info ? info->start_command : "";
}

std::string calcLaunchEnv(std::vector<std::string>& env, const std::string& app_dir) {
  std::string parent = app_dir;
  while (parent.size() > 1 && parent.back() == '/') {
    parent.pop_back();
  }
  std::string root = parent.substr(0, parent.rfind('/'));
  if (root.empty()) {
    root = "/";
  }
  setEnv(env, "HOME", parent);
  setEnv(env, "TMPDIR", (root == "/" ? "" : root) + "/tmp");
  setEnv(env, "DEPS_DIR", (root == "/" ? "" : root) + "/deps");

  std::string vcap = envValue(env, "VCAP_APPLICATION");
  nlohmann::json app = nlohmann::json::object();
  if (!vcap.empty()) {
    try {
      app = nlohmann::json::parse(vcap);
    } catch (const nlohmann::json::exception& e) {
      return std::string("invalid VCAP_APPLICATION: ") + e.what();
    }
    if (!app.is_object()) {
      return "invalid VCAP_APPLICATION: not a JSON object";
    }
  }
  app["host"] = "0.0.0.0";
  app["instance_id"] = envValue(env, "INSTANCE_GUID");
  auto asInt = [&](const std::string& name) -> nlohmann::json {
    std::string v = envValue(env, name);
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') {
      return nullptr;
    }
    return n;
  };
  if (auto port = asInt("PORT"); !port.is_null()) {
    app["port"] = port;
  }
  if (auto index = asInt("INSTANCE_INDEX"); !index.is_null()) {
    app["instance_index"] = index;
  }
  setEnv(env, "VCAP_APPLICATION", app.dump());
  return "";
}

const char* launchScript() {
  return R"SH(cd "$1"
echo "Invoking pre-start scripts."
if [ -n "$(ls ../profile.d/* 2> /dev/null)" ]; then
  for env_file in ../profile.d/*; do
    source "$env_file"
  done
fi
if [ -n "$(ls .profile.d/* 2> /dev/null)" ]; then
  for env_file in .profile.d/*; do
    source "$env_file"
  done
fi
if [ -f .profile ]; then
  source .profile
fi
shift
echo "Invoking start command."
exec bash -c "$@"
)SH";
}

}  // namespace foundry::staging
