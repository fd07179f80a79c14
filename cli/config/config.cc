#include "cli/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace foundry::cli {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path configDirectory() {
  if (const char* home = std::getenv("FOUNDRY_HOME"); home && *home) return home;
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".foundry";
  return ".foundry";
}

fs::path configFile() { return configDirectory() / "config.json"; }

Result<Config> loadConfig() {
  Config config;
  const fs::path path = configFile();
  std::ifstream in(path);
  if (!in) return Result<Config>::ok(config);
  // Tokens live here: nobody but the owner may read it (files from older versions were 0644).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    ::chmod(path.c_str(), 0600);
  }
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Result<Config>::fail(
        "Config file " + path.string() +
        " is not valid JSON; fix it or remove it and run 'foundry api URL'");
  }
  auto text_of = [&](const char* key) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  config.api = text_of("api");
  config.api_version = text_of("api_version");
  config.uaa_url = text_of("uaa_url");
  config.access_token = text_of("access_token");
  config.refresh_token = text_of("refresh_token");
  config.grant_type = text_of("grant_type");
  config.client_id = text_of("client_id");
  config.client_secret = text_of("client_secret");
  config.org_guid = text_of("organization_guid");
  config.org_name = text_of("organization_name");
  config.space_guid = text_of("space_guid");
  config.space_name = text_of("space_name");
  return Result<Config>::ok(config);
}

Status saveConfig(const Config& config) {
  std::error_code ec;
  fs::create_directories(configDirectory(), ec);
  if (ec) return Status::fail("Cannot create " + configDirectory().string() + ": " + ec.message());
  fs::permissions(configDirectory(), fs::perms::owner_all, fs::perm_options::replace, ec);
  json doc = {{"api", config.api},
              {"api_version", config.api_version},
              {"uaa_url", config.uaa_url},
              {"access_token", config.access_token},
              {"refresh_token", config.refresh_token},
              {"grant_type", config.grant_type},
              {"client_id", config.client_id},
              {"client_secret", config.client_secret},
              {"organization_guid", config.org_guid},
              {"organization_name", config.org_name},
              {"space_guid", config.space_guid},
              {"space_name", config.space_name}};
  const std::string text = doc.dump(2) + "\n";
  fs::path temp = configFile();
  temp += ".tmp";
  ::unlink(temp.c_str());  // a stale temp file may have other permissions
  // Created 0600 from the start: the tokens are never readable by others, not even briefly.
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::fail("Cannot write " + temp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);  // whatever the umask
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return Status::fail("Cannot write " + temp.string() + ": " + why);
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Status::fail("Cannot write " + temp.string());
  fs::rename(temp, configFile(), ec);
  if (ec) return Status::fail("Cannot write " + configFile().string() + ": " + ec.message());
  return okStatus();
}

}  // namespace foundry::cli
