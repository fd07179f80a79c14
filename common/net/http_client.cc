#include "common/net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace foundry::net {

namespace {

void globalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  const HttpRequest* request;
  HttpResponse* response;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * count;
  if (sink->request->on_body) {
    return sink->request->on_body(data, bytes) ? bytes : 0;
  }
  sink->response->body.append(data, bytes);
  return bytes;
}

size_t onReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* request = static_cast<const HttpRequest*>(user);
  long n = request->read_body(buffer, size * count);
  return n < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(n);
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  size_t bytes = size * count;
  std::string line(data, bytes);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    size_t start = line.find_first_not_of(" \t", colon + 1);
    size_t end = line.find_last_not_of(" \t\r\n");
    std::string value = (start == std::string::npos || end < start) ? ""
                                                                    : line.substr(start, end - start + 1);
    response->headers.emplace_back(std::move(name), std::move(value));
  }
  return bytes;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

std::string requestTarget(const std::string& url) {
  globalInitOnce();
  CURLU* handle = curl_url();
  if (!handle) return "";
  std::string target;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* path = nullptr;
    char* query = nullptr;
    if (curl_url_get(handle, CURLUPART_PATH, &path, 0) == CURLUE_OK && path) {
      target = *path ? path : "/";
      if (curl_url_get(handle, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
        target += "?";
        target += query;
      }
    }
    curl_free(path);
    curl_free(query);
  }
  curl_url_cleanup(handle);
  return target;
}

HttpResponse perform(const HttpRequest& request) {
  globalInitOnce();
  HttpResponse response;
  CURL* curl = curl_easy_init();
  if (!curl) {
    response.error = "curl_easy_init failed";
    return response;
  }
  Sink sink{&request, &response};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  if (request.authorize) {
    std::string value = request.authorize(request.method, requestTarget(request.url));
    headers = curl_slist_append(headers, ("Authorization: " + value).c_str());
  }
  // No "Expect: 100-continue" round trip for uploads: every peer here answers at once.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.read_body && request.body_size >= 0) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, onReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, const_cast<HttpRequest*>(&request));
  } else if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
             request.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // safe in threads; no SIGALRM for timeouts
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  } else {
    response.error = curl_easy_strerror(rc);
    response.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

HttpResponse getJson(const std::string& url, long timeout_ms, const Authorizer& authorize) {
  HttpRequest request;
  request.authorize = authorize;
  request.url = url;
  request.timeout_ms = timeout_ms;
  request.headers.emplace_back("Accept", "application/json");
  return perform(request);
}

HttpResponse sendJson(const std::string& method, const std::string& url, const std::string& body,
                      long timeout_ms, const Authorizer& authorize) {
  HttpRequest request;
  request.authorize = authorize;
  request.method = method;
  request.url = url;
  request.body = body;
  request.timeout_ms = timeout_ms;
  request.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  return perform(request);
}

}  // namespace foundry::net
