#pragma once
// Logging in to a controller under test: the admin password it is started with, and the
// password grant against its token service (/uaa/oauth/token, client "cf"), as the cf CLI does.

#include <string>
#include <vector>

#include "common/net/http_client.h"

namespace foundry::test {

inline constexpr const char* kTestAdminPassword = "admin-password-for-tests";

// Writes kTestAdminPassword to DIR/admin-password.txt (0600); returns the controller flags
// that use it: {"--admin-password-file", path}.
std::vector<std::string> adminPasswordFlags(const std::string& dir);

// "bearer <access token>" for the user, from the controller at base_url
// ("http://127.0.0.1:9022"); "" when the login fails.
std::string loginBearer(const std::string& base_url, const std::string& user = "admin",
                        const std::string& password = kTestAdminPassword);

// `request` sent with "Authorization: <bearer>".
net::HttpResponse performAs(const std::string& bearer, net::HttpRequest request);

}  // namespace foundry::test
