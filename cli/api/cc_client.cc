#include "cli/api/cc_client.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/net/http_client.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

bool isAbsolute(const std::string& path) {
  return path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
}

}  // namespace

std::string errorMessage(long status, const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
      !doc["errors"].empty()) {
    const json& errors = doc["errors"];
    auto detail = [](const json& e) {
      if (e.is_object()) {
        if (e.contains("detail") && e["detail"].is_string()) return e["detail"].get<std::string>();
        if (e.contains("title") && e["title"].is_string()) return e["title"].get<std::string>();
      }
      return e.dump();
    };
    if (errors.size() == 1) {
      // No token at all: say how to get one, as cf does.
      if (status == 401 && errors[0].is_object() &&
          errors[0].value("title", "") == "CF-NotAuthenticated") {
        return kNotLoggedIn;
      }
      return detail(errors[0]);
    }
    std::string text = "Multiple errors occurred:";
    for (const auto& e : errors) text += "\n\t" + detail(e);
    return text;
  }
  // UAA's shape (SCIM calls): {"error": ..., "error_description": ...}.
  if (doc.is_object() && doc.contains("error_description") && doc["error_description"].is_string()) {
    return doc["error_description"].get<std::string>();
  }
  std::string text = "Unexpected Response\nResponse code: " + std::to_string(status);
  if (!body.empty()) text += "\nResponse body:\n" + body.substr(0, 2000);
  return text;
}

std::string replyError(const ApiReply& reply) {
  std::string raw = reply.body.is_string() ? reply.body.get<std::string>()
                    : reply.body.is_null() ? std::string()
                                           : reply.body.dump();
  return errorMessage(reply.status, raw);
}

