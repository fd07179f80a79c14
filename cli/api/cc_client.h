#pragma once
// A small Cloud Controller V3 client: one call = one HTTP request through net::perform, the
// reply parsed as JSON. Failures come back as a message the user can act on: the V3 error's
// `detail` (errors[0].detail; several errors are listed), or what went wrong on the wire.
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api/auth.h"
#include "cli/common/result.h"

namespace foundry::cli {

struct ApiReply {
  long status = 0;
  nlohmann::json body;   // null when the reply had no (JSON) body
  std::string location;  // the Location header (202 jobs)
};

class CcClient {
 public:
  explicit CcClient(std::string base_url, long timeout_ms = 30000,
                    std::shared_ptr<AuthSession> auth = nullptr);

  const std::string& baseUrl() const { return base_url_; }
  // A client for another base URL (log cache, UAA's SCIM endpoints) with the same session.
  CcClient withBase(std::string base_url) const { return CcClient(std::move(base_url), timeout_ms_, auth_); }
  const std::shared_ptr<AuthSession>& auth() const { return auth_; }

  // `path` is "/v3/..." (joined to the base URL) or an absolute http(s) URL (pagination and
  // job links). Non-2xx replies are errors carrying the V3 detail.
  Result<ApiReply> get(const std::string& path) const;
  Result<ApiReply> post(const std::string& path, const nlohmann::json& body) const;
  Result<ApiReply> patch(const std::string& path, const nlohmann::json& body) const;
  Result<ApiReply> del(const std::string& path) const;
  // A raw request (multipart upload): the body and its Content-Type as given.
  Result<ApiReply> send(const std::string& method, const std::string& path, const std::string& body,
                        const std::string& content_type, long timeout_ms) const;
  // Like send() but a non-2xx reply is returned, not turned into an error (callers that branch
  // on 404/422). Only transport failures are errors, and an expired token that could not be
  // refreshed.
  //
  // With a session, every request carries "Authorization: bearer <token>". A 401 for an
  // invalid/expired token (shouldRefreshToken) makes it refresh the session once and retry the
  // request once; a failed refresh is the error kNotLoggedIn.
  Result<ApiReply> sendRaw(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& content_type,
                           long timeout_ms) const;

  // Every resource of a list, following pagination.next (at most 100 pages).
  Result<std::vector<nlohmann::json>> listAll(const std::string& path) const;
  // The first resource of a list, or null when it is empty.
  Result<nlohmann::json> first(const std::string& path) const;

  // Polls a job (its Location URL or /v3/jobs/:guid) until COMPLETE or FAILED; a FAILED job
  // is an error with its first error's detail.
  Status waitForJob(const std::string& job_url,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // waitForJob(), but `stop_early` sees every polled job and may end the wait before the job
  // is done (returning the job's state then): service commands without --wait stop once the
  // job is POLLING a broker. Returns "COMPLETE" when the job completed.
  Result<std::string> pollJob(const std::string& job_url, std::chrono::milliseconds timeout,
                              const std::function<bool(const nlohmann::json&)>& stop_early) const;

  std::string url(const std::string& path) const;

 private:
  std::string base_url_;
  long timeout_ms_;
  std::shared_ptr<AuthSession> auth_;
};

// The user-facing message for a failed reply: errors[0].detail (or all of them), UAA's
// error_description, else the status and raw body as cf shows unknown errors.
std::string errorMessage(long status, const std::string& body);

// errorMessage() of a reply sendRaw() returned.
std::string replyError(const ApiReply& reply);

// Percent-encodes a query parameter value (commas included, as CC expects for literal commas);
// keep_slash=false also encodes '/' (form bodies, HTTP basic credentials).
std::string urlEncode(const std::string& value, bool keep_slash = true);

}  // namespace foundry::cli
