// log-cache's read API, enough for the cf CLI (`cf logs`, staging output during `cf push`):
//   GET /api/v1/info                  {"version":"2.11.4","vm_uptime":"<seconds>"}
//   GET /api/v1/read/:source_id       {"envelopes":{"batch":[envelope...]}}
// Envelopes are log-cache's JSON (gRPC gateway) shape: int64 timestamps as strings, the
// payload base64. Only LOG envelopes exist here; lines come from the LogBuffer.
#include <chrono>

#include "control/api/api.h"
#include "control/logs/log_buffer.h"

namespace foundry::control {

using nlohmann::json;

namespace {

const auto kStarted = std::chrono::steady_clock::now();

std::string base64(const std::string& in) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

int64_t int64Param(const Query& q, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  const auto* v = q.find(key);
  if (!v) return fallback;
  const std::string text = v->size() == 1 ? (*v)[0] : "";
  if (text.empty()) return fallback;
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || n < lo || n > hi) {
    throw badQuery(std::string("The query parameter is invalid: ") + key + " must be an integer " +
                   "between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return n;
}

}  // namespace

ApiResponse Api::logCacheInfo(Ctx&) {
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                             kStarted);
  return {200, {{"version", "2.11.4"}, {"vm_uptime", std::to_string(up.count())}}, {}};
}

ApiResponse Api::readLogs(Ctx& c, const std::string& app_guid) {
  requireApp(c, app_guid);  // log-cache asks the controller whether the caller may see the app
  LogQuery q;
  q.start_time_ns = int64Param(c.query, "start_time", 0, INT64_MIN, INT64_MAX);
  q.end_time_ns = int64Param(c.query, "end_time", INT64_MAX, INT64_MIN, INT64_MAX);
  q.limit = static_cast<size_t>(int64Param(c.query, "limit", 100, 1, 1000));
  if (const auto* v = c.query.find("descending")) {
    const std::string d = v->empty() ? "" : (*v)[0];
    if (d != "true" && d != "false" && d != "") {
      throw badQuery("The query parameter is invalid: descending must be true or false");
    }
    q.descending = d == "true";
  }
  bool wants_logs = true;
  if (const auto* types = c.query.find("envelope_types")) {
    // May repeat (envelope_types=LOG&envelope_types=GAUGE) or be a comma list.
    wants_logs = false;
    for (const auto& [k, values] : c.query.params) {
      if (k != "envelope_types") continue;
      for (const auto& t : values) wants_logs = wants_logs || t == "LOG" || t == "ANY";
    }
    (void)types;
  }
  json batch = json::array();
  if (wants_logs && staging_.logs) {
    for (const auto& l : staging_.logs->read(app_guid, q)) {
      batch.push_back(
          {{"timestamp", std::to_string(l.timestamp_ns)},
           {"source_id", l.app_guid},
           {"instance_id", l.instance_index.empty() ? "0" : l.instance_index},
           {"tags", {{"source_type", l.source_type}}},
           {"log", {{"payload", base64(l.message)}, {"type", l.message_type == "ERR" ? "ERR" : "OUT"}}}});
    }
  }
  return {200, {{"envelopes", {{"batch", std::move(batch)}}}}, {}};
}

}  // namespace foundry::control