std::string urlEncode(const std::string& value, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

CcClient::CcClient(std::string base_url, long timeout_ms, std::shared_ptr<AuthSession> auth)
    : base_url_(std::move(base_url)), timeout_ms_(timeout_ms), auth_(std::move(auth)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string CcClient::url(const std::string& path) const {
  return isAbsolute(path) ? path : base_url_ + path;
}

Result<ApiReply> CcClient::sendRaw(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& content_type,
                                   long timeout_ms) const {
  net::HttpRequest request;
  request.method = method;
  request.url = url(path);
  request.body = body;
  request.timeout_ms = timeout_ms;
  request.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  auto perform = [&]() {
    net::HttpRequest signed_request = request;
    if (auth_ && !auth_->access_token.empty()) {
      signed_request.headers.emplace_back("Authorization", "bearer " + auth_->access_token);
    }
    return net::perform(signed_request);
  };
  net::HttpResponse response = perform();
  if (response.status == 0) {
    return Result<ApiReply>::fail("Request error: " + method + " " + request.url + ": " +
                                  response.error +
                                  "\nTIP: check that the API endpoint is right ('foundry api') "
                                  "and the controller is running.");
  }
  if (response.status == 401 && auth_ && auth_->refresh &&
      shouldRefreshToken(response.status, json::parse(response.body, nullptr, false))) {
    // The token expired (or was revoked): one refresh, one retry.
    Status refreshed = auth_->refresh();
    if (!refreshed) return Result<ApiReply>::fail(kNotLoggedIn);
    response = perform();
    if (response.status == 0) {
      return Result<ApiReply>::fail("Request error: " + method + " " + request.url + ": " +
                                    response.error);
    }
  }
  ApiReply reply;
  reply.status = response.status;
  reply.location = response.header("location");
  if (!response.body.empty()) {
    reply.body = json::parse(response.body, nullptr, false);
    if (reply.body.is_discarded()) {
      if (response.ok()) {
        return Result<ApiReply>::fail("Invalid JSON from " + method + " " + request.url + ": " +
                                      response.body.substr(0, 500));
      }
      reply.body = json(response.body);  // keep the raw text for errorMessage()
    }
  }
  return Result<ApiReply>::ok(std::move(reply));
}

Result<ApiReply> CcClient::send(const std::string& method, const std::string& path,
                                const std::string& body, const std::string& content_type,
                                long timeout_ms) const {
  auto reply = sendRaw(method, path, body, content_type, timeout_ms);
  if (!reply) return reply;
  if (reply->status < 200 || reply->status >= 300) {
    std::string message = replyError(*reply);
    // An endpoint this API does not have: say which, since the detail alone is cryptic.
    if (reply->status == 404 && message == "Unknown request") {
      message += " (" + method + " " + url(path) + " is not served by this API)";
    }
    return Result<ApiReply>::fail(message);
  }
  return reply;
}

Result<ApiReply> CcClient::get(const std::string& path) const {
  return send("GET", path, "", "", timeout_ms_);
}
Result<ApiReply> CcClient::post(const std::string& path, const json& body) const {
  return send("POST", path, body.dump(), "application/json", timeout_ms_);
}
Result<ApiReply> CcClient::patch(const std::string& path, const json& body) const {
  return send("PATCH", path, body.dump(), "application/json", timeout_ms_);
}
Result<ApiReply> CcClient::del(const std::string& path) const {
  return send("DELETE", path, "", "", timeout_ms_);
}

Result<std::vector<json>> CcClient::listAll(const std::string& path) const {
  std::vector<json> all;
  std::string next = path;
  for (int page = 0; page < 100 && !next.empty(); ++page) {
    auto reply = get(next);
    if (!reply) return Result<std::vector<json>>::fail(reply.error());
    const json& body = reply->body;
    if (!body.is_object() || !body.contains("resources") || !body["resources"].is_array()) {
      return Result<std::vector<json>>::fail("Unexpected list from " + url(next));
    }
    for (const auto& item : body["resources"]) all.push_back(item);
    next.clear();
    if (body.contains("pagination") && body["pagination"].is_object()) {
      const json& pagination = body["pagination"];
      if (pagination.contains("next") && pagination["next"].is_object() &&
          pagination["next"].contains("href") && pagination["next"]["href"].is_string()) {
        next = pagination["next"]["href"].get<std::string>();
      }
    }
  }
  return Result<std::vector<json>>::ok(std::move(all));
}

Result<json> CcClient::first(const std::string& path) const {
  auto reply = get(path);
  if (!reply) return Result<json>::fail(reply.error());
  const json& body = reply->body;
  if (!body.is_object() || !body.contains("resources") || !body["resources"].is_array()) {
    return Result<json>::fail("Unexpected list from " + url(path));
  }
  if (body["resources"].empty()) return Result<json>::ok(json());
  return Result<json>::ok(body["resources"][0]);
}

Status CcClient::waitForJob(const std::string& job_url, std::chrono::milliseconds timeout) const {
  auto state = pollJob(job_url, timeout, nullptr);
  if (!state) return Status::fail(state.error());
  return okStatus();
}

Result<std::string> CcClient::pollJob(
    const std::string& job_url, std::chrono::milliseconds timeout,
    const std::function<bool(const nlohmann::json&)>& stop_early) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(50);
  while (true) {
    auto reply = get(job_url);
    if (!reply) return Result<std::string>::fail(reply.error());
    std::string state = reply->body.value("state", "");
    if (state == "COMPLETE") return Result<std::string>::ok(state);
    if (state == "FAILED") {
      const json& errors = reply->body.contains("errors") ? reply->body["errors"] : json();
      if (errors.is_array() && !errors.empty()) {
        return Result<std::string>::fail(errorMessage(200, json{{"errors", errors}}.dump()));
      }
      return Result<std::string>::fail("Job " + job_url + " failed");
    }
    if (stop_early && stop_early(reply->body)) return Result<std::string>::ok(state);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Result<std::string>::fail("Timed out waiting for job " + job_url + " (state " +
                                       state + ")");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace foundry::cli
