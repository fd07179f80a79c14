#include "brokers/test/admin_api.h"

#include "brokers/osb/errors.h"

namespace foundry::testbroker {
namespace {

osb::OsbResponse ok(int status, nlohmann::json body = nlohmann::json::object()) {
  osb::OsbResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

std::optional<osb::OsbResponse> handleAdmin(const osb::RawRequest& req, FakeBroker& broker,
                                            Behaviors& behaviors, RequestLog& log) {
  const std::string& m = req.method;
  const std::string& p = req.path;
  if (!p.starts_with("/admin/")) return std::nullopt;
  if (p == "/admin/catalog") {
    if (m == "PUT") {
      broker.setCatalog(req.body);
      return ok(200);
    }
    if (m == "GET") {
      osb::OsbResponse r;
      r.raw_body = broker.catalogText();
      return r;
    }
  } else if (p == "/admin/behaviors") {
    if (m == "POST") {
      std::string error;
      if (!behaviors.add(req.body, &error)) return osb::errorResponse(400, "BadRequest", error);
      return ok(201);
    }
    if (m == "DELETE") {
      behaviors.clear();
      return ok(200);
    }
    if (m == "GET") return ok(200, behaviors.toJson());
  } else if (p == "/admin/requests") {
    if (m == "GET") return ok(200, log.toJson());
    if (m == "DELETE") {
      log.clear();
      return ok(200);
    }
  } else if (p == "/admin/state") {
    if (m == "GET") return ok(200, broker.stateJson());
  } else if (p == "/admin/config") {
    if (m == "PUT") {
      nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
      auto polls = j.is_object() ? j.find("async_polls") : j.end();
      if (j.is_discarded() || !j.is_object() || polls == j.end() ||
          !polls->is_number_integer() || *polls < 0 || *polls > 1000000) {
        return osb::errorResponse(400, "BadRequest", "expected {\"async_polls\": N >= 0}");
      }
      broker.setAsyncPolls(polls->get<int>());
      return ok(200);
    }
  } else {
    return osb::errorResponse(404, "NotFound", "no such admin path");
  }
  return osb::errorResponse(405, "MethodNotAllowed", m + " is not allowed on " + p);
}

}  // namespace foundry::testbroker
