// scale_driver: drives the real router (build/bin/router) through a real nats-server for the
// scale benchmarks (bench/scale/run-scale.sh starts both and runs this once per router
// instance). A plain program: nats.c, POSIX sockets, threads; no router code.
//
// Phases, in this order, each optional:
//  1. register: publishes `--routes` x `--endpoints` router.register messages (one URI each,
//     route-emitter-like payload, see buildTemplate) as fast as nats.c takes them, with one
//     flush at the end; then polls GET /metrics on the status port until the router counted
//     them all (the sum of registry_message{...}) and total_routes went up by --routes, and
//     until a GET for the last host on the data port stops answering 404 (the route is in the
//     table the workers read). With --window W the publisher pauses whenever more than W
//     messages are unapplied. Large runs need it: without it, once the router drains NATS
//     more slowly than the publisher fills it, nats-server queues the backlog for the router
//     and disconnects it as a slow consumer (write deadline 10 s), losing the queued messages.
//     Then --sample random hosts are requested on the data port; all must answer 200.
//  2. heartbeat (--heartbeats): the same messages again (equal fields), measured the same way,
//     with the router's total_dropped_messages before and after.
//  3. memory: VmRSS / VmHWM of --router-pid before phase 1 and after it (once the table is
//     published, and again after --settle seconds, when jemalloc has returned freed pages).
//  4. latency (--trials T): for a fresh host, publish router.register, then spin GETs on one
//     keep-alive connection until the answer is not 404; then router.unregister and spin until
//     404. Times from just before the publish call to the first response that sees the change.
// Routes point at a tiny HTTP backend in this process (one listener per endpoint index on
// 127.0.0.1) so that every visible route answers 200.
//
// Output: markdown table rows on stdout ("| case | metric | value | notes |"), progress on
// stderr. Exit status 1 when something did not complete (routes never showed up, drops, ...).
//
// Every loop is bounded: --timeout seconds per wait (default 120), 2 s per latency trial.

#include <arpa/inet.h>
#include <dirent.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "scale_driver: %s\n", what.c_str());
  std::exit(2);
}

struct Args {
  int nats_port = 0;
  int status_port = 0;
  int data_port = 0;
  int router_pid = 0;
  std::string label = "run";  // first column of the output rows
  std::string prefix = "r";   // host prefix, so that runs do not collide
  size_t routes = 0;          // 0: no register phase
  size_t endpoints = 1;       // per route, 1..99
  size_t window = 0;          // 0: no flow control
  size_t sample = 1000;
  bool heartbeats = false;
  bool minimal_payload = false;
  int trials = 0;
  double settle_s = 0;
  double timeout_s = 120;
  std::string kv_file;  // --kv: also append "key value" lines here, for scripts
};

// ---------------------------------------------------------------------------------------------
// Backend: one listener per endpoint index, a thread per connection, 200 "ok" to everything.

void serveConnection(int fd) {
  static constexpr char kResponse[] =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
  std::string in;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    size_t end;
    while ((end = in.find("\r\n\r\n")) != std::string::npos) {  // GETs only: no bodies
      in.erase(0, end + 4);
      if (::write(fd, kResponse, sizeof kResponse - 1) < 0) {
        ::close(fd);
        return;
      }
    }
  }
  ::close(fd);
}

uint16_t startBackend() {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(lfd, 128) != 0) {
    die(std::string("backend listen: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread([lfd] {
    for (;;) {
      int fd = ::accept(lfd, nullptr, nullptr);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::thread(serveConnection, fd).detach();
    }
  }).detach();
  return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------------------------------------
// HTTP client: blocking, keep-alive, Content-Length bodies only (the router's error pages and
// our backend both send one).

class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  ~HttpClient() { closeFd(); }

  // GET / with this Host; returns the status, or -1 on a connection error / timeout.
  int get(std::string_view host, std::string_view path = "/") {
    std::string req;
    req.reserve(64 + host.size());
    req.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
    req.append("\r\nUser-Agent: scale_driver\r\n\r\n");
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (!reused && !connectFd()) return -1;
      int status = sendAll(req) ? readResponse() : -1;
      if (status >= 0) return status;
      closeFd();
      // A kept-alive connection the router had closed: one retry on a fresh one.
      if (!reused) return -1;
    }
    return -1;
  }

 private:
  bool connectFd() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      closeFd();
      return false;
    }
    buf_.clear();
    return true;
  }
  void closeFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool sendAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool fill() {
    char tmp[8192];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int readResponse() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return -1;
    }
    std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return -1;
    int status = std::atoi(head.c_str() + 9);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    size_t cl = head.find("\r\ncontent-length:");
    if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    bool close = head.find("\r\nconnection: close") != std::string::npos;
    while (buf_.size() < length) {
      if (!fill()) return -1;
    }
    buf_.erase(0, length);
    if (close) closeFd();
    return status;
  }

  int port_;
  int fd_ = -1;
  std::string buf_;
};

