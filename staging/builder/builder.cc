#include "staging/builder/builder.h"

#include "staging/buildpack/buildpack.h"
#include "staging/droplet/archive.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace fs = std::filesystem;

namespace foundry::staging {
namespace {

#ifndef STAGING_SYSTEM_BUILDPACKS_DIR
#define STAGING_SYSTEM_BUILDPACKS_DIR "staging/buildpacks"
#endif

using Clock = std::chrono::steady_clock;

std::string readFile(const fs::path& p, bool* exists = nullptr) {
  std::ifstream in(p, std::ios::binary);
  if (exists) {
    *exists = static_cast<bool>(in);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool writeFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string trimEol(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

// Error carried out of a stage step: exit code + message.
struct Failure {
  int code = kExitOk;
  std::string message;
  explicit operator bool() const { return code != kExitOk; }
};

class Builder {
 public:
  Builder(const StagingConfig& config, const LineCallback& output)
      : config_(config), output_(output), deadline_(Clock::now() + config.timeout) {}

  ~Builder() {
    std::error_code ec;
    if (!work_.empty()) {
      fs::remove_all(work_, ec);
    }
  }

  StagingOutcome run() {
    StagingOutcome outcome;
    Failure f = runSteps(outcome);
    outcome.exit_code = f.code;
    outcome.error = f.message;
    if (f) {
      say("Staging failed: " + f.message + " (exit status " + std::to_string(f.code) + ")");
      // A4.7: after detection the result still names the buildpacks.
      if (!buildpacks_.empty() && outcome.info.buildpacks.empty()) {
        metadata(outcome.info);
      }
    }
    writeResult(outcome);
    return outcome;
  }

 private:
  void say(const std::string& line) {
    if (output_) {
      output_(line, false);
    }
  }

  Failure runSteps(StagingOutcome& outcome) {
    if (Failure f = setup()) {
      return f;
    }
    if (Failure f = chooseBuildpacks()) {
      return f;
    }
    if (Failure f = supplyAll()) {
      return f;
    }
    if (Failure f = finalize()) {
      return f;
    }
    if (Failure f = processTypes(outcome.process_types)) {
      return f;
    }
    metadata(outcome.info);
    outcome.info.start_command = chooseStartCommand(config_.start_command, outcome.process_types);
    if (outcome.info.start_command.empty()) {
      say("No start command specified by buildpack or via Procfile.");
      say("App will not start unless a command is provided at runtime.");
    }
    return package(outcome.info);
  }

  Failure setup() {
    std::error_code ec;
    if (!fs::is_directory(config_.app_dir, ec)) {
      return {kExitOther, "app directory not found: " + config_.app_dir};
    }
    if (config_.output_droplet.empty()) {
      return {kExitOther, "no output droplet path given"};
    }
    std::string tmp = config_.temp_dir;
    if (tmp.empty()) {
      const char* t = std::getenv("TMPDIR");
      tmp = t && *t ? t : "/tmp";
    }
    std::string templ = (fs::path(tmp) / "staging-XXXXXX").string();
    if (!mkdtemp(templ.data())) {
      return {kExitOther, "cannot create a work dir under " + tmp};
    }
    work_ = templ;
    contents_ = work_ / "contents";
    build_dir_ = contents_ / "app";
    deps_dir_ = contents_ / "deps";
    profile_dir_ = contents_ / "profile.d";
    fs::create_directories(deps_dir_, ec);
    fs::create_directories(profile_dir_, ec);
    fs::create_directories(work_ / "buildpackdownloads", ec);
    fs::copy(config_.app_dir, build_dir_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
      return {kExitOther, "cannot copy the app: " + ec.message()};
    }
    if (config_.cache_dir.empty()) {
      cache_dir_ = work_ / "cache";
    } else {
      cache_dir_ = fs::absolute(config_.cache_dir);
    }
    fs::create_directories(cache_dir_, ec);
    if (ec) {
      return {kExitOther, "cannot create the cache dir: " + ec.message()};
    }
    if (!config_.input_cache.empty() && fs::exists(config_.input_cache, ec)) {
      std::string err = extractArchive(config_.input_cache, cache_dir_.string());
      if (!err.empty()) {
        say("Warning: ignoring the previous build cache: " + err);
      }
    }
    system_dir_ = config_.system_buildpacks_dir.empty() ? defaultSystemBuildpacksDir()
                                                         : config_.system_buildpacks_dir;
    env_ = currentEnvironment();
    setEnv(env_, "CF_STACK", config_.stack);
    for (const auto& [k, v] : config_.env) {
      setEnv(env_, k, v);
    }
    return {};
  }

  Failure resolve(const std::string& spec, Buildpack* bp) {
    std::string err = resolveBuildpack(spec, system_dir_, (work_ / "buildpackdownloads").string(),
                                       bp);
    if (!err.empty()) {
      return {kExitOther, err};
    }
    return {};
  }

  // Runs bin/<script>; captured stdout lands in *captured when non-null.
  Failure script(const Buildpack& bp, const std::string& name, std::vector<std::string> args,
                 int* exit_code, std::string* captured = nullptr) {
    fs::path path = fs::path(bp.dir) / "bin" / name;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0111) != 0111) {
      say("WARNING: buildpack script '/bin/" + name + "' is not executable");
    }
    ProcessSpec spec;
    spec.argv.push_back(path.string());
    for (auto& a : args) {
      spec.argv.push_back(std::move(a));
    }
    spec.cwd = build_dir_.string();
    spec.env = env_;
    spec.capture_stdout = captured != nullptr;
    ProcessResult r = runProcess(spec, deadline_, output_);
    if (captured) {
      *captured = r.stdout_text;
    }
    if (r.timed_out) {
      auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count();
      return {kExitTimedOut, "Staging timed out after " + std::to_string(secs) + " ms (bin/" +
                                 name + " of " + bp.key + " killed)"};
    }
    if (r.start_failed) {
      return {kExitOther, "cannot run bin/" + name + ": " + r.error};
    }
    *exit_code = r.exit_code;
    return {};
  }

  bool hasScript(const Buildpack& bp, const std::string& name) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(bp.dir) / "bin" / name, ec);
  }

