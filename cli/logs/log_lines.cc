#include "cli/logs/log_lines.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace foundry::cli {

using nlohmann::json;

namespace {

int64_t toInt64(const json& value) {
  try {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number()) return static_cast<int64_t>(value.get<double>());
    if (value.is_string()) return std::stoll(value.get<std::string>());
  } catch (const std::exception&) {
  }
  return 0;
}

std::string stringField(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

std::string lineKey(const LogLine& line) {
  return line.source_type + "\x1f" + line.instance_id + "\x1f" + line.type + "\x1f" + line.message;
}

}  // namespace

std::string base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) continue;  // padding, whitespace
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::vector<LogLine> parseLogEnvelopes(const json& body) {
  std::vector<LogLine> lines;
  if (!body.is_object() || !body.contains("envelopes") || !body["envelopes"].is_object()) {
    return lines;
  }
  const json& batch = body["envelopes"].value("batch", json::array());
  if (!batch.is_array()) return lines;
  for (const auto& envelope : batch) {
    if (!envelope.is_object() || !envelope.contains("log") || !envelope["log"].is_object()) {
      continue;
    }
    LogLine line;
    line.timestamp_ns = envelope.contains("timestamp") ? toInt64(envelope["timestamp"]) : 0;
    line.instance_id = stringField(envelope, "instance_id");
    if (envelope.contains("tags")) line.source_type = stringField(envelope["tags"], "source_type");
    line.type = stringField(envelope["log"], "type");
    if (line.type.empty()) line.type = "OUT";
    line.message = base64Decode(stringField(envelope["log"], "payload"));
    lines.push_back(std::move(line));
  }
  std::stable_sort(lines.begin(), lines.end(), [](const LogLine& a, const LogLine& b) {
    return a.timestamp_ns < b.timestamp_ns;
  });
  return lines;
}

std::string formatLogLine(const LogLine& line) {
  time_t seconds = static_cast<time_t>(line.timestamp_ns / 1000000000);
  int centis = static_cast<int>((line.timestamp_ns % 1000000000) / 10000000);
  if (centis < 0) centis = 0;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%02d+0000", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, centis);
  std::string source = line.source_type.empty() ? "APP" : line.source_type;
  if (!line.instance_id.empty()) source += "/" + line.instance_id;
  std::string message = line.message;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  return std::string(stamp) + " [" + source + "] " + line.type + " " + message;
}

std::vector<LogLine> LogCursor::fresh(std::vector<LogLine> batch) {
  std::vector<LogLine> out;
  for (auto& line : batch) {
    if (line.timestamp_ns < start_ns_) continue;
    std::string key = lineKey(line);
    if (line.timestamp_ns == start_ns_) {
      if (!seen_at_start_.insert(key).second) continue;
    } else {
      start_ns_ = line.timestamp_ns;
      seen_at_start_.clear();
      seen_at_start_.insert(key);
    }
    out.push_back(std::move(line));
  }
  return out;
}

Result<std::vector<LogLine>> readLogs(const CcClient& log_cache, const std::string& app_guid,
                                      int64_t start_ns, bool newest) {
  std::string base = "/api/v1/read/" + app_guid + "?start_time=" + std::to_string(start_ns);
  auto reply = log_cache.sendRaw(
      "GET", base + (newest ? "&descending=true&limit=1000" : "&limit=1000"), "", "", 10000);
  if (reply && reply->status == 400) reply = log_cache.sendRaw("GET", base, "", "", 10000);
  if (!reply) return Result<std::vector<LogLine>>::fail(reply.error());
  if (reply->status == 404) return Result<std::vector<LogLine>>::ok({});
  if (reply->status < 200 || reply->status >= 300) {
    std::string raw = reply->body.is_string() ? reply->body.get<std::string>() : reply->body.dump();
    return Result<std::vector<LogLine>>::fail(errorMessage(reply->status, raw));
  }
  return Result<std::vector<LogLine>>::ok(parseLogEnvelopes(reply->body));
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace foundry::cli
