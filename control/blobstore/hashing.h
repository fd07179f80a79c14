#pragma once
// Content hashes of files and strings (OpenSSL), as lower-case hex: sha256 addresses blobs,
// sha1 addresses the resource cache (the cf CLI's resource matching sends sha1).

#include <optional>
#include <string>
#include <string_view>

namespace foundry::control {

// nullopt when the file cannot be read.
std::optional<std::string> sha256File(const std::string& path);
std::optional<std::string> sha1File(const std::string& path);
std::string sha256Hex(std::string_view data);
std::string sha1Hex(std::string_view data);

// True for `length` lower- or upper-case hex digits.
bool isHex(std::string_view s, size_t length);

}  // namespace foundry::control
