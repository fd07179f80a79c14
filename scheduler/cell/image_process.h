#pragma once
// How a Docker image's process runs in its container (Diego's docker lifecycle): the image's
// entrypoint and cmd (or the app's own start command through /bin/sh -c), its user (name
// looked up in the image's /etc/passwd, or uid[:gid]; root when unset: an unprivileged host
// user all the same, through the user namespace), its working directory, its environment
// with the platform's variables on top.
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/oci/image_config.h"

namespace foundry::cell {

// argv for the image: "" and the error "image has no command" when neither the app nor the
// image says what to run.
std::vector<std::string> imageProcessArgs(const oci::ImageConfig& image,
                                          const std::string& start_command, std::string* error);

// The image's USER resolved against the root filesystem; false with `error` when unknown.
bool resolveImageUser(const std::string& rootfs, const std::string& user, uid_t* uid, gid_t* gid,
                      std::string* error);

// The image's environment, then the instance's ("NAME=value") on top, except PATH, HOME and
// TMPDIR, which the image keeps when it sets them (its binaries live on its own PATH).
std::vector<std::string> imageEnvironment(const std::vector<std::string>& image_env,
                                          const std::vector<std::string>& instance_env);

// Creates the directories the container mounts onto (and the working directory) in the
// image's root filesystem: runc, inside the user namespace, may not create them there.
void prepareImageMountPoints(const std::string& rootfs, const std::string& working_dir);

}  // namespace foundry::cell
