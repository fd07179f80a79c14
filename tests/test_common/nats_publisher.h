#pragma once
// NatsPublisher: a nats.c client for tests that plays a route emitter: publishes
// router.register / router.unregister (and anything else), flushed so the message has reached
// the server when the call returns.
//
//   NatsPublisher emitter(nats.url());
//   emitter.registerRoute("app.example.com", "127.0.0.1", be.port());

#include <nats/nats.h>

#include <string>
#include <vector>

namespace foundry::test {

class NatsPublisher {
 public:
  explicit NatsPublisher(const std::string& url);
  ~NatsPublisher();
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  bool ok() const { return conn_ != nullptr; }
  bool publish(const std::string& subject, const std::string& payload);
  // {"host":host,"port":port,"uris":[uri],...extra_json fields} on router.register.
  bool registerRoute(const std::string& uri, const std::string& host, uint16_t port,
                     const std::string& extra_json = "");
  bool unregisterRoute(const std::string& uri, const std::string& host, uint16_t port);
  // Sends a request and waits for the reply payload ("" on timeout).
  std::string request(const std::string& subject, const std::string& payload, int timeout_ms);

 private:
  natsConnection* conn_ = nullptr;
};

std::string registryJson(const std::string& uri, const std::string& host, uint16_t port,
                         const std::string& extra_json = "");

}  // namespace foundry::test
