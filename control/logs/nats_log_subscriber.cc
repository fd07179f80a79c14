#include "control/logs/nats_log_subscriber.h"

#include <nats/nats.h>

#include <nlohmann/json.hpp>

#include "common/log/log.h"

namespace foundry::control {
namespace {

void onMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<NatsLogSubscriber*>(closure)->onMessage(
      natsMsg_GetSubject(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

}  // namespace

NatsLogSubscriber::NatsLogSubscriber(std::string url, LogBuffer& buffer)
    : url_(std::move(url)), buffer_(buffer) {}

NatsLogSubscriber::~NatsLogSubscriber() {
  if (sub_) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  if (conn_) {
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
  }
}

bool NatsLogSubscriber::start(std::string* error) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url_.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, "controller-logs");
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  if (s == NATS_OK) {
    s = natsConnection_Connect(&conn_, opts);
    if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK;  // keeps trying in the background
  }
  if (s == NATS_OK) s = natsConnection_Subscribe(&sub_, conn_, "logs.>", onMsg, this);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    *error = std::string("nats: ") + natsStatus_GetText(s);
    return false;
  }
  return true;
}

void NatsLogSubscriber::onMessage(const char* subject, const char* data, int length) {
  ++received_;
  auto j = nlohmann::json::parse(data, data + length, nullptr, false);
  // Read by hand (not j.get<LogLine>()): a wrong type in one field rejects only this line.
  sched::LogLine line;
  if (!j.is_object()) {
    ++rejected_;
    return;
  }
  auto text = [&](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) *out = it->get<std::string>();
  };
  if (auto it = j.find("timestamp_ns"); it != j.end() && it->is_number_integer()) {
    line.timestamp_ns = it->get<int64_t>();
  }
  text("app_guid", &line.app_guid);
  text("source_type", &line.source_type);
  text("instance_index", &line.instance_index);
  text("message_type", &line.message_type);
  text("message", &line.message);
  // The subject names the app; a line without its own app_guid takes it from there.
  std::string subj = subject ? subject : "";
  if (line.app_guid.empty() && subj.rfind("logs.", 0) == 0) line.app_guid = subj.substr(5);
  if (line.app_guid.empty() || line.message_type.empty()) {
    ++rejected_;
    return;
  }
  if (line.timestamp_ns <= 0) line.timestamp_ns = nowNs();
  buffer_.append(std::move(line));
}

}  // namespace foundry::control
