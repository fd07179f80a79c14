#pragma once
// Derivations from OSB ids: database and role names, binding passwords, attribute hashes and
// the credentials of a binding. Pure functions, so they are the same after a restart.

#include <string>

#include <nlohmann/json.hpp>

#include "common/auth/secret.h"

namespace foundry::pgbroker {

// "si_<32 hex>" for a GUID instance id, else "si_h<32 hex of SHA-256(id)>": always a safe,
// lower-case identifier under PostgreSQL's 63-byte limit, whatever the id holds.
std::string databaseName(const std::string& instance_id);
// The same for binding ids, prefix "sb_".
std::string roleName(const std::string& binding_id);

// hex(HMAC-SHA256(secret, binding_id)): a repeated bind hands out the same password without
// the broker storing it.
auth::Secret bindingPassword(const auth::Secret& broker_secret, const std::string& binding_id);

// hex(SHA-256(json.dump())): nlohmann's objects are sorted maps, so equal JSON gives equal text.
std::string jsonHash(const nlohmann::json& value);

// 32 random bytes as hex (the broker secret, operation ids).
std::string randomHex(size_t bytes);

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percentEncode(const std::string& text);

// {"uri","hostname","port","name","username","password"} as CF's PostgreSQL brokers give them.
nlohmann::json credentials(const std::string& host, int port, const std::string& database,
                           const std::string& username, const auth::Secret& password);

}  // namespace foundry::pgbroker
