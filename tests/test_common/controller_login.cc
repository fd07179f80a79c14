#include "tests/test_common/controller_login.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace foundry::test {

std::vector<std::string> adminPasswordFlags(const std::string& dir) {
  const std::string path = dir + "/admin-password.txt";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string line = std::string(kTestAdminPassword) + "\n";
    ssize_t n = write(fd, line.data(), line.size());
    (void)n;
    close(fd);
  }
  return {"--admin-password-file", path};
}

std::string loginBearer(const std::string& base_url, const std::string& user,
                        const std::string& password) {
  net::HttpRequest r;
  r.method = "POST";
  r.url = base_url + "/uaa/oauth/token";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Authorization", "Basic Y2Y6"}};  // client "cf", empty secret
  r.body = "grant_type=password&username=" + user + "&password=" + password;
  auto resp = net::perform(r);
  if (resp.status != 200) return "";
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token")) return "";
  return "bearer " + j["access_token"].get<std::string>();
}

net::HttpResponse performAs(const std::string& bearer, net::HttpRequest request) {
  request.headers.emplace_back("Authorization", bearer);
  return net::perform(request);
}

}  // namespace foundry::test
