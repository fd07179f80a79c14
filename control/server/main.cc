// controller: the Cloud Controller V3-shaped API daemon.
//
//   controller --listen 127.0.0.1:9022 --data-dir DIR --domain apps.internal
//              [--org NAME] [--space NAME] [--log-level info]
//              [--blobstore-dir DIR] [--stager PATH] [--system-buildpacks DIR]
//              [--staging tasks|local] [--staging-timeout SECONDS]
//              [--nats nats://127.0.0.1:4222]
//              [--scheduler http://127.0.0.1:9023] [--internal-url http://HOST:PORT]
//              [--sync-interval 30] [--secrets DIR (default DATA_DIR/secrets)]
//              [--admin-password-file FILE] [--access-token-ttl SECONDS]
//              [--refresh-token-ttl SECONDS]
//
// Staging: with a scheduler, a buildpack build is a task on a cell (TaskStaging; the cell
// fetches the package from /internal/v1/packages/... and sends the droplet back); without one,
// or with --staging local, the stager runs here (StagingRunner, the development setup).
//
// Internal calls: /internal/... (droplet and package downloads by cells) needs a FoundryInternal token
// signed with the key in --secrets DIR (common/auth/internal_credentials.h), else 401; the
// calls to the scheduler are signed with it.
//
// The token service (control/auth/token_service.h) is served under /uaa by this process. Its
// signing key is DATA_DIR/token-signing-key.pem (made at first start, 0600). The first admin
// is user `admin`; its password comes from FOUNDRY_ADMIN_PASSWORD or --admin-password-file,
// else a random one is written to DATA_DIR/admin-password (0600) and printed once. The
// `admin` client (client_credentials) uses FOUNDRY_ADMIN_CLIENT_SECRET, else a random secret
// kept in DATA_DIR/admin-client-secret (0600).
//
// One thread: a libevent loop with evhttp (the API is low-rate) in front of Api, with the
// SqliteStore in DIR/controller.db. Async jobs (deletes) run on the loop right after the 202
// is sent, and at start for jobs a previous run left PROCESSING. SIGINT/SIGTERM stop it.
// Local staging (StagingRunner) and upload assembly (Offloader) run on worker threads; their
// follow-ups hop back to the loop through a queue and an event made active from the worker
// (libevent pthreads). Log lines arrive on
// nats.c threads into the thread-safe LogBuffer.
//
// The scheduler hand-off (control/scheduling/): changes the API makes are turned into desired
// LRPs on the loop and sent by one Reconciler worker thread; a 1 s loop timer queues the full
// sync (PUT /v1/sync) at start and every --sync-interval seconds (5 s after a failed one), and
// advances rolling deployments (Api::advanceDeployments: their new instances all RUNNING?).
// Stats calls ask the scheduler from the loop with a 2 s timeout.

#include <event2/buffer.h>
#include "common/net/evhttp_method.h"
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/auth/jwt.h"
#include "common/auth/password.h"
#include "control/api/api.h"
#include "control/auth/token_service.h"
#include "control/blobstore/local_blobstore.h"
#include "control/logs/log_buffer.h"
#include "control/logs/nats_log_subscriber.h"
#include "control/scheduling/desired_state.h"
#include "common/crypto/field_cipher.h"
#include "control/scheduling/reconciler.h"
#include "control/scheduling/scheduler_client.h"
#include "control/staging/offloader.h"
#include "control/staging/staging_runner.h"
#include "control/staging/task_staging.h"
#include "common/auth/internal_credentials.h"
#include "control/store/sqlite_store.h"
#include "common/log/log.h"

