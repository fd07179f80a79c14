#include "scheduler/cell/task_transfers.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "scheduler/cell/droplet_cache.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {

constexpr long kTransferTimeoutMs = 15L * 60 * 1000;  // a big package on a slow link
constexpr size_t kErrorBodyBytes = 200;               // of a refusal's body, in the error

// Closes an fd at the end of its scope.
class TransferFd {
 public:
  explicit TransferFd(int fd = -1) : fd_(fd) {}
  ~TransferFd() {
    if (fd_ >= 0) close(fd_);
  }
  TransferFd(const TransferFd&) = delete;
  TransferFd& operator=(const TransferFd&) = delete;
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

int openBelowRoot(int root_fd, const std::string& relative, int flags, mode_t mode = 0) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  const std::string path = relative.empty() ? "." : relative;
  return static_cast<int>(syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how));
}

// Which sandbox directory holds `visible` ("/tmp/app.tgz" -> host "<disk>/tmp", "app.tgz").
bool splitSandboxPath(const std::string& visible, const SandboxDirs& dirs, std::string* host_dir,
                      std::string* relative, std::string* error) {
  for (const auto& [dir, host] : dirs) {
    if (visible.size() > dir.size() + 1 && visible.compare(0, dir.size(), dir) == 0 &&
        visible[dir.size()] == '/') {
      *host_dir = host;
      *relative = visible.substr(dir.size() + 1);
      return true;
    }
  }
  *error = visible + " is not in a directory the task can write";
  return false;
}

std::string errnoText(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Opens (creating what is missing) the directory `relative` below root_fd; every component is
// resolved inside the root. -1 and `error` on failure.
int openDirCreating(int root_fd, const std::string& visible, const std::string& relative,
                    std::string* error) {
  TransferFd current(openBelowRoot(root_fd, "", O_RDONLY | O_DIRECTORY));
  if (current.get() < 0) {
    *error = errnoText("cannot open the directory of " + visible, errno);
    return -1;
  }
  std::string prefix;
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) slash = relative.size();
    const std::string name = relative.substr(start, slash - start);
    start = slash + 1;
    if (name.empty()) continue;
    prefix += (prefix.empty() ? "" : "/") + name;
    if (mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = errnoText("cannot create " + visible, errno);
      return -1;
    }
    int next = openBelowRoot(root_fd, prefix, O_RDONLY | O_DIRECTORY);
    if (next < 0) {
      *error = errnoText("cannot open " + visible, errno);
      return -1;
    }
    current.reset(next);
  }
  return current.release();
}

std::string hexOf(const unsigned char* digest, unsigned int size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 15];
  }
  return out;
}

// Hex SHA-256 of what is left to read in `fd`; "" and `error` on a read failure.
std::string sha256OfFd(int fd, std::string* error) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    *error = "sha256 unavailable";
    return "";
  }
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errnoText("read", errno);
      return "";
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer, static_cast<size_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  return hexOf(digest, size);
}

std::string lowerHex(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The start of a refusal's body, printable characters only.
std::string errorSnippet(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, kErrorBodyBytes)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string httpFailure(const std::string& method, const std::string& url,
                        const net::HttpResponse& response, const std::string& body) {
  std::string text = method + " " + redactUrl(url) + ": ";
  if (response.status == 0) return text + response.error;
  text += "HTTP " + std::to_string(response.status);
  std::string snippet = errorSnippet(body);
  if (!snippet.empty()) text += " " + snippet;
  return text;
}

// The writable directory (host side) that holds the sandbox path `visible`, opened, and the
// path relative to it; -1 with `error` when `visible` is outside them or cannot be opened.
int openSandboxRoot(const std::string& visible, const SandboxDirs& dirs, std::string* relative,
                    std::string* error) {
  std::string host_dir;
  if (!splitSandboxPath(visible, dirs, &host_dir, relative, error)) return -1;
  int fd = open(host_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) *error = errnoText("cannot open the directory of " + visible, errno);
  return fd;
}

// Copies the file `from` (host) to the sandbox file `visible`, created or truncated. A symlink
// at the last component is refused (O_NOFOLLOW), any other is resolved inside the root.
bool copyIntoSandbox(const std::string& from, const std::string& visible,
                     const SandboxDirs& dirs, std::string* error) {
  std::string relative;
  TransferFd root(openSandboxRoot(visible, dirs, &relative, error));
  if (root.get() < 0) return false;
  const size_t slash = relative.rfind('/');
  const std::string parent_rel = slash == std::string::npos ? "" : relative.substr(0, slash);
  const std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
  TransferFd parent(openDirCreating(root.get(), visible, parent_rel, error));
  if (parent.get() < 0) return false;
  TransferFd out(openat(parent.get(), name.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (out.get() < 0) {
    *error = errnoText("cannot write " + visible, errno);
    return false;
  }
  TransferFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    *error = errnoText("cannot read the download", errno);
    return false;
  }
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = read(in.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errnoText("cannot read the download", errno);
      return false;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out.get(), buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        *error = errnoText("cannot write " + visible, errno);
        return false;
      }
      done += w;
    }
  }
  return true;
}

