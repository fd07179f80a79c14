#include "tests/test_common/nats_publisher.h"

namespace foundry::test {

std::string registryJson(const std::string& uri, const std::string& host, uint16_t port,
                         const std::string& extra_json) {
  std::string json = "{\"host\":\"" + host + "\",\"port\":" + std::to_string(port) +
                     ",\"uris\":[\"" + uri + "\"]";
  if (!extra_json.empty()) json += "," + extra_json;
  return json + "}";
}

NatsPublisher::NatsPublisher(const std::string& url) {
  if (natsConnection_ConnectTo(&conn_, url.c_str()) != NATS_OK) conn_ = nullptr;
}

NatsPublisher::~NatsPublisher() {
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
}

bool NatsPublisher::publish(const std::string& subject, const std::string& payload) {
  if (conn_ == nullptr) return false;
  if (natsConnection_Publish(conn_, subject.c_str(), payload.data(),
                             static_cast<int>(payload.size())) != NATS_OK) {
    return false;
  }
  return natsConnection_FlushTimeout(conn_, 5000) == NATS_OK;
}

bool NatsPublisher::registerRoute(const std::string& uri, const std::string& host, uint16_t port,
                                  const std::string& extra_json) {
  return publish("router.register", registryJson(uri, host, port, extra_json));
}

bool NatsPublisher::unregisterRoute(const std::string& uri, const std::string& host,
                                    uint16_t port) {
  return publish("router.unregister", registryJson(uri, host, port));
}

std::string NatsPublisher::request(const std::string& subject, const std::string& payload,
                                   int timeout_ms) {
  if (conn_ == nullptr) return "";
  natsMsg* reply = nullptr;
  if (natsConnection_Request(&reply, conn_, subject.c_str(), payload.data(),
                             static_cast<int>(payload.size()), timeout_ms) != NATS_OK) {
    return "";
  }
  std::string data(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return data;
}

}  // namespace foundry::test
