#pragma once
// Live reload on SIGHUP: the config file is read again and, if it is valid, applied to new
// requests without dropping anything in flight.
//
//  1. Load and validate the file. A parse error or a bad value refuses the reload
//     (config-reload-failed, naming the problem): nothing changes.
//  2. Keys that only start-up code reads (reload_plan.h) keep their running values and are
//     logged as config-needs-restart.
//  3. Build the new LiveConfig snapshot (anything derived from the config that fails to build
//     refuses the reload too).
//  4. If ip or port changed, open one new listening socket per worker first; a port that
//     cannot be bound refuses the reload with every old listener still open.
//  5. Publish the snapshot (workers pick it up between requests; requests in flight keep the
//     one they started with), hand the new sockets to the workers (each closes its old
//     listener once it accepts on the new one), apply logging.level, and log config-reloaded
//     with the snapshot's generation.
//
// Main thread only.

#include <string>
#include <vector>

#include "router/config/live_config.h"

namespace foundry::router {

class Worker;

class ConfigReloader {
 public:
  ConfigReloader(std::string path, LiveConfigPublisher& publisher);

  // The workers whose listeners follow a port change (none before they are started: they
  // listen on whatever the current snapshot says when they do).
  void setWorkers(std::vector<Worker*> workers) { workers_ = std::move(workers); }

  // Returns true when a new snapshot was published.
  bool reload();

 private:
  std::string path_;
  LiveConfigPublisher& publisher_;
  std::vector<Worker*> workers_;
};

}  // namespace foundry::router