// Unpacks the archive `from` into the sandbox directory `visible` (created when missing).
bool extractIntoSandbox(const std::string& from, const std::string& visible,
                        const SandboxDirs& dirs, std::string* error) {
  std::string relative;
  TransferFd root(openSandboxRoot(visible, dirs, &relative, error));
  if (root.get() < 0) return false;
  TransferFd dir(openDirCreating(root.get(), visible, relative, error));
  if (dir.get() < 0) return false;
  // Where that directory really is: libarchive writes by path. Nothing of the task runs yet, so
  // the path cannot change under us; it must still be inside the sandbox directory.
  std::error_code ec, root_ec;
  const fs::path real = fs::read_symlink("/proc/self/fd/" + std::to_string(dir.get()), ec);
  const fs::path real_root =
      fs::read_symlink("/proc/self/fd/" + std::to_string(root.get()), root_ec);
  if (ec || root_ec || real.empty() || real_root.empty()) {
    *error = "cannot resolve " + visible;
    return false;
  }
  const std::string real_text = real.string(), root_text = real_root.string();
  if (real_text != root_text && real_text.rfind(root_text + "/", 0) != 0) {
    *error = visible + " leads outside the task's directory";
    return false;
  }
  std::string failure = unpackArchive(from, real_text, "archive", /*allow_empty=*/true);
  if (!failure.empty()) {
    *error = "unpacking into " + visible + ": " + failure;
    return false;
  }
  return true;
}

}  // namespace

std::string redactUrl(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url.substr(0, url.find_first_of("?#@"));
  const size_t authority_start = scheme_end + 3;
  const size_t path_start = url.find_first_of("/?#", authority_start);
  std::string authority = url.substr(authority_start, path_start == std::string::npos
                                                          ? std::string::npos
                                                          : path_start - authority_start);
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string rest = path_start == std::string::npos ? "" : url.substr(path_start);
  rest = rest.substr(0, rest.find_first_of("?#"));
  return url.substr(0, authority_start) + authority + rest;
}

std::string transferName(const sched::TaskDownload& download) {
  return download.artifact.empty() ? download.to : download.artifact;
}

std::string transferName(const sched::TaskUpload& upload) {
  return upload.artifact.empty() ? upload.from : upload.artifact;
}

bool makeSandboxDir(const std::string& visible_dir, const SandboxDirs& dirs, std::string* error) {
  std::string relative;
  TransferFd root(openSandboxRoot(visible_dir, dirs, &relative, error));
  if (root.get() < 0) return false;
  TransferFd dir(openDirCreating(root.get(), visible_dir, relative, error));
  return dir.get() >= 0;
}

