#include "brokers/osb/validate.h"

#include <charconv>
#include <initializer_list>

#include "brokers/osb/errors.h"

namespace foundry::osb {
namespace {

OsbResponse badRequest(const std::string& why) { return errorResponse(400, "BadRequest", why); }

// Every field named must be a non-empty string.
std::optional<OsbResponse> requireStrings(const nlohmann::json& body,
                                          std::initializer_list<const char*> fields) {
  for (const char* field : fields) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
      return badRequest(std::string("missing required field '") + field + "'");
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return badRequest(std::string("field '") + field + "' must be a non-empty string");
    }
  }
  return std::nullopt;
}

// Optional fields that, when present and not null, must have the given JSON type.
std::optional<OsbResponse> optionalObjects(const nlohmann::json& body,
                                           std::initializer_list<const char*> fields) {
  for (const char* field : fields) {
    auto it = body.find(field);
    if (it != body.end() && !it->is_null() && !it->is_object()) {
      return badRequest(std::string("field '") + field + "' must be an object");
    }
  }
  return std::nullopt;
}

std::optional<OsbResponse> optionalStrings(const nlohmann::json& body,
                                           std::initializer_list<const char*> fields) {
  for (const char* field : fields) {
    auto it = body.find(field);
    if (it != body.end() && !it->is_null() && !it->is_string()) {
      return badRequest(std::string("field '") + field + "' must be a string");
    }
  }
  return std::nullopt;
}

std::optional<OsbResponse> requireParams(const OsbRequest& req,
                                         std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (req.param(name).empty()) {
      return badRequest(std::string("missing required query parameter '") + name + "'");
    }
  }
  return std::nullopt;
}

std::optional<OsbResponse> parseBody(OsbRequest* req) {
  nlohmann::json parsed = nlohmann::json::parse(req->raw_body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return badRequest("the request body is not valid JSON");
  if (!parsed.is_object()) return badRequest("the request body must be a JSON object");
  req->body = std::move(parsed);
  return std::nullopt;
}

}  // namespace

std::optional<OsbResponse> checkApiVersion(const std::string& header, bool present) {
  if (!present) {
    return errorResponse(412, "PreconditionFailed",
                         "the X-Broker-API-Version header is required (this broker speaks 2.x)");
  }
  size_t dot = header.find('.');
  int major = -1;
  std::string_view head = std::string_view(header).substr(0, dot);
  auto [end, ec] = std::from_chars(head.data(), head.data() + head.size(), major);
  bool ok = ec == std::errc() && end == head.data() + head.size() && dot != std::string::npos;
  if (!ok || major != 2) {
    return errorResponse(412, "PreconditionFailed",
                         "unsupported X-Broker-API-Version '" + header.substr(0, 32) +
                             "' (this broker speaks 2.x)");
  }
  return std::nullopt;
}

std::optional<OsbResponse> validateRequest(OsbRequest* req) {
  switch (req->endpoint) {
    case Endpoint::Provision:
      if (auto bad = parseBody(req)) return bad;
      if (auto bad = requireStrings(req->body,
                                    {"service_id", "plan_id", "organization_guid", "space_guid"})) {
        return bad;
      }
      return optionalObjects(req->body, {"context", "parameters", "maintenance_info"});
    case Endpoint::Update:
      if (auto bad = parseBody(req)) return bad;
      if (auto bad = requireStrings(req->body, {"service_id"})) return bad;
      if (auto bad = optionalStrings(req->body, {"plan_id"})) return bad;
      return optionalObjects(req->body,
                             {"context", "parameters", "maintenance_info", "previous_values"});
    case Endpoint::Bind:
      if (auto bad = parseBody(req)) return bad;
      if (auto bad = requireStrings(req->body, {"service_id", "plan_id"})) return bad;
      if (auto bad = optionalStrings(req->body, {"app_guid", "predecessor_binding_id"})) {
        return bad;
      }
      return optionalObjects(req->body, {"context", "parameters", "bind_resource"});
    case Endpoint::Deprovision:
    case Endpoint::Unbind:
      return requireParams(*req, {"service_id", "plan_id"});
    case Endpoint::Catalog:
    case Endpoint::FetchInstance:
    case Endpoint::InstanceLastOperation:
    case Endpoint::FetchBinding:
    case Endpoint::BindingLastOperation:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace foundry::osb
