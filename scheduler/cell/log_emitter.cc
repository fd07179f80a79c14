#include "scheduler/cell/log_emitter.h"

#include <nats/nats.h>

#include <algorithm>
#include <chrono>

#include "common/log/log.h"

namespace foundry::cell {

LogEmitter::LogEmitter(const std::string& nats_url) {
  if (nats_url.empty()) return;
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return;
  natsOptions_SetURL(opts, nats_url.c_str());
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 1000);
  natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  natsStatus status = natsConnection_Connect(&conn_, opts);
  natsOptions_Destroy(opts);
  if (status != NATS_OK && status != NATS_NOT_YET_CONNECTED) {
    log::warn("cell", "nats-connect-failed", {{"url", nats_url}, {"error", natsStatus_GetText(status)}});
    conn_ = nullptr;
  }
}

LogEmitter::~LogEmitter() {
  if (conn_ != nullptr) {
    natsConnection_FlushTimeout(conn_, 1000);
    natsConnection_Destroy(conn_);
  }
}

void LogEmitter::emit(const sched::LogLine& line) {
  if (conn_ == nullptr || line.app_guid.empty()) return;
  std::string payload =
      nlohmann::json(line).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string subject = "logs." + line.app_guid;
  natsConnection_Publish(conn_, subject.c_str(), payload.data(), static_cast<int>(payload.size()));
}

std::string appSourceType(const std::string& process_type) {
  std::string upper = process_type.empty() ? "web" : process_type;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return "APP/PROC/" + upper;
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace foundry::cell