// ---------------------------------------------------------------------------------------------
// The router's /metrics (a new connection per poll: the status server closes after each).

struct RouterMetrics {
  bool ok = false;
  uint64_t total_routes = 0;
  uint64_t registry_messages = 0;  // sum over component and action
  uint64_t dropped = 0;
  uint64_t validation_errors = 0;
};

RouterMetrics fetchMetrics(int status_port) {
  RouterMetrics m;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(status_port));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return m;
  }
  static constexpr char kReq[] =
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, kReq, sizeof kReq - 1, MSG_NOSIGNAL) != sizeof kReq - 1) {
    ::close(fd);
    return m;
  }
  std::string body;
  char buf[16384];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) body.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (body.compare(0, 12, "HTTP/1.1 200") != 0) return m;
  m.ok = true;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    std::string_view line(body.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos) continue;
    uint64_t value = std::strtoull(std::string(line.substr(sp + 1)).c_str(), nullptr, 10);
    if (line.starts_with("registry_message{")) {
      m.registry_messages += value;
    } else if (line.starts_with("total_routes ")) {
      m.total_routes = value;
    } else if (line.starts_with("total_dropped_messages ")) {
      m.dropped = value;
    } else if (line.starts_with("nats_validation_errors ")) {
      m.validation_errors = value;
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Messages. All share one length per endpoint index: digits are written in place over '#'
// runs of a template, so building a message costs a memcpy.

constexpr size_t kRouteDigits = 7;
constexpr char kRouteMark[] = "#######";

struct Template {
  std::string text;
  std::vector<size_t> marks;  // offsets of the kRouteDigits-wide route number fields
};

std::string fixed(size_t value, size_t width) {
  std::string s = std::to_string(value);
  if (s.size() > width) die("number too wide: " + s);
  return std::string(width - s.size(), '0') + s;
}

// A route-emitter-style registration (ROUTER-PROTOCOL.md 1.2) of endpoint `e` of route "#":
// the app and instance GUIDs and the tags route-emitter sends (component, app/org/space ids
// and names, process ids). --minimal sends host, port and uris only.
Template buildTemplate(const Args& args, uint16_t port, size_t e) {
  const std::string r = kRouteMark;
  const std::string ee = fixed(e, 2);
  const std::string host = args.prefix + r + ".scale.example.com";
  std::string t;
  t += "{\"host\":\"127.0.0.1\",\"port\":" + std::to_string(port);
  t += ",\"uris\":[\"" + host + "\"]";
  if (!args.minimal_payload) {
    const std::string app = "5c3bd0e4-8c4f-4bd9-a0a3-00000" + r;
    const std::string inst = "4a7b3c1e-2d5f-4e6a-8b9c-000" + ee + r;
    const std::string proc = "9e1f2a3b-4c5d-4e6f-8a9b-00000" + r;
    t += ",\"app\":\"" + app + "\"";
    t += ",\"private_instance_id\":\"" + inst + "\"";
    t += ",\"private_instance_index\":\"" + std::to_string(e) + "\"";
    t += ",\"server_cert_domain_san\":\"" + inst + "\"";
    t += ",\"availability_zone\":\"z1\"";
    t += ",\"endpoint_updated_at_ns\":1700000000000000000";
    t += ",\"tags\":{\"component\":\"route-emitter\",\"app_id\":\"" + app + "\"";
    t += ",\"app_name\":\"app-" + r + "\",\"instance_id\":\"" + std::to_string(e) + "\"";
    t += ",\"organization_id\":\"1b2c3d4e-5f60-4718-9a0b-c1d2e3f40506\"";
    t += ",\"organization_name\":\"scale-org\",\"process_id\":\"" + proc + "\"";
    t += ",\"process_instance_id\":\"" + inst + "\",\"process_type\":\"web\"";
    t += ",\"source_id\":\"" + app + "\"";
    t += ",\"space_id\":\"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d\",\"space_name\":\"scale-space\"}";
  }
  t += "}";
  Template out;
  out.text = t;
  for (size_t pos = 0; (pos = t.find(kRouteMark, pos)) != std::string::npos; pos += kRouteDigits) {
    out.marks.push_back(pos);
  }
  return out;
}

void fillRoute(const Template& tmpl, size_t route, std::string* out) {
  out->assign(tmpl.text);
  char digits[kRouteDigits];
  size_t v = route;
  for (size_t i = kRouteDigits; i-- > 0;) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  for (size_t pos : tmpl.marks) std::memcpy(out->data() + pos, digits, kRouteDigits);
}

std::string hostOf(const Args& args, size_t route) {
  return args.prefix + fixed(route, kRouteDigits) + ".scale.example.com";
}

// ---------------------------------------------------------------------------------------------
// Output.

void row(const Args& args, const std::string& metric, const std::string& value,
         const std::string& notes = "") {
  std::printf("| %s | %s | %s | %s |\n", args.label.c_str(), metric.c_str(), value.c_str(),
              notes.c_str());
  std::fflush(stdout);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Thousands separators for readability: 1234567 -> "1,234,567".
std::string grouped(double v) {
  std::string digits = std::to_string(static_cast<int64_t>(std::llround(v)));
  std::string out;
  int n = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    out.insert(out.begin(), digits[i]);
    if (++n % 3 == 0 && i > 0 && digits[i - 1] != '-') out.insert(out.begin(), ',');
  }
  return out;
}

void kv(const Args& args, const std::string& key, double value) {
  if (args.kv_file.empty()) return;
  if (FILE* f = std::fopen(args.kv_file.c_str(), "a")) {
    std::fprintf(f, "%s %.0f\n", key.c_str(), value);
    std::fclose(f);
  }
}

struct Rss {
  long rss_kb = 0;
  long hwm_kb = 0;
};

Rss readRss(int pid) {
  Rss r;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.starts_with("VmRSS:")) r.rss_kb = std::atol(line.c_str() + 6);
    if (line.starts_with("VmHWM:")) r.hwm_kb = std::atol(line.c_str() + 6);
  }
  return r;
}

