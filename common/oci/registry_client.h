#pragma once
// A client of the Docker Registry HTTP API v2 (the OCI distribution spec): resolves an image
// reference to its manifest and config, and streams blobs. Blocking; thread-safe (one client
// may serve many pulls at once; it remembers the authorization each repository needed).
//
//   RegistryClient client({.credentials = {"alice", auth::Secret(password)}});
//   ImageConfig image;
//   if (std::string error = client.pullConfig(ref, &image); !error.empty()) ...
//
// Transport: http:// for registries on loopback (127.0.0.0/8, localhost, [::1]), the
// "insecure registry" Docker allows there without configuration; https:// everywhere else.
// Auth: every request goes out anonymously (or with what worked before for the repository);
// on 401 the WWW-Authenticate challenge decides: Basic -> the credentials; Bearer -> a token
// from the challenge's realm (asked with the credentials when there are any). Error messages
// never contain the password or a token.
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/auth/secret.h"
#include "common/net/http_client.h"
#include "common/oci/image_config.h"
#include "common/oci/image_ref.h"
#include "common/oci/manifest.h"

namespace foundry::oci {

struct RegistryCredentials {
  std::string username;
  auth::Secret password;
  bool empty() const { return username.empty() && password.empty(); }
};

// Where a blob's bytes go. `write` returns false to abort. `restart` is called before every
// attempt after the first (a retry with credentials, a redirect): bytes of an attempt that
// the registry refused must not end up in the blob.
struct BlobSink {
  std::function<bool(const char* data, size_t size)> write;
  std::function<void()> restart;
};

struct RegistryClientOptions {
  RegistryCredentials credentials;
  std::string os = "linux";            // the platform an index resolves to
  std::string architecture = "amd64";
  long request_timeout_ms = 60'000;    // manifests, config blobs, tokens
  long blob_timeout_ms = 30 * 60'000;  // one layer, on a slow link
  long connect_timeout_ms = 5'000;
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryClientOptions options = {});

  // Resolves `ref` (an index to the configured platform), checks the manifest against the
  // ref's digest when it has one, fetches and checks the config blob. Returns "" or an error:
  // "image not found: REF", "unauthorized: ...", "registry unreachable: ...",
  // "unsupported media type: ...", "bad manifest JSON: ...", "... digest mismatch", ...
  std::string pullConfig(const ImageRef& ref, ImageConfig* out);

  // Streams blob `digest` of ref's repository into `sink` (not verified here: the caller
  // hashes what it stores). Returns "" or an error.
  std::string fetchBlob(const ImageRef& ref, const std::string& digest, const BlobSink& sink);

  // "http://host:port" for a loopback registry, "https://host[:port]" otherwise.
  static std::string baseUrl(const std::string& registry);

 private:
  // GET with the auth handshake and redirects; the final answer in *response (any status).
  // `sink` null: the body is collected in response->body, up to `max_body` bytes.
  std::string get(const ImageRef& ref, const std::string& url, const std::string& accept,
                  const BlobSink* sink, size_t max_body, long timeout_ms,
                  net::HttpResponse* response);
  // Turns a 401's challenge into an Authorization header value.
  std::string authorizationFor(const ImageRef& ref, const std::string& challenge_header,
                               std::string* authorization);
  std::string fetchToken(const ImageRef& ref, const std::string& realm,
                         const std::string& service, const std::string& scope,
                         std::string* token);
  std::string fetchManifest(const ImageRef& ref, const std::string& reference, Manifest* out,
                            std::string* digest);
  std::string fetchConfig(const ImageRef& ref, const Manifest& manifest, ImageConfig* out);

  const RegistryClientOptions options_;
  std::mutex mutex_;
  // "registry/repository" -> the Authorization value that worked last (a token may expire:
  // a 401 then starts the handshake again).
  std::map<std::string, std::string> authorization_;
};

}  // namespace foundry::oci