namespace {

using foundry::control::Api;
using foundry::control::ApiRequest;
using foundry::control::ApiResponse;
namespace log = foundry::log;

struct Server {
  Api* api;
  event_base* base;
  std::string listen;  // fallback for links when a request has no Host
  bool jobs_scheduled = false;
  const foundry::auth::InternalCredentials* credentials = nullptr;  // checks /internal/...
};

// True when the API could route `path` under /internal/: its first non-empty segment,
// percent-decoded, is "internal" in any case (so "//internal/..." and "/%69nternal/..." count).
bool isInternalPath(const std::string& path) {
  size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) return false;
  size_t end = path.find('/', start);
  std::string segment = path.substr(start, end == std::string::npos ? end : end - start);
  std::string decoded;
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && hex(segment[i + 1]) &&
        hex(segment[i + 2])) {
      decoded += static_cast<char>(std::stoi(segment.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += segment[i];
    }
  }
  return strcasecmp(decoded.c_str(), "internal") == 0;
}

// The internal paths take a signed token only (never a user's): 401 otherwise, logged without
// the header's value.
bool internalCallAllowed(evhttp_request* req, const Server& s, const ApiRequest& r) {
  const char* target = evhttp_request_get_uri(req);
  std::string raw = target ? target : "";
  raw = raw.substr(0, raw.find('?'));  // evhttp reads "//x/..." as an authority: check both
  if (!isInternalPath(r.path) && !isInternalPath(raw)) return true;
  std::string why;
  if (s.credentials->verify(r.authorization, r.method, target ? target : "", &why)) return true;
  char* peer = nullptr;
  uint16_t peer_port = 0;
  evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &peer_port);
  log::warn("controller", "unauthorized-internal-call",
            {{"method", r.method}, {"path", r.path}, {"reason", why},
             {"peer", std::string(peer ? peer : "") + ":" + std::to_string(peer_port)}});
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "WWW-Authenticate", foundry::auth::InternalCredentials::kScheme);
  evhttp_add_header(headers, "Content-Type", "application/json; charset=utf-8");
  std::string text = nlohmann::json{{"errors",
                                     {{{"code", 10002},
                                       {"title", "CF-NotAuthenticated"},
                                       {"detail", "Authentication error"}}}}}
                         .dump();
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, text.data(), text.size());
  evhttp_send_reply(req, 401, nullptr, out);
  evbuffer_free(out);
  return false;
}

// Follow-ups from worker threads (staging results, assembled uploads), run on the loop: the
// store is single-threaded.
struct LoopInbox {
  event* wake = nullptr;
  std::mutex mu;
  std::deque<std::function<void()>> tasks;

  void push(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu);
      tasks.push_back(std::move(task));
    }
    event_active(wake, EV_READ, 0);  // thread-safe: evthread_use_pthreads() ran first
  }
};

void drainLoopInbox(evutil_socket_t, short, void* arg) {
  auto* inbox = static_cast<LoopInbox*>(arg);
  std::deque<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(inbox->mu);
    tasks.swap(inbox->tasks);
  }
  for (auto& task : tasks) {
    try {
      task();
    } catch (const std::exception& e) {
      log::error("controller", "loop-task-failed", {{"error", e.what()}});
    }
  }
}

void runJobs(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<Server*>(arg);
  s->jobs_scheduled = false;
  try {
    s->api->runPendingJobs();
    s->api->advanceServiceOperations();  // a new broker call goes out at once
  } catch (const std::exception& e) {
    log::error("controller", "jobs-failed", {{"error", e.what()}});
  }
}

// Broker calls owed (polls, retries, mitigations) come due on their own: look every second.
void onServiceTimer(evutil_socket_t, short, void* arg) {
  try {
    static_cast<Api*>(arg)->advanceServiceOperations();
  } catch (const std::exception& e) {
    log::error("controller", "broker-calls-failed", {{"error", e.what()}});
  }
}

