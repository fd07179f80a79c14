#pragma once
// Broker: the OSB handler of postgres-broker (brokers/README.md has the behaviour table).
//
// Threading: handlers run on the server's worker threads and each opens its own libpq
// connections (a statement never waits behind another request's, and a dead connection
// never outlives a request). Everything that changes an instance or binding holds mutate_
// from its first read to its last write, so two requests for the same id cannot interleave;
// the broker is a low-rate control-plane service, so one lock for all is enough. Reads
// (fetch, last_operation, catalog) take no lock. Async operations run one at a time on the
// job thread; their state lives in the state store, so a restart resumes them (start()).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "brokers/osb/handler.h"
#include "brokers/postgres/pg.h"
#include "brokers/postgres/provisioner.h"
#include "brokers/postgres/state_store.h"

namespace foundry::pgbroker {

struct BrokerConfig {
  PgTarget admin;                    // the server and its admin user
  std::string public_host;           // hostname put in credentials
  std::chrono::milliseconds async_delay{0};  // simulated slowness of async operations
};

class Broker : public osb::Handler {
 public:
  explicit Broker(BrokerConfig config);
  ~Broker() override;  // stops the job thread; an unfinished job resumes at the next start

  // Creates the state database, loads the secret, re-queues operations a previous run left
  // in flight and starts the job thread. Throws PgError when the server is unreachable.
  void start();

  // osb::Handler
  osb::OsbResponse catalog(const osb::OsbRequest& req) override;
  osb::OsbResponse provision(const osb::OsbRequest& req) override;
  osb::OsbResponse fetchInstance(const osb::OsbRequest& req) override;
  osb::OsbResponse update(const osb::OsbRequest& req) override;
  osb::OsbResponse deprovision(const osb::OsbRequest& req) override;
  osb::OsbResponse instanceLastOperation(const osb::OsbRequest& req) override;
  osb::OsbResponse bind(const osb::OsbRequest& req) override;
  osb::OsbResponse fetchBinding(const osb::OsbRequest& req) override;
  osb::OsbResponse unbind(const osb::OsbRequest& req) override;
  osb::OsbResponse bindingLastOperation(const osb::OsbRequest& req) override;

 private:
  void enqueue(const std::string& instance_id);
  void jobLoop();
  void runJob(const std::string& instance_id);  // holds mutate_
  // Drops the database and every binding role of `row` (caller holds mutate_).
  void dropEverything(const InstanceRow& row);
  nlohmann::json bindingCredentials(const BindingRow& binding, const InstanceRow& instance);

  BrokerConfig config_;
  StateStore store_;
  Provisioner provisioner_;
  auth::Secret secret_;  // set once in start()

  std::mutex mutate_;

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::string> jobs_;  // guarded by jobs_mu_
  bool stop_ = false;             // guarded by jobs_mu_
  std::thread job_thread_;
};

}  // namespace foundry::pgbroker
