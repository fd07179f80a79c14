#include "scheduler/cell/image_process.h"

#include <sys/stat.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

bool parseId(const std::string& text, unsigned* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Field 3 (and 4) of the line of /etc/passwd or /etc/group whose first field is `name`.
bool lookUp(const std::string& file, const std::string& name, unsigned* id, unsigned* group) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream parts(line);
    std::string field;
    while (std::getline(parts, field, ':')) fields.push_back(field);
    if (fields.size() < 3 || fields[0] != name) continue;
    if (!parseId(fields[2], id)) return false;
    if (group != nullptr && (fields.size() < 4 || !parseId(fields[3], group))) return false;
    return true;
  }
  return false;
}

std::string nameOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

std::vector<std::string> imageProcessArgs(const oci::ImageConfig& image,
                                          const std::string& start_command, std::string* error) {
  if (!start_command.empty()) return {"/bin/sh", "-c", start_command};
  std::vector<std::string> args = image.entrypoint;
  args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  if (args.empty()) *error = "image has no command: it sets neither ENTRYPOINT nor CMD";
  return args;
}

bool resolveImageUser(const std::string& rootfs, const std::string& user, uid_t* uid, gid_t* gid,
                      std::string* error) {
  *uid = 0;
  *gid = 0;
  if (user.empty()) return true;
  const size_t colon = user.find(':');
  const std::string name = user.substr(0, colon);
  const std::string group = colon == std::string::npos ? "" : user.substr(colon + 1);
  unsigned id = 0, primary = 0;
  if (parseId(name, &id)) {
    *uid = id;  // a bare uid runs with group 0 unless a group is given, as Docker does
  } else if (lookUp(rootfs + "/etc/passwd", name, &id, &primary)) {
    *uid = id;
    *gid = primary;
  } else {
    *error = "image user " + name + " is not in the image's /etc/passwd";
    return false;
  }
  if (group.empty()) return true;
  unsigned group_id = 0;
  if (parseId(group, &group_id) || lookUp(rootfs + "/etc/group", group, &group_id, nullptr)) {
    *gid = group_id;
    return true;
  }
  *error = "image group " + group + " is not in the image's /etc/group";
  return false;
}

std::vector<std::string> imageEnvironment(const std::vector<std::string>& image_env,
                                          const std::vector<std::string>& instance_env) {
  std::map<std::string, std::string> merged;
  for (const auto& entry : image_env) merged[nameOf(entry)] = entry;
  for (const auto& entry : instance_env) {
    const std::string name = nameOf(entry);
    const bool image_keeps = name == "PATH" || name == "HOME" || name == "TMPDIR";
    if (image_keeps && merged.count(name) != 0) continue;
    merged[name] = entry;
  }
  std::vector<std::string> env;
  for (auto& [name, entry] : merged) env.push_back(std::move(entry));
  return env;
}

void prepareImageMountPoints(const std::string& rootfs, const std::string& working_dir) {
  std::error_code ec;
  for (const char* dir : {"proc", "dev", "sys", "tmp", "home/vcap"}) {
    fs::create_directories(fs::path(rootfs) / dir, ec);
  }
  if (!working_dir.empty()) fs::create_directories(fs::path(rootfs) / fs::path(working_dir).relative_path(), ec);
  chmod(rootfs.c_str(), 0755);
}

}  // namespace foundry::cell