  Failure chooseBuildpacks() {
    if (!config_.buildpacks.empty()) {
      skip_detect_ = true;
      for (const auto& spec : config_.buildpacks) {
        Buildpack bp;
        if (Failure f = resolve(spec, &bp)) {
          return f;
        }
        buildpacks_.push_back(bp);
      }
      return {};
    }
    auto order = systemBuildpackOrder(system_dir_);
    for (const auto& name : order) {
      Buildpack bp;
      if (Failure f = resolve(name, &bp)) {
        return f;
      }
      int code = 0;
      std::string out;
      if (Failure f = script(bp, "detect", {build_dir_.string()}, &code, &out)) {
        return f;
      }
      if (code == 0) {
        detect_output_ = trimEol(out);
        say("-----> Detected buildpack " + bp.key +
            (detect_output_.empty() ? "" : " (" + detect_output_ + ")"));
        buildpacks_.push_back(bp);
        return {};
      }
    }
    return {kExitDetectFail, "None of the buildpacks detected a compatible application"};
  }

  std::string idx(size_t i) const { return depsIndex(i, buildpacks_.size()); }

  Failure supplyAll() {
    cleanCache();
    for (size_t i = 0; i + 1 < buildpacks_.size(); ++i) {
      const Buildpack& bp = buildpacks_[i];
      if (!hasScript(bp, "supply")) {
        return {kExitSupplyFail,
                "Error: one of the buildpacks chosen to supply dependencies does not support "
                "multi-buildpack apps"};
      }
      fs::path cache = cache_dir_ / cacheKeyDir(bp.key);
      std::error_code ec;
      fs::create_directories(cache, ec);
      fs::create_directories(deps_dir_ / idx(i), ec);
      say("-----> Running supply of " + bp.key);
      int code = 0;
      if (Failure f = script(bp, "supply",
                             {build_dir_.string(), cache.string(), deps_dir_.string(), idx(i)},
                             &code)) {
        return f;
      }
      if (code != 0) {
        return {kExitSupplyFail, "Failed to run all supply scripts: exit status " +
                                     std::to_string(code) + " from " + bp.key};
      }
    }
    return {};
  }

