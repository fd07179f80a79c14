#pragma once
// Staging a docker package (Diego's docker app lifecycle builder): nothing is built or run.
// The image's manifest and config are fetched from its registry (an index resolved to
// linux/amd64, Basic or token auth), the reference is pinned to the manifest's digest so
// every instance runs the same image, and what the config says about starting it (entrypoint,
// cmd, user, working directory, exposed ports) becomes the droplet's execution metadata and
// its web process type. Blocking: runs on a staging worker thread.
#include <functional>
#include <string>

#include "common/oci/image_config.h"
#include "control/staging/staging_backend.h"

namespace foundry::control {

// `say` gets each line of staging output (the app's STG log).
StagingResult stageDockerImage(const StagingTask& task,
                               const std::function<void(const std::string&)>& say);

// CC's execution_metadata of a docker droplet: {"cmd","entrypoint","workdir","user","ports":
// [{"Port":8080,"Protocol":"tcp"}]}.
std::string dockerExecutionMetadata(const oci::ImageConfig& image);

// The image's start command as one line (entrypoint then cmd, words quoted for /bin/sh where
// needed): the droplet's web process type. "" when the image names none.
std::string dockerStartCommand(const oci::ImageConfig& image);

}  // namespace foundry::control
