#pragma once
// Which of the 10 OSB endpoints (A.3) a method and path name, with the decoded ids.

#include <optional>
#include <string>
#include <string_view>

#include "brokers/osb/types.h"

namespace foundry::osb {

struct Route {
  Endpoint endpoint;
  std::string instance_id;
  std::string binding_id;
};

enum class RouteMiss { NotFound, MethodNotAllowed };

// `path` is still percent-encoded; ids come back decoded. A path that names no endpoint gives
// NotFound, a known path with another method MethodNotAllowed; an id that is empty or does not
// decode is NotFound.
std::optional<Route> matchRoute(std::string_view method, std::string_view path, RouteMiss* miss);

// Percent-decoding of one path segment or query value; false on a bad %XX escape.
bool percentDecode(std::string_view in, std::string* out);

}  // namespace foundry::osb