  // Deletes cache subdirs that belong to no buildpack of this staging (A3 cleanCacheDir).
  void cleanCache() {
    std::set<std::string> keep{"final"};
    for (size_t i = 0; i + 1 < buildpacks_.size(); ++i) {
      keep.insert(cacheKeyDir(buildpacks_[i].key));
    }
    std::error_code ec;
    std::vector<fs::path> doomed;
    for (const auto& e : fs::directory_iterator(cache_dir_, ec)) {
      if (!keep.count(e.path().filename().string())) {
        doomed.push_back(e.path());
      }
    }
    for (const auto& p : doomed) {
      fs::remove_all(p, ec);
    }
  }

  Failure finalize() {
    const Buildpack& bp = buildpacks_.back();
    size_t i = buildpacks_.size() - 1;
    std::string index = idx(i);
    fs::path cache = cache_dir_ / "final";
    std::error_code ec;
    fs::create_directories(cache, ec);
    fs::create_directories(deps_dir_ / index, ec);
    int code = 0;
    auto compileFail = [&](const std::string& what) -> Failure {
      return {kExitCompileFail, "Failed to compile droplet: " + what + " exited with status " +
                                    std::to_string(code)};
    };
    if (hasScript(bp, "finalize")) {
      if (hasScript(bp, "supply")) {
        say("-----> Running supply of " + bp.key);
        if (Failure f = script(bp, "supply",
                               {build_dir_.string(), cache.string(), deps_dir_.string(), index},
                               &code)) {
          return f;
        }
        if (code != 0) {
          return compileFail("supply script");  // A4 quirk: 223, not 225
        }
      }
      say("-----> Running finalize of " + bp.key);
      if (Failure f = script(bp, "finalize",
                             {build_dir_.string(), cache.string(), deps_dir_.string(), index,
                              profile_dir_.string()},
                             &code)) {
        return f;
      }
      if (code != 0) {
        return compileFail("finalize script");  // A4 quirk: 223, not 226
      }
      return {};
    }
    if (!hasScript(bp, "compile")) {
      return {kExitCompileFail,
              "Failed to compile droplet: buildpack " + bp.key + " has neither bin/finalize nor bin/compile"};
    }
    if (buildpacks_.size() > 1) {
      say("Warning: the last buildpack is not compatible with multi-buildpack apps and cannot "
          "make use of any dependencies supplied by the buildpacks specified before it");
    }
    fs::remove_all(deps_dir_ / index, ec);
    say("-----> Running compile of " + bp.key);
    if (Failure f = script(bp, "compile", {build_dir_.string(), cache.string()}, &code)) {
      return f;
    }
    if (code != 0) {
      return compileFail("compile script");
    }
    return {};
  }

  Failure processTypes(ProcessTypes& types) {
    // Supply buildpacks' launch.yml (looked up with the unpadded index, A3 quirk).
    for (size_t i = 0; i + 1 < buildpacks_.size(); ++i) {
      bool exists = false;
      std::string text = readFile(deps_dir_ / std::to_string(i) / "launch.yml", &exists);
      if (exists) {
        if (auto t = parseLaunchYml(text)) {
          mergeProcessTypes(types, *t);
        }
      }
    }
    const Buildpack& bp = buildpacks_.back();
    bool exists = false;
    std::string launch =
        readFile(deps_dir_ / std::to_string(buildpacks_.size() - 1) / "launch.yml", &exists);
    if (exists) {
      if (auto t = parseLaunchYml(launch)) {
        mergeProcessTypes(types, *t);
      }
    } else {
      if (!hasScript(bp, "release")) {
        return {kExitReleaseFail, "Failed to build droplet release: " + bp.key +
                                      " has no bin/release"};
      }
      int code = 0;
      std::string out;
      if (Failure f = script(bp, "release", {build_dir_.string()}, &code, &out)) {
        return f;
      }
      if (code != 0) {
        return {kExitReleaseFail, "Failed to build droplet release: bin/release exited with status " +
                                      std::to_string(code)};
      }
      auto release = parseReleaseYaml(out);
      if (!release) {
        return {kExitReleaseFail,
                "Failed to build droplet release: buildpack's release output invalid"};
      }
      mergeProcessTypes(types, *release);
    }
    std::string procfile = readFile(build_dir_ / "Procfile", &exists);
    if (exists) {
      auto p = parseProcfile(procfile);
      if (!p) {
        return {kExitOther, "Failed to read command from Procfile: invalid YAML"};
      }
      mergeProcessTypes(types, *p);
    }
    return {};
  }

