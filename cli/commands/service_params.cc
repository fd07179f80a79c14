#include "cli/commands/service_params.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace foundry::cli {

using nlohmann::json;

namespace {

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// The text of "@PATH" or of PATH when it names a regular file; nullopt when `value` is not a
// file reference (then it is inline text). A missing "@PATH" is an error.
Result<std::optional<std::string>> fileText(const std::string& value) {
  using Text = std::optional<std::string>;
  std::string path = value;
  bool explicit_file = !value.empty() && value[0] == '@';
  if (explicit_file) path = value.substr(1);
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) {
    if (explicit_file) return Result<Text>::fail("File '" + path + "' not found.");
    return Result<Text>::ok(std::nullopt);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<Text>::fail("Cannot read file '" + path + "'.");
  std::stringstream text;
  text << in.rdbuf();
  return Result<Text>::ok(text.str());
}

std::string invalidJson(const std::string& flag) {
  return "Invalid configuration provided for " + flag +
         " flag. Please provide a valid JSON object or path to a file containing a valid JSON "
         "object.";
}

}  // namespace

Result<json> parseJsonObjectFlag(const std::string& value, const std::string& flag) {
  auto file = fileText(value);
  if (!file) return Result<json>::fail(file.error());
  json parsed = json::parse(file->value_or(value), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Result<json>::fail(invalidJson(flag));
  return Result<json>::ok(std::move(parsed));
}

std::vector<std::string> parseTags(const std::string& value) {
  std::vector<std::string> tags;
  std::stringstream in(value);
  std::string tag;
  while (std::getline(in, tag, ',')) {
    tag = trim(tag);
    if (!tag.empty()) tags.push_back(tag);
  }
  return tags;
}

Result<CredentialsFlag> parseCredentialsFlag(const std::string& value) {
  auto file = fileText(value);
  if (!file) return Result<CredentialsFlag>::fail(file.error());
  CredentialsFlag flag;
  std::string text = trim(file->value_or(value));
  // cf falls back to a list of names whenever the text is not JSON; text that clearly tried to
  // be a JSON object (or came from a file) is an error instead, so a typo is not prompted for.
  if (file->has_value() || (!text.empty() && (text[0] == '{' || text[0] == '['))) {
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return Result<CredentialsFlag>::fail(invalidJson("-p"));
    }
    flag.credentials = std::move(parsed);
    return Result<CredentialsFlag>::ok(std::move(flag));
  }
  flag.prompt_names = parseTags(text);
  if (flag.prompt_names.empty()) return Result<CredentialsFlag>::fail(invalidJson("-p"));
  return Result<CredentialsFlag>::ok(std::move(flag));
}

}  // namespace foundry::cli
