#include "common/oci/registry_client.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "common/oci/sha256.h"
#include "common/oci/www_authenticate.h"

namespace foundry::oci {
namespace {

using nlohmann::json;

constexpr size_t kMaxManifestBytes = 4 << 20;  // containerd's limit too
constexpr size_t kMaxConfigBytes = 16 << 20;
constexpr size_t kMaxTokenBytes = 1 << 20;
constexpr int kMaxRedirects = 5;

// host[:port] without the port; "[::1]:5000" -> "[::1]".
std::string hostOf(const std::string& registry) {
  if (!registry.empty() && registry[0] == '[') return registry.substr(0, registry.find(']') + 1);
  return registry.substr(0, registry.find(':'));
}

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// "scheme://authority" of a URL; "" when it has none.
std::string originOf(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  size_t path = url.find('/', scheme_end + 3);
  return url.substr(0, path);
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string percentEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The registry's own words for a failure: the "errors" array of the spec's error body.
struct RegistryErrors {
  std::vector<std::string> codes;
  std::string message;  // the first error's message
};

RegistryErrors registryErrors(const std::string& body) {
  RegistryErrors out;
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) return out;
  for (const json& e : doc["errors"]) {
    if (!e.is_object()) continue;
    if (e.contains("code") && e["code"].is_string()) out.codes.push_back(e["code"]);
    if (out.message.empty() && e.contains("message") && e["message"].is_string()) {
      out.message = e["message"];
    }
  }
  return out;
}

bool hasCode(const RegistryErrors& errors, std::string_view code) {
  return std::find(errors.codes.begin(), errors.codes.end(), code) != errors.codes.end();
}

std::string statusError(const std::string& what, const net::HttpResponse& response) {
  std::string text = what + ": HTTP " + std::to_string(response.status);
  RegistryErrors errors = registryErrors(response.body);
  if (!errors.message.empty()) text += " (" + errors.message + ")";
  return text;
}

}  // namespace

RegistryClient::RegistryClient(RegistryClientOptions options) : options_(std::move(options)) {}

std::string RegistryClient::baseUrl(const std::string& registry) {
  return (isLoopbackHost(hostOf(registry)) ? "http://" : "https://") + registry;
}

std::string RegistryClient::get(const ImageRef& ref, const std::string& start_url,
                                const std::string& accept, const BlobSink* sink,
                                size_t max_body, long timeout_ms, net::HttpResponse* response) {
  const std::string cache_key = ref.registry + "/" + ref.repository;
  const std::string registry_origin = baseUrl(ref.registry);
  std::string authorization;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    authorization = authorization_[cache_key];
  }
  std::string url = start_url;
  bool authenticated = false;  // a fresh authorization was tried during this call
  int redirects = 0;
  bool too_big = false;
  for (int attempt = 0;; ++attempt) {
    net::HttpRequest request;
    request.url = url;
    request.timeout_ms = timeout_ms;
    request.connect_timeout_ms = options_.connect_timeout_ms;
    if (!accept.empty()) request.headers.emplace_back("Accept", accept);
    // Credentials go to the registry only, never to where it redirects (a CDN, a bucket).
    if (!authorization.empty() && originOf(url) == registry_origin) {
      request.headers.emplace_back("Authorization", authorization);
    }
    std::string collected;
    if (sink != nullptr) {
      if (attempt > 0 && sink->restart) sink->restart();
      request.on_body = sink->write;
    } else {
      request.on_body = [&](const char* data, size_t size) {
        too_big = collected.size() + size > max_body;
        if (!too_big) collected.append(data, size);
        return !too_big;
      };
    }
    *response = net::perform(request);
    if (sink == nullptr) response->body = std::move(collected);
    if (too_big) {
      return "answer from " + ref.registry + " for " + ref.str() + " larger than " +
             std::to_string(max_body) + " bytes";
    }
    if (response->status == 0) {
      return "registry unreachable: " + ref.registry + ": " + response->error;
    }
    long status = response->status;
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
      std::string location = response->header("location");
      if (location.empty() || ++redirects > kMaxRedirects) {
        return "bad redirect from " + ref.registry + " for " + ref.str();
      }
      url = location[0] == '/' ? originOf(url) + location : location;
      continue;
    }
    if (status != 401) return "";
    if (authenticated) {
      return "unauthorized: " + ref.registry + " refused " +
             (options_.credentials.empty() ? std::string("anonymous access") : "the credentials of " + options_.credentials.username) +
             " to " + ref.str();
    }
    std::string error = authorizationFor(ref, response->header("www-authenticate"), &authorization);
    if (!error.empty()) return error;
    authenticated = true;
    url = start_url;
    std::lock_guard<std::mutex> lock(mutex_);
    authorization_[cache_key] = authorization;
  }
}

