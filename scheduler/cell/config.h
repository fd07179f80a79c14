#pragma once
// The cell's settings (README.md lists the flags) and the machine-derived defaults.
#include <cstdint>
#include <string>
#include <vector>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"

namespace foundry::cell {

// How instances run: in an OCI container (runc; README.md "Containers"), or as bare process
// groups on the host with no isolation (--isolation none, only when asked for).
enum class Isolation { kContainer, kNone };

struct CellConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9100;
  std::string id;                               // default cell-<listen port>
  std::string scheduler_url = "http://127.0.0.1:9023";
  std::string address = "127.0.0.1";            // where instances are reachable
  std::string zone = "z1";
  std::vector<std::string> placement_tags;
  sched::Resources total;                       // memory_mb, disk_mb, containers
  uint16_t port_first = 61000, port_last = 61999;
  std::string work_dir;                         // absolute, canonical
  std::string launcher;                         // path of the launcher binary
  // --lifecycle-dir: a folder every task sees read-only (at /tmp/lifecycle in a container;
  // LIFECYCLE_DIR in its environment): the stager and the buildpacks. "" = none.
  std::string lifecycle_dir;
  std::string nats_url;                         // "" = logs only to files
  int stop_grace_s = 10;
  int unhealthy_interval_ms = 2000;             // startup check period
  int presence_interval_ms = 5000;
  bool use_cgroup = true;                       // false: always the RSS watchdog
  std::string secrets_dir;                      // --secrets (required by main)
  Isolation isolation = Isolation::kContainer;
  std::string oci_runtime = "runc";             // --oci-runtime: the binary (resolved by main)
  int pids_limit = 1024;                        // processes per container (Garden's default)
  net::Authorizer authorize;                    // signs calls to the scheduler and downloads

  std::string repUrl() const;                   // http://<listen host or address>:<port>
};

// MemTotal of /proc/meminfo in MB (0 when unreadable).
int machineMemoryMb();
// Free space (for unprivileged users) of the file system holding `dir`, in MB.
int freeDiskMb(const std::string& dir);
// "a,b" -> {"a","b"} (empty items dropped, spaces trimmed).
std::vector<std::string> splitTags(const std::string& text);
// Parses "HOST:PORT" ("[::1]:9100" too). False on anything else.
bool parseHostPort(const std::string& text, std::string* host, uint16_t* port);

}  // namespace foundry::cell