void onRequest(evhttp_request* req, void* arg) {
  auto* s = static_cast<Server*>(arg);
  ApiRequest r;
  r.method = foundry::net::evhttpMethodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  r.path = path && *path ? path : "/";
  r.query = query ? query : "";
  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t len = evbuffer_get_length(in);
  r.body.resize(len);
  if (len) evbuffer_copyout(in, r.body.data(), len);
  const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
  r.base_url = std::string("http://") + (host && *host ? host : s->listen.c_str());
  const char* content_type =
      evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
  r.content_type = content_type ? content_type : "";
  const char* authorization =
      evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
  r.authorization = authorization ? authorization : "";
  const char* checksum =
      evhttp_find_header(evhttp_request_get_input_headers(req), "X-Checksum-Sha256");
  r.checksum_sha256 = checksum ? checksum : "";
  if (!internalCallAllowed(req, *s, r)) return;

  ApiResponse resp = s->api->handle(r);
  int file_fd = -1;
  off_t file_size = 0;
  if (!resp.file_path.empty()) {
    // Streamed from the blobstore by evbuffer_add_file (sendfile/mmap), never read whole.
    file_fd = open(resp.file_path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (file_fd < 0 || fstat(file_fd, &st) != 0) {
      if (file_fd >= 0) close(file_fd);
      file_fd = -1;
      resp = {500,
              {{"errors", {{{"code", 10001}, {"title", "UnknownError"},
                            {"detail", "An unknown error occurred."}}}}},
              {}};
    } else {
      file_size = st.st_size;
    }
  }

  evkeyvalq* out_headers = evhttp_request_get_output_headers(req);
  for (const auto& [k, v] : resp.headers) {
    evhttp_add_header(out_headers, k.c_str(), v.c_str());
  }
  evbuffer* out = evbuffer_new();
  if (file_fd >= 0) {
    evbuffer_add_file(out, file_fd, 0, file_size);  // takes ownership of the fd
  } else {
    // Always JSON (evhttp would otherwise label a bodiless 202 as text/html).
    evhttp_add_header(out_headers, "Content-Type", "application/json; charset=utf-8");
  }
  if (file_fd < 0 && !resp.body.is_null()) {
    // replace: a detail may echo request bytes that are not UTF-8 (e.g. a %FF query key).
    std::string text = resp.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    evbuffer_add(out, text.data(), text.size());
  }
  evhttp_send_reply(req, resp.status, nullptr, out);
  evbuffer_free(out);
  log::info("controller", "request",
            {{"method", r.method}, {"path", r.path}, {"status", std::to_string(resp.status)}});
  if (resp.status == 202 && !s->jobs_scheduled) {
    s->jobs_scheduled = true;
    timeval now{0, 0};
    event_base_once(s->base, -1, EV_TIMEOUT, runJobs, s, &now);
  }
}

// The full sync's schedule: the loop's 1 s timer queues a sync when it is due and none is in
// flight; the Reconciler's thread reports the outcome, which sets the next due time.
struct SyncSchedule {
  Api* api;  // its rolling deployments advance on the same 1 s timer
  foundry::control::scheduling::DesiredState* desired;
  foundry::control::scheduling::Reconciler* reconciler;
  std::chrono::seconds interval;
  std::atomic<int64_t> next_due_ms{0};  // steady clock; 0: at once
  std::atomic<bool> in_flight{false};
  int64_t next_task_sync_ms = 0;  // tasks whose end was not reported: asked every 10 s
};

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void onSyncTimer(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<SyncSchedule*>(arg);
  try {
    s->api->advanceDeployments();  // asks the scheduler only while a deployment is DEPLOYING
  } catch (const std::exception& e) {
    log::error("controller", "deployments-failed", {{"error", e.what()}});
  }
  if (steadyMs() >= s->next_task_sync_ms) {
    s->next_task_sync_ms = steadyMs() + 10'000;
    try {
      s->api->syncTasks();
      s->api->syncStagingTasks();
    } catch (const std::exception& e) {
      log::error("controller", "task-sync-failed", {{"error", e.what()}});
    }
  }
  if (s->in_flight || steadyMs() < s->next_due_ms) return;
  try {
    auto all = s->desired->all();
    s->in_flight = true;
    s->reconciler->sync(std::move(all));
  } catch (const std::exception& e) {
    log::error("controller", "sync-failed", {{"error", e.what()}});
  }
}

void onSignal(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

// Reads a one-line secret file (trailing newline dropped); nullopt when absent.
std::optional<std::string> readSecretFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return std::nullopt;
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  std::string v(buf, n);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

// Writes a secret to a new 0600 file; false on failure.
bool writeSecretFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string line = value + "\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  return ok;
}

// The admin's password: the environment, a file, the one generated at an earlier start, or
// a new random one (written to DATA_DIR/admin-password and printed once). `generated` tells.
std::optional<std::string> adminPassword(const std::string& data_dir, const std::string& file,
                                         bool* generated) {
  *generated = false;
  if (const char* env = std::getenv("FOUNDRY_ADMIN_PASSWORD"); env && *env) return env;
  if (!file.empty()) return readSecretFile(file);
  const std::string kept = data_dir + "/admin-password";
  if (auto v = readSecretFile(kept)) return v;
  std::string fresh = foundry::auth::randomSecret(18).reveal();
  if (!writeSecretFile(kept, fresh)) return std::nullopt;
  *generated = true;
  return fresh;
}

std::optional<std::string> adminClientSecret(const std::string& data_dir) {
  if (const char* env = std::getenv("FOUNDRY_ADMIN_CLIENT_SECRET"); env && *env) return env;
  const std::string kept = data_dir + "/admin-client-secret";
  if (auto v = readSecretFile(kept)) return v;
  std::string fresh = foundry::auth::randomSecret(24).reveal();
  if (!writeSecretFile(kept, fresh)) return std::nullopt;
  return fresh;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "controller: %s\nusage: controller --listen HOST:PORT --data-dir DIR "
               "[--domain apps.internal] [--org NAME] [--space NAME] [--log-level LEVEL]\n"
               "  [--blobstore-dir DIR (default DATA_DIR/blobs)] [--stager PATH (default: "
               "stager next to this binary)]\n"
               "  [--staging tasks|local (default: tasks on the cells with a scheduler, else "
               "the stager in this process)]\n"
               "  [--system-buildpacks DIR] [--staging-timeout SECONDS (default 900)] "
               "[--nats URL (logs.> subscriber; off by default)]\n"
               "  [--scheduler URL (default http://127.0.0.1:9023; \"\" = none)] "
               "[--internal-url URL (default http://LISTEN)] [--sync-interval SECONDS (30)]\n"
               "  [--admin-password-file FILE] [--access-token-ttl SECONDS (1200)] "
               "[--refresh-token-ttl SECONDS (1209600)]\n"
               "  [--secrets DIR (internal credentials shared with the scheduler and cells; "
               "default DATA_DIR/secrets)]\n"
               "  [--encryption-keys FILE (AES-256-GCM keys sealing secrets in the database: "
               "{\"current\": label, \"keys\": {label: base64url}};\n"
               "   default DATA_DIR/encryption-keys.json, made at first start)]\n"
               "  [--broker-timeout SECONDS (60)] [--broker-poll-interval SECONDS (5)] "
               "[--broker-max-poll-duration SECONDS (604800)] [--mitigation-retry SECONDS (5)]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:9022", data_dir, level = "info";
  std::string blobstore_dir, nats_url, staging_timeout = "900", staging_mode;
  foundry::control::StagingRunnerConfig staging_config;
  staging_config.stager_path = foundry::control::defaultStagerPath();
  std::string scheduler_url = "http://127.0.0.1:9023", internal_url, secrets_dir;
  int sync_interval_s = 30;
  foundry::control::ApiConfig config;
  foundry::control::TokenServiceConfig token_config;
  std::string admin_password_file, encryption_keys;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--help" || a == "-h") return usage("help") == 2 ? 0 : 0;
    if (a != "--listen" && a != "--data-dir" && a != "--domain" && a != "--org" &&
        a != "--space" && a != "--log-level" && a != "--blobstore-dir" && a != "--stager" &&
        a != "--system-buildpacks" && a != "--staging-timeout" && a != "--nats" &&
        a != "--staging" &&
        a != "--scheduler" && a != "--internal-url" && a != "--sync-interval" &&
        a != "--admin-password-file" && a != "--access-token-ttl" &&
        a != "--refresh-token-ttl" && a != "--secrets" && a != "--encryption-keys" &&
        a != "--broker-timeout" && a != "--broker-poll-interval" &&
        a != "--broker-max-poll-duration" && a != "--mitigation-retry") {
      return usage(("unknown flag " + a).c_str());
    }
    if (!(v = value())) return usage(("missing value for " + a).c_str());
    if (a == "--listen") listen = v;
    if (a == "--data-dir") data_dir = v;
    if (a == "--domain") config.domain = v;
    if (a == "--org") config.organization_name = v;
    if (a == "--space") config.space_name = v;
    if (a == "--log-level") level = v;
    if (a == "--blobstore-dir") blobstore_dir = v;
    if (a == "--stager") staging_config.stager_path = v;
    if (a == "--system-buildpacks") staging_config.system_buildpacks_dir = v;
    if (a == "--staging-timeout") staging_timeout = v;
    if (a == "--staging") staging_mode = v;
    if (a == "--nats") nats_url = v;
    if (a == "--scheduler") scheduler_url = v;  // "" disables the hand-off
    if (a == "--internal-url") internal_url = v;
    if (a == "--admin-password-file") admin_password_file = v;
    if (a == "--access-token-ttl" || a == "--refresh-token-ttl") {
      char* end = nullptr;
      long long n = std::strtoll(v, &end, 10);
      if (!*v || *end || n < 1 || n > 31536000) return usage((a + " must be 1..31536000 seconds").c_str());
      (a == "--access-token-ttl" ? token_config.access_token_ttl : token_config.refresh_token_ttl) = n;
    }
    if (a == "--secrets") secrets_dir = v;
    if (a == "--encryption-keys") encryption_keys = v;
    if (a == "--broker-timeout" || a == "--broker-poll-interval" ||
        a == "--broker-max-poll-duration" || a == "--mitigation-retry") {
      char* end = nullptr;
      long long n = std::strtoll(v, &end, 10);
      if (!*v || *end || n < 1 || n > 31536000) return usage((a + " must be 1..31536000 seconds").c_str());
      if (a == "--broker-timeout") config.broker_timeout_ms = n * 1000;
      if (a == "--broker-poll-interval") config.broker_poll_interval_s = n;
      if (a == "--broker-max-poll-duration") config.broker_max_poll_duration_s = n;
      if (a == "--mitigation-retry") config.mitigation_retry_s = n;
    }
    if (a == "--sync-interval") {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (!*v || *end || n < 1 || n > 3600) return usage("--sync-interval must be 1..3600 seconds");
      sync_interval_s = static_cast<int>(n);
    }
  }
  {
    char* end = nullptr;
    staging_config.timeout_seconds = std::strtod(staging_timeout.c_str(), &end);
    if (end == staging_timeout.c_str() || *end != '\0' || staging_config.timeout_seconds <= 0 ||
        staging_config.timeout_seconds > 86400) {
      return usage("--staging-timeout must be a number of seconds in (0, 86400]");
    }
  }
  if (data_dir.empty()) return usage("--data-dir is required");
  log::Level lv;
  if (!log::parseLevel(level, &lv)) return usage("bad --log-level");
  log::setLevel(lv);
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return usage("--listen must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return usage("bad port in --listen");
  if (!scheduler_url.empty() && scheduler_url.rfind("http://", 0) != 0 &&
      scheduler_url.rfind("https://", 0) != 0) {
    return usage("--scheduler must be an http:// URL (or \"\" to disable)");
  }
  if (internal_url.empty()) internal_url = "http://" + listen;
  if (staging_mode.empty()) staging_mode = scheduler_url.empty() ? "local" : "tasks";
  if (staging_mode != "tasks" && staging_mode != "local") {
    return usage("--staging must be tasks or local");
  }
  if (staging_mode == "tasks" && scheduler_url.empty()) {
    return usage("--staging tasks needs a --scheduler");
  }
  if (mkdir(data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    log::error("controller", "data-dir-failed", {{"dir", data_dir}, {"error", strerror(errno)}});
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (secrets_dir.empty()) secrets_dir = data_dir + "/secrets";
  std::optional<foundry::auth::InternalCredentials> credentials;
  try {
    credentials = foundry::auth::InternalCredentials::loadOrCreate(secrets_dir);
  } catch (const std::exception& e) {
    log::error("controller", "secrets-failed", {{"error", e.what()}});
    return 1;
  }

  std::unique_ptr<foundry::control::SqliteStore> store;
  try {
    if (encryption_keys.empty()) encryption_keys = data_dir + "/encryption-keys.json";
    auto cipher = std::make_shared<const foundry::crypto::FieldCipher>(
        foundry::crypto::FieldCipher::fromKeyFile(encryption_keys));
    store = std::make_unique<foundry::control::SqliteStore>(data_dir + "/controller.db", cipher);
    // A rotated key: what the old one sealed is sealed again with the current one.
    if (int resealed = store->resealSecrets(); resealed > 0) {
      log::info("controller", "secrets-resealed",
                {{"count", std::to_string(resealed)}, {"key", cipher->currentLabel()}});
    }
  } catch (const std::exception& e) {
    log::error("controller", "store-open-failed", {{"error", e.what()}});
    return 1;
  }
  if (blobstore_dir.empty()) blobstore_dir = data_dir + "/blobs";
  std::unique_ptr<foundry::control::LocalBlobstore> blobs;
  try {
    blobs = std::make_unique<foundry::control::LocalBlobstore>(blobstore_dir);
  } catch (const std::exception& e) {
    log::error("controller", "blobstore-open-failed", {{"dir", blobstore_dir}, {"error", e.what()}});
    return 1;
  }
  // The token service: its key, the admin user and the admin client.
  std::optional<foundry::auth::SigningKey> signing_key;
  try {
    signing_key.emplace(foundry::auth::SigningKey::loadOrCreate(data_dir));
  } catch (const std::exception& e) {
    log::error("controller", "signing-key-failed", {{"error", e.what()}});
    return 1;
  }
  bool generated = false;
  auto admin_password = adminPassword(data_dir, admin_password_file, &generated);
  auto client_secret = adminClientSecret(data_dir);
  if (!admin_password || admin_password->empty() || !client_secret) {
    log::error("controller", "admin-credentials-failed",
               {{"data_dir", data_dir}, {"file", admin_password_file}});
    return 1;
  }
  token_config.issuer = "http://" + listen + "/uaa/oauth/token";
  token_config.admin_client_secret = foundry::auth::Secret(*client_secret);
  foundry::control::TokenService tokens(*store, *signing_key, token_config);
  try {
    if (tokens.bootstrapAdmin(foundry::auth::Secret(*admin_password)) && generated) {
      // The operator's first login. Shown once on a terminal; when stdout goes to a file (a
      // supervisor's log) only where it is, so no log ever holds it.
      if (isatty(STDOUT_FILENO)) {
        std::printf("admin password (also in %s/admin-password): %s\n", data_dir.c_str(),
                    admin_password->c_str());
      } else {
        std::printf("admin password generated into %s/admin-password (0600)\n",
                    data_dir.c_str());
      }
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    log::error("controller", "admin-bootstrap-failed", {{"error", e.what()}});
    return 1;
  }
  Api api(*store, config);
  api.useTokenService(&tokens);
  namespace scheduling = foundry::control::scheduling;
  scheduling::SchedulerClient scheduler(scheduler_url, credentials->signer("controller"));
  scheduling::DesiredState desired(*store, internal_url);
  SyncSchedule sync_schedule{&api, &desired, nullptr, std::chrono::seconds(sync_interval_s)};
  std::unique_ptr<scheduling::Reconciler> reconciler;
  if (scheduler.enabled()) {
    reconciler = std::make_unique<scheduling::Reconciler>(scheduler, [&sync_schedule](bool ok) {
      auto wait = ok ? sync_schedule.interval
                     : std::min(sync_schedule.interval, std::chrono::seconds(5));
      sync_schedule.next_due_ms =
          steadyMs() + std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
      sync_schedule.in_flight = false;
    });
    sync_schedule.reconciler = reconciler.get();
    scheduling::Reconciler* worker = reconciler.get();
    api.setSchedulingHooks(
        {[worker, &desired](const std::string& app_guid, bool restart) {
           worker->reconcileApp({app_guid, desired.forApp(app_guid), restart});
         },
         [&scheduler](const std::string& process_guid) {
           return scheduler.actualLrps(process_guid, /*timeout_ms=*/2000);
         },
         [&scheduler, &desired](const foundry::control::AppTask& task) -> std::string {
           auto definition = desired.taskDefinition(task);
           if (!definition) return "the app or its droplet is gone";
           std::string error;
           return scheduler.desireTask(*definition, &error) ? "" : error;
         },
         [&scheduler](const std::string& task_guid) -> std::string {
           std::string error;
           return scheduler.cancelTask(task_guid, &error) ? "" : error;
         },
         [&scheduler](const std::string& task_guid) {
           foundry::control::TaskLookup lookup;
           bool missing = false;
           auto task = scheduler.task(task_guid, &missing);
           using Outcome = foundry::control::TaskLookup::Outcome;
           if (missing) lookup.outcome = Outcome::kMissing;
           if (!task) return lookup;
           lookup.outcome = Outcome::kFound;
           lookup.completed = task->state == foundry::sched::TaskState::kCompleted ||
                              task->state == foundry::sched::TaskState::kResolving;
           lookup.failed = task->failed;
           lookup.failure_reason = task->failure_reason;
           lookup.result = task->result;
           lookup.exit_code = task->exit_code;
           return lookup;
         }});
  }
  try {
    api.bootstrap();
    api.runPendingJobs();  // jobs a previous run accepted but did not finish
  } catch (const std::exception& e) {
    log::error("controller", "bootstrap-failed", {{"error", e.what()}});
    return 1;
  }

  evthread_use_pthreads();  // staging workers wake the loop with event_active
  event_base* base = event_base_new();
  foundry::control::LogBuffer logs;
  LoopInbox inbox;
  inbox.wake = event_new(base, -1, 0, drainLoopInbox, &inbox);
  // A staging outcome from a worker thread, recorded on the loop (the store is single-threaded).
  auto deliver_staging = [&inbox, &api](foundry::control::StagingResult r) {
    inbox.push([&api, r = std::move(r)] { api.finishStaging(r); });
  };
  auto runner = std::make_unique<foundry::control::StagingRunner>(
      staging_config, *blobs,
      [&logs](const std::string& app_guid, const std::string& line, bool is_stderr) {
        foundry::sched::LogLine l;
        l.timestamp_ns = foundry::control::nowNs();
        l.app_guid = app_guid;
        l.source_type = "STG";
        l.instance_index = "0";
        l.message_type = is_stderr ? "ERR" : "OUT";
        l.message = line;
        logs.append(std::move(l));
      },
      deliver_staging);
  // With a scheduler, buildpack builds stage as tasks on the cells; the runner above is left
  // with docker builds (no code runs for those) or, without a scheduler, everything.
  std::unique_ptr<foundry::control::TaskStaging> task_staging;
  if (staging_mode == "tasks") {
    const double timeout = staging_config.timeout_seconds;
    task_staging = std::make_unique<foundry::control::TaskStaging>(
        [&scheduler, &desired, timeout](const foundry::control::StagingTask& t) -> std::string {
          auto definition = desired.stagingTaskDefinition(t, timeout);
          if (!definition) return "the app is gone";
          std::string error;
          return scheduler.desireTask(*definition, &error) ? "" : error;
        },
        *runner, deliver_staging);
  }
  auto offloader = std::make_unique<foundry::control::Offloader>(
      [&inbox](std::function<void()> then) { inbox.push(std::move(then)); });
  api.useStaging({blobs.get(),
                  task_staging ? static_cast<foundry::control::StagingBackend*>(task_staging.get())
                               : runner.get(),
                  &logs,
                  [&offloader](std::function<void()> work, std::function<void()> then) {
                    offloader->run(std::move(work), std::move(then));
                  },
                  task_staging != nullptr, staging_config.timeout_seconds});
  try {
    // Their stager died with the previous run (staging tasks on cells go on, and are synced).
    int failed = api.failInterruptedBuilds();
    int uploads = api.failInterruptedUploads();
    if (failed > 0 || uploads > 0) {
      log::warn("controller", "interrupted-work-failed",
                {{"builds", std::to_string(failed)}, {"uploads", std::to_string(uploads)}});
    }
  } catch (const std::exception& e) {
    log::error("controller", "interrupted-work-failed", {{"error", e.what()}});
    return 1;
  }
  std::unique_ptr<foundry::control::NatsLogSubscriber> nats_logs;
  if (!nats_url.empty()) {
    nats_logs = std::make_unique<foundry::control::NatsLogSubscriber>(nats_url, logs);
    std::string err;
    if (!nats_logs->start(&err)) {
      log::error("controller", "nats-failed", {{"url", nats_url}, {"error", err}});
      return 1;
    }
  }
  evhttp* http = evhttp_new(base);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                       EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                       EVHTTP_REQ_OPTIONS);
  evhttp_set_max_body_size(http, 1LL << 30);  // package uploads (1 GiB)
  evhttp_set_timeout(http, 60);
  Server server{&api, base, listen};
  server.credentials = &*credentials;
  evhttp_set_gencb(http, onRequest, &server);
  if (!evhttp_bind_socket_with_handle(http, host.c_str(), static_cast<uint16_t>(port))) {
    log::error("controller", "listen-failed", {{"listen", listen}, {"error", strerror(errno)}});
    return 1;
  }
  event* sigint = evsignal_new(base, SIGINT, onSignal, base);
  event* sigterm = evsignal_new(base, SIGTERM, onSignal, base);
  event_add(sigint, nullptr);
  event_add(sigterm, nullptr);
  event* service_timer = event_new(base, -1, EV_PERSIST, onServiceTimer, &api);
  {
    timeval every_second{1, 0};
    event_add(service_timer, &every_second);
  }
  event* sync_timer = nullptr;
  if (reconciler) {
    sync_timer = event_new(base, -1, EV_PERSIST, onSyncTimer, &sync_schedule);
    timeval every_second{1, 0};
    event_add(sync_timer, &every_second);
    onSyncTimer(-1, 0, &sync_schedule);  // the first sync at once
  }
  log::info("controller", "controller-started",
            {{"listen", listen}, {"data_dir", data_dir}, {"domain", config.domain},
             {"blobstore_dir", blobstore_dir}, {"staging", staging_mode}, {"stager", staging_config.stager_path},
             {"nats", nats_url}, {"scheduler", scheduler_url.empty() ? "disabled" : scheduler_url},
             {"internal_url", internal_url}, {"secrets", secrets_dir}});
  event_base_dispatch(base);
  log::info("controller", "controller-stopped");
  runner.reset();     // kills running stagings and joins the workers
  offloader.reset();  // waits for uploads being assembled (bounded work)
  nats_logs.reset();
  event_free(inbox.wake);
  if (sync_timer) event_free(sync_timer);
  event_free(service_timer);
  event_free(sigint);
  event_free(sigterm);
  evhttp_free(http);
  event_base_free(base);
  return 0;
}
