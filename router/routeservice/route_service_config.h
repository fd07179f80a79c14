#pragma once
// The route-service settings the data plane uses (ROUTER-PROTOCOL.md 7), built once at start
// from Config: the signing key and the decrypt-only previous key are derived here (PBKDF2 at
// 100001 iterations is deliberately slow, so never per request), the hairpin allowlist parsed.
// Shared read-only by every worker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "router/config/config.h"
#include "router/routeservice/hairpin_allowlist.h"
#include "router/routeservice/signature.h"

namespace foundry::router {

class RouteServiceConfig {
 public:
  explicit RouteServiceConfig(const Config& config);

  // Route services are supported (route_services_secret is set).
  bool enabled() const { return current_key_.has_value(); }
  bool recommendHttps() const { return recommend_https_; }
  bool strictSignatureValidation() const { return strict_; }
  bool hairpinning() const { return hairpinning_; }
  int maxAttempts() const { return max_attempts_; }
  const HairpinAllowlist& hairpinAllowlist() const { return allowlist_; }

  // First pass: the X-CF-Proxy-Signature / -Metadata values for `forwarded_url`, signed with the
  // current key at `now_ns` (wall clock, Unix ns). False when disabled or no nonce could be
  // drawn.
  bool sign(std::string_view forwarded_url, int64_t now_ns, SignatureHeaders* out) const;

  enum class Verdict { Valid, Invalid, Expired };
  // Return pass: decrypts with the current key, then the decrypt-only one, and checks that the
  // signature is at most route_services_timeout old. *error says why for Invalid / Expired
  // (gorouter's texts: "route service request expired", ...).
  Verdict validate(std::string_view signature, std::string_view metadata, int64_t now_ns,
                   SignatureContents* out, std::string* error) const;

 private:
  std::optional<SignatureKey> current_key_;
  std::optional<SignatureKey> previous_key_;
  int64_t timeout_ns_;
  bool recommend_https_;
  bool strict_;
  bool hairpinning_;
  int max_attempts_;
  HairpinAllowlist allowlist_;
};

}  // namespace foundry::router