std::string RegistryClient::authorizationFor(const ImageRef& ref,
                                             const std::string& challenge_header,
                                             std::string* authorization) {
  AuthChallenge challenge = parseAuthChallenge(challenge_header);
  const RegistryCredentials& credentials = options_.credentials;
  if (challenge.scheme == "basic") {
    if (credentials.empty()) {
      return "unauthorized: " + ref.registry + " requires credentials for " + ref.str();
    }
    *authorization =
        "Basic " + base64(credentials.username + ":" + credentials.password.reveal());
    return "";
  }
  if (challenge.scheme == "bearer") {
    std::string realm = challenge.param("realm");
    if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0) {
      return "unauthorized: " + ref.registry + " named no usable token service ('" + realm + "')";
    }
    std::string scope = challenge.param("scope");
    if (scope.empty()) scope = "repository:" + ref.repository + ":pull";
    std::string token;
    std::string error = fetchToken(ref, realm, challenge.param("service"), scope, &token);
    if (!error.empty()) return error;
    *authorization = "Bearer " + token;
    return "";
  }
  return "unauthorized: " + ref.registry + " asks for an unsupported authentication scheme '" +
         challenge.scheme + "'";
}

std::string RegistryClient::fetchToken(const ImageRef& ref, const std::string& realm,
                                       const std::string& service, const std::string& scope,
                                       std::string* token) {
  const RegistryCredentials& credentials = options_.credentials;
  std::string realm_origin = originOf(realm);
  std::string realm_host = realm_origin.substr(realm_origin.find("://") + 3);
  if (!credentials.empty() && realm.rfind("http://", 0) == 0 &&
      !isLoopbackHost(hostOf(realm_host))) {
    return "unauthorized: refusing to send credentials to a token service without TLS (" +
           realm_origin + ")";
  }
  net::HttpRequest request;
  request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!service.empty()) request.url += "service=" + percentEncode(service) + "&";
  request.url += "scope=" + percentEncode(scope);
  request.timeout_ms = options_.request_timeout_ms;
  request.connect_timeout_ms = options_.connect_timeout_ms;
  request.headers.emplace_back("Accept", "application/json");
  if (!credentials.empty()) {
    request.headers.emplace_back(
        "Authorization",
        "Basic " + base64(credentials.username + ":" + credentials.password.reveal()));
  }
  bool too_big = false;
  std::string body;
  request.on_body = [&](const char* data, size_t size) {
    too_big = body.size() + size > kMaxTokenBytes;
    if (!too_big) body.append(data, size);
    return !too_big;
  };
  net::HttpResponse response = net::perform(request);
  if (too_big) return "token service " + realm_origin + " sent an oversized answer";
  if (response.status == 0) {
    return "registry unreachable: token service " + realm_origin + ": " + response.error;
  }
  if (response.status == 401 || response.status == 403) {
    return "unauthorized: token service " + realm_origin + " refused " +
           (credentials.empty() ? std::string("anonymous access") : "the credentials of " + credentials.username) +
           " for " + ref.str() + " (HTTP " + std::to_string(response.status) + ")";
  }
  if (response.status != 200) {
    return "token service " + realm_origin + " answered HTTP " + std::to_string(response.status);
  }
  json doc = json::parse(body, nullptr, false);
  for (const char* key : {"token", "access_token"}) {
    if (doc.is_object() && doc.contains(key) && doc[key].is_string() &&
        !doc[key].get<std::string>().empty()) {
      *token = doc[key].get<std::string>();
      return "";
    }
  }
  return "bad token JSON from " + realm_origin + ": no token or access_token";
}