bool runDownload(const sched::TaskDownload& download, const SandboxDirs& dirs,
                 const std::string& scratch, const net::Authorizer& authorize,
                 const std::function<bool()>& stop, uint64_t max_bytes, bool* skipped,
                 uint64_t* bytes, std::string* error) {
  *skipped = false;
  *bytes = 0;
  std::error_code ec;
  fs::create_directories(fs::path(scratch).parent_path(), ec);
  struct RemoveScratch {
    const std::string& path;
    ~RemoveScratch() {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
  } remove_scratch{scratch};
  FILE* out = std::fopen(scratch.c_str(), "wbe");
  if (out == nullptr) {
    *error = errnoText("cannot write " + scratch, errno);
    return false;
  }
  net::HttpRequest request;
  request.url = download.url;
  request.authorize = authorize;
  request.timeout_ms = kTransferTimeoutMs;
  std::string head;  // the body's start, for a refusal's message
  bool write_failed = false, stopped = false, too_big = false;
  request.on_body = [&](const char* data, size_t size) {
    if (stop && stop()) {
      stopped = true;
      return false;
    }
    if (head.size() < kErrorBodyBytes) head.append(data, std::min(size, kErrorBodyBytes));
    *bytes += size;
    if (*bytes > max_bytes) {
      too_big = true;
      return false;
    }
    write_failed = std::fwrite(data, 1, size, out) != size;
    return !write_failed;
  };
  net::HttpResponse response = net::perform(request);
  const bool closed = std::fclose(out) == 0;
  if (stopped) {
    *error = "stopped";
    return false;
  }
  if (too_big) {
    *error = "larger than the task's disk (" + std::to_string(max_bytes >> 20) + " MB)";
    return false;
  }
  if (response.status == 404 && download.optional) {
    *skipped = true;
    return true;
  }
  if (response.status != 200) {
    *error = httpFailure("GET", download.url, response, head);
    return false;
  }
  if (write_failed || !closed) {
    *error = "writing " + scratch + " failed";
    return false;
  }
  if (!download.sha256.empty()) {
    const std::string actual = sha256OfFile(scratch);
    if (actual != lowerHex(download.sha256)) {
      *error = "sha256 mismatch: expected " + lowerHex(download.sha256) + ", got " + actual;
      return false;
    }
  }
  return download.extract ? extractIntoSandbox(scratch, download.to, dirs, error)
                          : copyIntoSandbox(scratch, download.to, dirs, error);
}

bool runUpload(const sched::TaskUpload& upload, const SandboxDirs& dirs,
               const net::Authorizer& authorize, const std::function<bool()>& stop,
               bool* skipped, uint64_t* bytes, std::string* error) {
  *skipped = false;
  *bytes = 0;
  std::string relative;
  TransferFd root(openSandboxRoot(upload.from, dirs, &relative, error));
  if (root.get() < 0) return false;
  TransferFd file(openBelowRoot(root.get(), relative, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (file.get() < 0) {
    const int err = errno;
    if (err == ENOENT && upload.optional) {
      *skipped = true;
      return true;
    }
    *error = errnoText("cannot open " + upload.from, err);
    return false;
  }
  struct stat st{};
  if (fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = upload.from + " is not a regular file";
    return false;
  }
  const std::string sha256 = sha256OfFd(file.get(), error);
  if (sha256.empty()) {
    *error = "reading " + upload.from + ": " + *error;
    return false;
  }
  off_t offset = 0;
  bool read_failed = false, stopped = false;
  net::HttpRequest request;
  request.method = "POST";
  request.url = upload.url;
  request.authorize = authorize;
  request.timeout_ms = kTransferTimeoutMs;
  request.headers = {{"Content-Type", "application/octet-stream"},
                     {"X-Checksum-Sha256", sha256}};
  request.body_size = static_cast<long long>(st.st_size);
  request.read_body = [&](char* buffer, size_t size) -> long {
    if (stop && stop()) {
      stopped = true;
      return -1;
    }
    const off_t left = st.st_size - offset;
    if (left <= 0) return 0;
    const size_t want = std::min(size, static_cast<size_t>(left));
    ssize_t n;
    do {
      n = pread(file.get(), buffer, want, offset);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {  // shrank or unreadable: the length we announced cannot be kept
      read_failed = true;
      return -1;
    }
    offset += n;
    return static_cast<long>(n);
  };
  net::HttpResponse response = net::perform(request);
  if (stopped) {
    *error = "stopped";
    return false;
  }
  if (read_failed) {
    *error = "reading " + upload.from + " failed while sending it";
    return false;
  }
  if (!response.ok()) {
    *error = httpFailure("POST", upload.url, response, response.body);
    return false;
  }
  *bytes = static_cast<uint64_t>(st.st_size);
  return true;
}

}  // namespace foundry::cell