  void metadata(StagingInfo& info) {
    for (size_t i = 0; i < buildpacks_.size(); ++i) {
      BuildpackRecord rec;
      rec.key = buildpacks_[i].key;
      bool exists = false;
      std::string text = readFile(deps_dir_ / idx(i) / "config.yml", &exists);
      if (exists) {
        try {
          YAML::Node doc = YAML::Load(text);
          if (doc.IsMap()) {
            if (doc["name"] && doc["name"].IsScalar()) {
              rec.name = doc["name"].as<std::string>();
            }
            if (doc["version"] && doc["version"].IsScalar()) {
              rec.version = doc["version"].as<std::string>();
            }
          }
        } catch (const YAML::Exception&) {
        }
      }
      if (rec.name.empty() && !skip_detect_ && i + 1 == buildpacks_.size()) {
        rec.name = detect_output_;
      }
      if (rec.name.empty()) {
        rec.name = rec.key;
      }
      info.buildpacks.push_back(rec);
    }
    info.detected_buildpack = info.buildpacks.back().name;
  }

  Failure package(const StagingInfo& info) {
    std::error_code ec;
    fs::create_directories(contents_ / "tmp", ec);
    fs::create_directories(contents_ / "logs", ec);
    if (!writeFile(contents_ / "staging_info.yml", stagingInfoToJson(info))) {
      return {kExitOther, "cannot write staging_info.yml"};
    }
    fs::path out = fs::absolute(config_.output_droplet);
    fs::create_directories(out.parent_path(), ec);
    fs::path partial = out;
    partial += ".partial";
    std::string err = createTarGz(contents_.string(), partial.string());
    if (!err.empty()) {
      fs::remove(partial, ec);
      return {kExitOther, "cannot write the droplet: " + err};
    }
    fs::rename(partial, out, ec);
    if (ec) {
      return {kExitOther, "cannot write the droplet: " + ec.message()};
    }
    say("-----> Droplet written to " + out.string());
    if (!config_.output_cache.empty()) {
      fs::path cache_out = fs::absolute(config_.output_cache);
      fs::create_directories(cache_out.parent_path(), ec);
      fs::path cache_partial = cache_out;
      cache_partial += ".partial";
      err = createTarGz(cache_dir_.string(), cache_partial.string());
      if (!err.empty()) {
        fs::remove(cache_partial, ec);
        return {kExitOther, "cannot write the build cache: " + err};
      }
      fs::rename(cache_partial, cache_out, ec);
      if (ec) {
        return {kExitOther, "cannot write the build cache: " + ec.message()};
      }
    }
    return {};
  }

  void writeResult(const StagingOutcome& outcome) {
    if (config_.output_metadata.empty()) {
      return;
    }
    nlohmann::json bps = nlohmann::json::array();
    for (const auto& bp : outcome.info.buildpacks) {
      bps.push_back({{"key", bp.key}, {"name", bp.name}, {"version", bp.version}});
    }
    nlohmann::json j;
    j["lifecycle_metadata"] = {
        {"buildpack_key", buildpacks_.empty() ? "" : buildpacks_.back().key},
        {"detected_buildpack", outcome.info.detected_buildpack},
        {"buildpacks", bps}};
    j["process_types"] = outcome.process_types;
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& [type, command] : outcome.process_types) {
      processes.push_back({{"type", type}, {"command", command}});
    }
    if (!processes.empty()) {
      j["processes"] = processes;
    }
    j["execution_metadata"] = "";
    j["lifecycle_type"] = "buildpack";
    j["start_command"] = outcome.info.start_command;
    j["exit_code"] = outcome.exit_code;
    if (outcome.exit_code != 0) {
      j["error"] = outcome.error;
    }
    writeFile(config_.output_metadata, j.dump() + "\n");
  }

  const StagingConfig& config_;
  const LineCallback& output_;
  Clock::time_point deadline_;
  fs::path work_, contents_, build_dir_, deps_dir_, profile_dir_, cache_dir_;
  std::string system_dir_;
  std::vector<std::string> env_;
  std::vector<Buildpack> buildpacks_;
  bool skip_detect_ = false;
  std::string detect_output_;
};

}  // namespace

std::string defaultSystemBuildpacksDir() { return STAGING_SYSTEM_BUILDPACKS_DIR; }

StagingOutcome stage(const StagingConfig& config, const LineCallback& output) {
  Builder builder(config, output);
  return builder.run();
}

}  // namespace foundry::staging