std::string RegistryClient::fetchManifest(const ImageRef& ref, const std::string& reference,
                                          Manifest* out, std::string* digest) {
  net::HttpResponse response;
  std::string url = baseUrl(ref.registry) + "/v2/" + ref.repository + "/manifests/" + reference;
  std::string error = get(ref, url, manifestAcceptHeader(), nullptr, kMaxManifestBytes,
                          options_.request_timeout_ms, &response);
  if (!error.empty()) return error;
  RegistryErrors errors = registryErrors(response.body);
  if (response.status == 404 || hasCode(errors, "MANIFEST_UNKNOWN") ||
      hasCode(errors, "NAME_UNKNOWN")) {
    return "image not found: " + ref.str();
  }
  if (response.status == 403) {
    return "unauthorized: " + statusError(ref.registry + " denied access to " + ref.str(), response);
  }
  if (response.status != 200) {
    return statusError(ref.registry + " answered the manifest request for " + ref.str(), response);
  }
  *digest = sha256Digest(response.body);
  error = parseManifest(response.body, response.header("content-type"), out);
  if (!error.empty()) return error + " (" + ref.str() + ")";
  return "";
}

std::string RegistryClient::fetchConfig(const ImageRef& ref, const Manifest& manifest,
                                        ImageConfig* out) {
  net::HttpResponse response;
  std::string url =
      baseUrl(ref.registry) + "/v2/" + ref.repository + "/blobs/" + manifest.config_digest;
  std::string error =
      get(ref, url, "", nullptr, kMaxConfigBytes, options_.request_timeout_ms, &response);
  if (!error.empty()) return error;
  if (response.status == 404) {
    return "image config " + manifest.config_digest + " not found in " + ref.str();
  }
  if (response.status != 200) {
    return statusError(ref.registry + " answered the config request for " + ref.str(), response);
  }
  if (sha256Digest(response.body) != manifest.config_digest) {
    return "config " + manifest.config_digest + " digest mismatch (" + ref.str() + ")";
  }
  error = parseImageConfig(response.body, out);
  if (!error.empty()) return error + " (" + ref.str() + ")";
  return "";
}

std::string RegistryClient::pullConfig(const ImageRef& ref, ImageConfig* out) {
  Manifest manifest;
  std::string digest;
  std::string error = fetchManifest(ref, ref.reference(), &manifest, &digest);
  if (!error.empty()) return error;
  if (!ref.digest.empty() && digest != ref.digest) {
    return "manifest digest mismatch for " + ref.str() + ": the registry sent " + digest;
  }
  if (manifest.isIndex()) {
    PlatformManifest chosen;
    error = pickPlatform(manifest, options_.os, options_.architecture, &chosen);
    if (!error.empty()) return error + " (" + ref.str() + ")";
    error = fetchManifest(ref, chosen.digest, &manifest, &digest);
    if (!error.empty()) return error;
    if (digest != chosen.digest) {
      return "manifest digest mismatch for " + chosen.platform() + " of " + ref.str() +
             ": the registry sent " + digest;
    }
    if (manifest.isIndex()) {
      return "unsupported media type: the " + chosen.platform() + " entry of " + ref.str() +
             " is another index";
    }
  }
  ImageConfig config;
  error = fetchConfig(ref, manifest, &config);
  if (!error.empty()) return error;
  config.manifest_digest = digest;
  config.layers = manifest.layers;
  *out = std::move(config);
  return "";
}

std::string RegistryClient::fetchBlob(const ImageRef& ref, const std::string& digest,
                                      const BlobSink& sink) {
  if (!isSha256Digest(digest)) return "invalid blob digest '" + digest + "'";
  net::HttpResponse response;
  std::string url = baseUrl(ref.registry) + "/v2/" + ref.repository + "/blobs/" + digest;
  std::string error = get(ref, url, "", &sink, 0, options_.blob_timeout_ms, &response);
  if (!error.empty()) return error;
  if (response.status == 404) return "layer " + digest + " not found in " + ref.str();
  if (response.status != 200) {
    return "layer " + digest + ": " + ref.registry + " answered HTTP " +
           std::to_string(response.status);
  }
  return "";
}

}  // namespace foundry::oci
