#include "control/staging/docker_staging.h"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/log/log.h"
#include "common/oci/image_ref.h"
#include "common/oci/registry_client.h"
#include "common/text/shell_word.h"
#include "control/staging/staging_errors.h"

namespace foundry::control {
namespace {

using nlohmann::json;

std::string megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

std::string dockerExecutionMetadata(const oci::ImageConfig& image) {
  json ports = json::array();
  for (int port : image.exposed_ports) ports.push_back({{"Port", port}, {"Protocol", "tcp"}});
  json meta = {{"cmd", image.cmd},
               {"entrypoint", image.entrypoint},
               {"workdir", image.working_dir},
               {"user", image.user},
               {"ports", std::move(ports)}};
  return meta.dump();
}

std::string dockerStartCommand(const oci::ImageConfig& image) {
  std::string command;
  auto append = [&](const std::vector<std::string>& words) {
    for (const auto& w : words) command += (command.empty() ? "" : " ") + text::shellWord(w);
  };
  append(image.entrypoint);
  append(image.cmd);
  return command;
}

StagingResult stageDockerImage(const StagingTask& task,
                               const std::function<void(const std::string&)>& say) {
  StagingResult result;
  result.build_guid = task.build_guid;
  result.app_guid = task.app_guid;
  auto fail = [&](const std::string& detail) {
    result.ok = false;
    result.exit_code = 1;
    result.error = stagingErrorFor(1, detail);
    say("Staging failed: " + detail);
    log::warn("controller", "staging-failed",
              {{"build", task.build_guid}, {"app", task.app_guid}, {"error", result.error}});
    return result;
  };
  if (!task.docker) return fail("not a docker package");
  const DockerSource& source = *task.docker;

  oci::ImageRef ref;
  if (std::string err = oci::parseImageRef(source.image, &ref); !err.empty()) {
    return fail("invalid docker image reference: " + err);
  }
  say("Staging docker image " + source.image);
  oci::RegistryClientOptions options;
  options.credentials = {source.username, source.password};
  oci::RegistryClient registry(options);
  oci::ImageConfig image;
  if (std::string err = registry.pullConfig(ref, &image); !err.empty()) {
    return fail("cannot fetch the docker image " + source.image + ": " + err);
  }
  oci::ImageRef pinned = ref;
  pinned.digest = image.manifest_digest;
  uint64_t size = 0;
  for (const auto& layer : image.layers) size += layer.size;
  say("Image " + pinned.str() + ": " + std::to_string(image.layers.size()) + " layers, " +
      megabytes(size));

  const std::string start = dockerStartCommand(image);
  if (start.empty() && task.web_command.empty()) {
    return fail("the docker image " + source.image +
                " has no command (neither ENTRYPOINT nor CMD) and the app sets none");
  }
  if (!start.empty()) say("Start command: " + start);
  if (!image.exposed_ports.empty()) {
    say("Exposed port " + std::to_string(image.exposed_ports.front()) +
        " (the app is still given PORT and must listen on it)");
  }
  result.ok = true;
  result.exit_code = 0;
  result.docker_image = pinned.str();
  result.execution_metadata = dockerExecutionMetadata(image);
  result.process_types = {{"web", start}};
  result.start_command = start;
  say("Staging complete");
  return result;
}

}  // namespace foundry::control
