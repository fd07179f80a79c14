#include "control/services/broker_client.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "common/net/http_client.h"
#include "control/api/api.h"  // newGuid

namespace foundry::control::services {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string percentEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

BrokerCall call(const BrokerEndpoint& broker, const std::string& method, const std::string& path,
                const std::string& query, const std::string& body, const CallOptions& options) {
  std::string base = broker.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  BrokerCall c;
  c.method = method;
  c.url = base + path + (query.empty() ? "" : "?" + query);
  c.body = body;
  c.timeout_ms = options.timeout_ms;
  c.headers = {
      {"X-Broker-API-Version", kBrokerApiVersion},
      {"X-Broker-API-Request-Identity", newGuid()},
      {"Authorization",
       "Basic " + base64(broker.username + ":" + broker.password.reveal())},
      {"Accept", "application/json"},
  };
  if (!options.originating_user.empty()) {
    const std::string identity = nlohmann::json{{"user_id", options.originating_user}}.dump();
    c.headers.emplace_back("X-Broker-API-Originating-Identity", "cloudfoundry " + base64(identity));
  }
  if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
  return c;
}

}  // namespace

std::string queryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    q += (q.empty() ? "" : "&") + percentEncode(k) + "=" + percentEncode(v);
  }
  return q;
}

BrokerCall catalogCall(const BrokerEndpoint& broker, const CallOptions& options) {
  CallOptions anonymous = options;
  anonymous.originating_user.clear();
  return call(broker, "GET", "/v2/catalog", "", "", anonymous);
}

BrokerCall instanceCall(const BrokerEndpoint& broker, const std::string& method,
                        const std::string& instance_id, const std::string& query,
                        const std::string& body, const CallOptions& options) {
  return call(broker, method, "/v2/service_instances/" + percentEncode(instance_id), query, body,
              options);
}

BrokerCall bindingCall(const BrokerEndpoint& broker, const std::string& method,
                       const std::string& instance_id, const std::string& binding_id,
                       const std::string& query, const std::string& body,
                       const CallOptions& options) {
  return call(broker, method,
              "/v2/service_instances/" + percentEncode(instance_id) + "/service_bindings/" +
                  percentEncode(binding_id),
              query, body, options);
}

BrokerCall lastOperationCall(const BrokerEndpoint& broker, const std::string& instance_id,
                             const std::string& binding_id, const std::string& service_id,
                             const std::string& plan_id, const std::string& operation,
                             const CallOptions& options) {
  std::vector<std::pair<std::string, std::string>> params = {{"service_id", service_id},
                                                             {"plan_id", plan_id}};
  if (!operation.empty()) params.emplace_back("operation", operation);
  std::string path = "/v2/service_instances/" + percentEncode(instance_id);
  if (!binding_id.empty()) path += "/service_bindings/" + percentEncode(binding_id);
  return call(broker, "GET", path + "/last_operation", queryString(params), "", options);
}

BrokerReply perform(const BrokerCall& c) {
  net::HttpRequest request;
  request.method = c.method;
  request.url = c.url;
  request.body = c.body;
  request.headers = c.headers;
  request.timeout_ms = c.timeout_ms;
  request.connect_timeout_ms = std::min<long>(c.timeout_ms, 5000);
  net::HttpResponse r = net::perform(request);
  BrokerReply reply;
  reply.status = r.status;
  reply.timed_out = r.timed_out;
  reply.body = std::move(r.body);
  reply.retry_after = r.header("retry-after");
  reply.error = std::move(r.error);
  return reply;
}

}  // namespace foundry::control::services
