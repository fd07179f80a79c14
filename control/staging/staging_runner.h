#pragma once
// StagingRunner: the real StagingBackend. Each staging runs on its own worker thread: the
// package is extracted to a temp dir in the blobstore, the `stager` binary
// (staging/README.md) runs in its own process group with the app's buildpack cache, every
// output line goes to `on_line` as it comes, and at the end the droplet and the new cache are
// put in the blobstore and `on_done` gets the StagingResult (on the worker thread: the owner
// hops it over to the event loop).
//
// The stager enforces --timeout itself; the runner kills its process group 30 s after that
// as a backstop, and on destruction (controller shutdown) kills every running staging and
// joins the workers.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/blobstore/blobstore.h"
#include "control/staging/staging_backend.h"

namespace foundry::control {

struct StagingRunnerConfig {
  std::string stager_path;            // the stager binary
  std::string system_buildpacks_dir;  // "" = the stager's default
  double timeout_seconds = 900;       // --timeout given to the stager
};

// The default stager: `stager` next to the running binary (/proc/self/exe).
std::string defaultStagerPath();

class StagingRunner : public StagingBackend {
 public:
  using LineSink = std::function<void(const std::string& app_guid, const std::string& line,
                                      bool is_stderr)>;
  using DoneSink = std::function<void(StagingResult result)>;

  StagingRunner(StagingRunnerConfig config, Blobstore& blobs, LineSink on_line,
                DoneSink on_done);
  ~StagingRunner() override;
  StagingRunner(const StagingRunner&) = delete;
  StagingRunner& operator=(const StagingRunner&) = delete;

  void stage(const StagingTask& task) override;

  // Runs one staging on the calling thread (what the workers do). Public for tests.
  StagingResult run(const StagingTask& task);

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<bool> done;
  };
  // Runs the stager, streaming lines; the exit code (128+signal, -1 if it could not start).
  int runStager(const std::vector<std::string>& argv, const std::string& app_guid,
                const std::string& build_guid, std::string* start_error);
  void reapFinished();

  StagingRunnerConfig config_;
  Blobstore& blobs_;
  LineSink on_line_;
  DoneSink on_done_;

  std::mutex mu_;
  bool stopping_ = false;
  std::map<std::string, pid_t> running_;  // build guid -> stager pid (= its process group)
  std::vector<Worker> workers_;
};

}  // namespace foundry::control