// CPU time (utime + stime, in clock ticks) of every thread of a process, by thread id.
std::map<int, long> threadTicks(int pid) {
  std::map<int, long> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task/";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream f(dir + entry->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');  // the command may contain spaces; fields follow ") "
    if (paren == std::string::npos) continue;
    std::vector<std::string> fields;  // fields[0] is field 3 (state)
    size_t pos = paren + 2;
    while (pos < stat.size() && fields.size() < 13) {
      size_t sp = stat.find(' ', pos);
      if (sp == std::string::npos) break;
      fields.push_back(stat.substr(pos, sp - pos));
      pos = sp + 1;
    }
    if (fields.size() == 13) {  // utime and stime: fields 14 and 15
      out[std::atoi(entry->d_name)] = std::atol(fields[11].c_str()) + std::atol(fields[12].c_str());
    }
  }
  ::closedir(d);
  return out;
}

// Router CPU seconds between two snapshots: the whole process and its busiest thread (the
// control thread during registrations; the router does not name its threads).
struct CpuUse {
  double process_s = 0;
  double busiest_thread_s = 0;
};

CpuUse cpuBetween(const std::map<int, long>& a, const std::map<int, long>& b) {
  CpuUse use;
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (const auto& [tid, ticks] : b) {
    auto it = a.find(tid);
    double d = static_cast<double>(ticks - (it == a.end() ? 0 : it->second)) / hz;
    use.process_s += d;
    use.busiest_thread_s = std::max(use.busiest_thread_s, d);
  }
  return use;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

// ---------------------------------------------------------------------------------------------

natsConnection* connectNats(int port, bool send_asap) {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  std::string url = "nats://127.0.0.1:" + std::to_string(port);
  if (natsOptions_Create(&opts) != NATS_OK || natsOptions_SetURL(opts, url.c_str()) != NATS_OK ||
      natsOptions_SetIOBufSize(opts, 1 << 20) != NATS_OK ||
      natsOptions_SetSendAsap(opts, send_asap) != NATS_OK ||
      natsConnection_Connect(&nc, opts) != NATS_OK) {
    die("cannot connect to " + url + ": " + nats_GetLastError(nullptr));
  }
  natsOptions_Destroy(opts);
  return nc;
}

// The router's progress during one publishAll: (seconds since the first publish, messages
// applied since then), one point per /metrics poll.
struct Trace {
  Clock::time_point t0;
  uint64_t base = 0;
  uint64_t total = 0;
  std::vector<std::pair<double, uint64_t>> points;
  double last_report_s = 0;

  // Seconds at which at least `count` messages had been applied (interpolated between polls).
  double timeAt(uint64_t count) const {
    std::pair<double, uint64_t> prev{0.0, 0};
    for (const auto& p : points) {
      if (p.second >= count) {
        if (p.second == prev.second) return p.first;
        double f =
            static_cast<double>(count - prev.second) / static_cast<double>(p.second - prev.second);
        return prev.first + f * (p.first - prev.first);
      }
      prev = p;
    }
    return NAN;
  }
};

// Waits until the router's registry_message sum reaches `target` (and total_routes reaches
// `routes_target` when non-zero). Polls every `every_ms`. False on timeout.
bool waitApplied(const Args& args, uint64_t target, uint64_t routes_target, int every_ms,
                 RouterMetrics* last, Trace* trace) {
  auto t0 = Clock::now();
  while (secondsSince(t0) < args.timeout_s) {
    RouterMetrics m = fetchMetrics(args.status_port);
    if (m.ok) {
      *last = m;
      const double now = secondsSince(trace->t0);
      const uint64_t applied = m.registry_messages - trace->base;
      trace->points.emplace_back(now, applied);
      if (now - trace->last_report_s >= 10) {  // a sign of life on long runs
        trace->last_report_s = now;
        std::fprintf(stderr,
                     "[%s] %.0f s: %" PRIu64 " of %" PRIu64 " applied, total_routes %" PRIu64 "\n",
                     args.label.c_str(), now, applied, trace->total, m.total_routes);
      }
      if (m.registry_messages >= target && m.total_routes >= routes_target) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
  }
  return false;
}

struct PublishResult {
  double publish_s = 0;  // first publish to flush done
  double applied_s = 0;  // first publish to the router having counted every message
  double visible_s = 0;  // first publish to the last host answering non-404
  Trace trace;
  CpuUse cpu;  // router CPU from the first publish to applied
  bool ok = false;
};

// Publishes every (route, endpoint) registration once; see the header comment for what is
// timed. `expect_routes`: total_routes to wait for (0 for heartbeats).
PublishResult publishAll(const Args& args, natsConnection* nc, const std::vector<Template>& tmpls,
                         uint64_t base_count, uint64_t expect_routes) {
  PublishResult res;
  const uint64_t total = args.routes * args.endpoints;
  std::string msg;
  RouterMetrics last;
  uint64_t sent = 0;
  const auto cpu0 = args.router_pid ? threadTicks(args.router_pid) : std::map<int, long>{};
  auto t0 = Clock::now();
  res.trace.t0 = t0;
  res.trace.base = base_count;
  res.trace.total = total;
  const uint64_t check_every = std::max<uint64_t>(1000, args.window / 4);
  for (size_t route = 0; route < args.routes; ++route) {
    for (size_t e = 0; e < args.endpoints; ++e) {
      fillRoute(tmpls[e], route, &msg);
      natsStatus s =
          natsConnection_Publish(nc, "router.register", msg.data(), static_cast<int>(msg.size()));
      if (s != NATS_OK) die(std::string("publish: ") + natsStatus_GetText(s));
      ++sent;
      if (args.window > 0 && sent % check_every == 0 && sent > args.window) {
        // Flow control: let the router catch up to within `window` messages.
        natsConnection_FlushTimeout(nc, 10'000);
        if (!waitApplied(args, base_count + sent - args.window, 0, 10, &last, &res.trace)) {
          std::fprintf(stderr, "router stuck at %" PRIu64 " applied of %" PRIu64 " sent\n",
                       last.registry_messages - base_count, sent);
          return res;
        }
      }
    }
  }
  natsStatus s = natsConnection_FlushTimeout(nc, static_cast<int64_t>(args.timeout_s * 1000));
  if (s != NATS_OK) die(std::string("flush: ") + natsStatus_GetText(s));
  res.publish_s = secondsSince(t0);
  if (!waitApplied(args, base_count + total, expect_routes, 10, &last, &res.trace)) {
    std::fprintf(stderr,
                 "router applied %" PRIu64 " of %" PRIu64 " messages (routes %" PRIu64
                 ", dropped %" PRIu64 ") within %.0f s\n",
                 last.registry_messages - base_count, total, last.total_routes, last.dropped,
                 args.timeout_s);
    return res;
  }
  res.applied_s = secondsSince(t0);
  if (args.router_pid) res.cpu = cpuBetween(cpu0, threadTicks(args.router_pid));
  // The last message's host: visible once the table holding it reached the workers.
  HttpClient client(args.data_port);
  std::string last_host = hostOf(args, args.routes - 1);
  auto tv = Clock::now();
  while (secondsSince(tv) < args.timeout_s) {
    int status = client.get(last_host);
    if (status > 0 && status != 404) {
      res.visible_s = secondsSince(t0);
      res.ok = true;
      return res;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::fprintf(stderr, "%s never stopped answering 404\n", last_host.c_str());
  return res;
}

bool sampleHosts(const Args& args, std::string* summary) {
  HttpClient client(args.data_port);
  std::mt19937_64 rng(12345);
  std::map<int, size_t> by_status;
  size_t n = std::min(args.sample, args.routes);
  for (size_t i = 0; i < n; ++i) {
    ++by_status[client.get(hostOf(args, rng() % args.routes))];
  }
  std::string s;
  for (auto& [status, count] : by_status) {
    if (!s.empty()) s += ", ";
    s += std::to_string(count) + "x" + (status < 0 ? std::string("error") : std::to_string(status));
  }
  *summary = std::to_string(n) + " random hosts: " + s;
  return by_status.size() == 1 && by_status.begin()->first == 200;
}

bool runLatency(const Args& args) {
  natsConnection* nc = connectNats(args.nats_port, /*send_asap=*/true);
  HttpClient client(args.data_port);
  uint16_t port = startBackend();
  std::vector<double> reg_ms;
  std::vector<double> unreg_ms;
  std::vector<uint64_t> reg_polls;
  int failures = 0;
  const std::string nonce = std::to_string(::getpid());
  for (int t = 0; t < args.trials; ++t) {
    std::string host = "lat-" + nonce + "-" + std::to_string(t) + ".scale.example.com";
    std::string msg = "{\"host\":\"127.0.0.1\",\"port\":" + std::to_string(port) + ",\"uris\":[\"" +
                      host + "\"],\"tags\":{\"component\":\"latency\"}}";
    for (int phase = 0; phase < 2; ++phase) {
      const bool reg = phase == 0;
      auto t0 = Clock::now();
      natsStatus s = natsConnection_Publish(nc, reg ? "router.register" : "router.unregister",
                                            msg.data(), static_cast<int>(msg.size()));
      if (s != NATS_OK) die(std::string("publish: ") + natsStatus_GetText(s));
      bool seen = false;
      uint64_t polls = 0;
      while (secondsSince(t0) < 2.0) {
        int status = client.get(host);
        ++polls;
        if (status > 0 && (reg ? status != 404 : status == 404)) {
          seen = true;
          break;
        }
      }
      double ms = secondsSince(t0) * 1e3;
      if (!seen) {
        ++failures;
        std::fprintf(stderr, "trial %d: %s not seen within 2 s\n", t,
                     reg ? "register" : "unregister");
        break;
      }
      (reg ? reg_ms : unreg_ms).push_back(ms);
      if (reg) reg_polls.push_back(polls);
    }
    // A pause between trials, so that each starts with no publish pending in the router.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  natsConnection_Destroy(nc);
  auto dist = [](const std::vector<double>& v) {
    return fmt("%.2f", percentile(v, 50)) + " / " + fmt("%.2f", percentile(v, 90)) + " / " +
           fmt("%.2f", percentile(v, 99)) + " / " + fmt("%.2f", percentile(v, 100));
  };
  std::string n = std::to_string(args.trials) + " trials";
  row(args, "register -> first non-404, ms p50 / p90 / p99 / max", dist(reg_ms),
      n + (failures ? ", " + std::to_string(failures) + " failed" : std::string()));
  row(args, "unregister -> first 404, ms p50 / p90 / p99 / max", dist(unreg_ms), n);
  std::vector<double> polls(reg_polls.begin(), reg_polls.end());
  row(args, "GETs sent per register trial (p50)", fmt("%.0f", percentile(polls, 50)),
      "spin resolution: one keep-alive GET round trip");
  return failures == 0;
}

// Apply rate over the first and the last 10 % of the messages: how the rate changes as the
// table grows.
void decileRow(const Args& args, const std::string& what, const PublishResult& r) {
  const uint64_t total = r.trace.total;
  if (total < 10'000) return;
  const uint64_t tenth = total / 10;
  double first = r.trace.timeAt(tenth);
  double last = r.trace.timeAt(total) - r.trace.timeAt(total - tenth);
  if (!(first > 0) || !(last > 0)) return;
  row(args, what + ": apply rate over the first / last 10 % of messages, msg/s",
      grouped(static_cast<double>(tenth) / first) + " / " +
          grouped(static_cast<double>(tenth) / last),
      "from /metrics polls (" + std::to_string(r.trace.points.size()) + ")");
}

void cpuRow(const Args& args, const std::string& what, const PublishResult& r, double n) {
  if (!args.router_pid || r.cpu.process_s <= 0) return;
  row(args, what + ": msgs per router CPU-second", grouped(n / r.cpu.process_s),
      "router CPU " + fmt("%.2f", r.cpu.process_s) + " s (busiest thread " +
          fmt("%.2f", r.cpu.busiest_thread_s) + " s) from first publish to applied");
}

uint64_t parseCount(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end != nullptr && (*end == 'k' || *end == 'K')) v *= 1e3;
  if (end != nullptr && (*end == 'm' || *end == 'M')) v *= 1e6;
  return static_cast<uint64_t>(v);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) die("missing value after " + k);
      return argv[++i];
    };
    if (k == "--nats-port") {
      a.nats_port = std::atoi(next());
    } else if (k == "--status-port") {
      a.status_port = std::atoi(next());
    } else if (k == "--data-port") {
      a.data_port = std::atoi(next());
    } else if (k == "--router-pid") {
      a.router_pid = std::atoi(next());
    } else if (k == "--label") {
      a.label = next();
    } else if (k == "--prefix") {
      a.prefix = next();
    } else if (k == "--routes") {
      a.routes = parseCount(next());
    } else if (k == "--endpoints") {
      a.endpoints = parseCount(next());
    } else if (k == "--window") {
      a.window = parseCount(next());
    } else if (k == "--sample") {
      a.sample = parseCount(next());
    } else if (k == "--heartbeats") {
      a.heartbeats = true;
    } else if (k == "--minimal") {
      a.minimal_payload = true;
    } else if (k == "--trials") {
      a.trials = std::atoi(next());
    } else if (k == "--settle") {
      a.settle_s = std::atof(next());
    } else if (k == "--timeout") {
      a.timeout_s = std::atof(next());
    } else if (k == "--kv") {
      a.kv_file = next();
    } else {
      die("unknown argument " + k + " (see the header of bench/scale/scale_driver.cc)");
    }
  }
  if (a.nats_port == 0 || a.status_port == 0 || a.data_port == 0) {
    die("--nats-port, --status-port and --data-port are required");
  }
  if (a.endpoints < 1 || a.endpoints > 99) die("--endpoints must be 1..99");
  if (a.routes >= 10'000'000) die("--routes must be below 10M");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parseArgs(argc, argv);
  bool ok = true;
  if (args.routes > 0) {
    std::vector<uint16_t> ports;
    std::vector<Template> tmpls;
    for (size_t e = 0; e < args.endpoints; ++e) {
      ports.push_back(startBackend());
      tmpls.push_back(buildTemplate(args, ports.back(), e));
    }
    natsConnection* nc = connectNats(args.nats_port, /*send_asap=*/false);
    RouterMetrics before = fetchMetrics(args.status_port);
    if (!before.ok) die("no /metrics on status port " + std::to_string(args.status_port));
    Rss rss0 = args.router_pid ? readRss(args.router_pid) : Rss{};
    const uint64_t total = args.routes * args.endpoints;
    std::string size_note =
        std::to_string(tmpls[0].text.size()) + "-byte messages" +
        (args.window ? ", publisher paused when >" + grouped(static_cast<double>(args.window)) +
                           " unapplied"
                     : std::string(", no flow control"));
    std::fprintf(stderr, "[%s] registering %zu routes x %zu endpoints (%s)\n", args.label.c_str(),
                 args.routes, args.endpoints, size_note.c_str());

    PublishResult reg =
        publishAll(args, nc, tmpls, before.registry_messages, before.total_routes + args.routes);
    if (!reg.ok) return 1;
    RouterMetrics after = fetchMetrics(args.status_port);
    const double n = static_cast<double>(total);
    row(args, "new registrations: publish rate, msg/s", grouped(n / reg.publish_s),
        grouped(n) + " msgs in " + fmt("%.2f", reg.publish_s) + " s; " + size_note);
    row(args, "new registrations: applied by the router, msg/s", grouped(n / reg.applied_s),
        "first publish to registry_message sum +" + grouped(n) + " and total_routes " +
            grouped(static_cast<double>(after.total_routes)) + ": " + fmt("%.2f", reg.applied_s) +
            " s");
    decileRow(args, "new registrations", reg);
    cpuRow(args, "new registrations", reg, n);
    row(args, "new registrations: last route served (non-404) after, s", fmt("%.2f", reg.visible_s),
        "first publish to a 200 for the last host published");
    std::string sample_summary;
    bool sample_ok = sampleHosts(args, &sample_summary);
    ok &= sample_ok;
    row(args, "sampled hosts answering 200", sample_ok ? "all" : "NOT ALL", sample_summary);
    if (args.router_pid) {
      Rss rss1 = readRss(args.router_pid);
      std::string when = "right after";
      if (args.settle_s > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(args.settle_s));
        rss1 = readRss(args.router_pid);
        when = fmt("%.0f", args.settle_s) + " s after";
      }
      double delta = static_cast<double>(rss1.rss_kb - rss0.rss_kb) * 1024.0;
      row(args, "router RSS before -> after, MiB",
          fmt("%.1f", rss0.rss_kb / 1024.0) + " -> " + fmt("%.1f", rss1.rss_kb / 1024.0),
          "VmRSS, " + when + "; peak VmHWM " + fmt("%.1f", rss1.hwm_kb / 1024.0) + " MiB");
      kv(args, "rss_delta_bytes", delta);
      kv(args, "routes", static_cast<double>(args.routes));
      kv(args, "endpoints", n);
      row(args, "RSS growth per route, bytes", grouped(delta / static_cast<double>(args.routes)),
          grouped(static_cast<double>(args.routes)) + " routes x " +
              std::to_string(args.endpoints) + " endpoint(s)");
      if (args.endpoints > 1) {
        row(args, "RSS growth per endpoint, bytes", grouped(delta / n),
            grouped(n) + " endpoints (route cost included)");
      }
    }
    if (after.dropped != before.dropped || after.validation_errors != before.validation_errors) {
      ok = false;
    }
    row(args, "NATS drops / invalid messages (router metrics)",
        std::to_string(after.dropped - before.dropped) + " / " +
            std::to_string(after.validation_errors - before.validation_errors),
        "total_dropped_messages, nats_validation_errors");

    if (args.heartbeats) {
      std::fprintf(stderr, "[%s] heartbeats of the same %zu routes\n", args.label.c_str(),
                   args.routes);
      RouterMetrics hb0 = fetchMetrics(args.status_port);
      PublishResult hb = publishAll(args, nc, tmpls, hb0.registry_messages, 0);
      if (!hb.ok) return 1;
      RouterMetrics hb1 = fetchMetrics(args.status_port);
      row(args, "heartbeats: publish rate, msg/s", grouped(n / hb.publish_s),
          grouped(n) + " msgs in " + fmt("%.2f", hb.publish_s) + " s");
      row(args, "heartbeats: applied by the router, msg/s", grouped(n / hb.applied_s),
          "first publish to registry_message sum +" + grouped(n) + ": " +
              fmt("%.2f", hb.applied_s) + " s; total_routes " +
              grouped(static_cast<double>(hb1.total_routes)));
      cpuRow(args, "heartbeats", hb, n);
      row(args, "heartbeats: NATS drops", std::to_string(hb1.dropped - hb0.dropped),
          "total_dropped_messages delta");
      if (hb1.dropped != hb0.dropped) ok = false;
    }
    natsConnection_Destroy(nc);
  }
  if (args.trials > 0) {
    std::fprintf(stderr, "[%s] %d register/unregister latency trials\n", args.label.c_str(),
                 args.trials);
    ok &= runLatency(args);
  }
  nats_Close();
  return ok ? 0 : 1;
}
