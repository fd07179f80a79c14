#include "router/routeservice/route_service_config.h"

namespace foundry::router {

RouteServiceConfig::RouteServiceConfig(const Config& config)
    : timeout_ns_(config.route_services_timeout_ns),
      recommend_https_(config.route_services_recommend_https),
      strict_(config.route_services_strict_signature_validation),
      hairpinning_(config.route_services_hairpinning),
      max_attempts_(config.route_services_max_attempts) {
  if (!config.route_services_secret.empty()) {
    current_key_ = SignatureKey::derive(config.route_services_secret);
    if (!config.route_services_secret_decrypt_only.empty()) {
      previous_key_ = SignatureKey::derive(config.route_services_secret_decrypt_only);
    }
  }
  std::string ignored;  // the config loader refused invalid entries already
  HairpinAllowlist::parse(config.route_services_hairpinning_allowlist, &allowlist_, &ignored);
}

bool RouteServiceConfig::sign(std::string_view forwarded_url, int64_t now_ns,
                              SignatureHeaders* out) const {
  if (!current_key_) return false;
  SignatureNonce nonce;
  if (!randomSignatureNonce(&nonce)) return false;
  *out = buildSignatureHeaders(*current_key_,
                               SignatureContents{std::string(forwarded_url), now_ns}, nonce);
  return !out->signature.empty();
}

RouteServiceConfig::Verdict RouteServiceConfig::validate(std::string_view signature,
                                                         std::string_view metadata,
                                                         int64_t now_ns, SignatureContents* out,
                                                         std::string* error) const {
  if (!current_key_) {
    *error = "route services are disabled";
    return Verdict::Invalid;
  }
  if (!readSignatureHeaders(*current_key_, signature, metadata, out, error)) {
    // Key rotation: a signature made before the secret changed still validates.
    if (!previous_key_ || !readSignatureHeaders(*previous_key_, signature, metadata, out, error)) {
      return Verdict::Invalid;
    }
  }
  if (now_ns - out->requested_time_ns > timeout_ns_) {
    *error = "route service request expired";
    return Verdict::Expired;
  }
  return Verdict::Valid;
}

}  // namespace foundry::router
