#include "common/auth/internal_credentials.h"

#include "common/auth/base64url.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace foundry::auth {

namespace {

bool callerCharOk(char c) { return c > ' ' && c < 127 && c != ',' && c != '='; }

std::string cleanCaller(std::string_view caller) {
  std::string out;
  for (char c : caller) out += callerCharOk(c) ? c : '_';
  return out.empty() ? "unknown" : out;
}

std::string mac(const Secret& key, std::string_view caller, std::string_view ts,
                std::string_view method, std::string_view target) {
  std::string message;
  message.reserve(caller.size() + ts.size() + method.size() + target.size() + 3);
  message.append(caller).append("\n").append(ts).append("\n").append(method).append("\n").append(
      target);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& k = key.reveal();
  if (!HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::runtime_error failure(const std::string& path, const std::string& what, int err = 0) {
  std::string text = "secrets: " + path + ": " + what;
  if (err != 0) text += ": " + std::string(std::strerror(err));
  return std::runtime_error(text);
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The key file's text, or nullopt when it does not exist. Throws on anything else wrong.
std::optional<std::string> readKeyFile(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (file.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw failure(path, "cannot open", errno);
  }
  struct stat st {};
  if (fstat(file.fd, &st) != 0) throw failure(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) throw failure(path, "is not a regular file");
  if (st.st_uid != geteuid()) {
    throw failure(path, "is owned by uid " + std::to_string(st.st_uid) + ", not by this user");
  }
  if ((st.st_mode & 077) != 0) {
    throw failure(path, "has mode " + octal(st.st_mode) + "; it must be 0600");
  }
  std::string text;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(file.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure(path, "cannot read", errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 4096) throw failure(path, "is too large to be a key");
  }
  OPENSSL_cleanse(buf, sizeof buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void writeAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure(path, "cannot write", errno);
    done += static_cast<size_t>(n);
  }
}

// Makes a fresh key, writes it to a temp file (0600) and renames it to `path`. Returns the
// file's text (base64url).
std::string createKeyFile(const std::string& dir, const std::string& path) {
  unsigned char raw[InternalCredentials::kKeyBytes];
  if (RAND_bytes(raw, sizeof raw) != 1) throw failure(path, "RAND_bytes failed");
  std::string text = base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  OPENSSL_cleanse(raw, sizeof raw);
  std::string tmp = dir + "/.internal-key.tmp." + std::to_string(getpid());
  ::unlink(tmp.c_str());  // a leftover of a run that died mid-write (we hold the lock)
  {
    Fd file{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (file.fd < 0) throw failure(tmp, "cannot create", errno);
    if (fchmod(file.fd, 0600) != 0) throw failure(tmp, "cannot chmod", errno);
    writeAll(file.fd, text + "\n", tmp);
    if (fsync(file.fd) != 0) throw failure(tmp, "cannot fsync", errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw failure(path, "cannot rename " + tmp + " to it", err);
  }
  Fd folder{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (folder.fd >= 0) fsync(folder.fd);  // the rename survives a crash
  return text;
}

// Creates `dir` (0700) when absent; refuses one that is not ours or lets others in.
void prepareFolder(const std::string& dir) {
  std::filesystem::path p(dir);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);  // mkdir below reports failures
  }
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) throw failure(dir, "cannot chmod 0700", errno);
  } else if (errno != EEXIST) {
    throw failure(dir, "cannot create the folder", errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw failure(dir, "cannot stat", errno);
  if (!S_ISDIR(st.st_mode)) throw failure(dir, "is not a folder");
  if (st.st_uid != geteuid()) {
    throw failure(dir, "is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                           std::to_string(geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    throw failure(dir, "has mode " + octal(st.st_mode) +
                           ": group and others must have no access (chmod 700 " + dir + ")");
  }
}

}  // namespace

InternalCredentials::InternalCredentials(Secret key) : key_(std::move(key)) {
  if (key_.empty()) throw std::invalid_argument("InternalCredentials: empty key");
}

InternalCredentials InternalCredentials::loadOrCreate(const std::string& dir) {
  if (dir.empty()) throw std::runtime_error("secrets: the folder path is empty");
  prepareFolder(dir);
  const std::string lock_path = dir + "/.lock";
  Fd lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (lock.fd < 0) throw failure(lock_path, "cannot open", errno);
  while (::flock(lock.fd, LOCK_EX) != 0) {
    if (errno != EINTR) throw failure(lock_path, "cannot lock", errno);
  }
  const std::string key_path = dir + "/internal-key";
  std::optional<std::string> text = readKeyFile(key_path);
  if (!text) text = createKeyFile(dir, key_path);
  std::optional<std::string> raw = base64UrlDecode(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!raw || raw->size() != kKeyBytes) {
    throw failure(key_path, "is not a base64url " + std::to_string(kKeyBytes) + "-byte key");
  }
  InternalCredentials credentials{Secret(std::move(*raw))};
  credentials.dir_ = dir;
  return credentials;  // the lock goes with `lock`
}

int64_t InternalCredentials::nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string InternalCredentials::sign(std::string_view caller, std::string_view method,
                                      std::string_view target, int64_t now) const {
  std::string name = cleanCaller(caller);
  std::string ts = std::to_string(now);
  return std::string(kScheme) + " caller=" + name + ",ts=" + ts +
         ",sig=" + base64UrlEncode(mac(key_, name, ts, method, target));
}

bool InternalCredentials::verify(std::string_view header, std::string_view method,
                                 std::string_view target, int64_t now, std::string* why,
                                 std::string* caller_out) const {
  auto refuse = [why](const char* reason) {
    if (why) *why = reason;
    return false;
  };
  if (header.empty()) return refuse("no Authorization header");
  const std::string_view scheme = kScheme;
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme ||
      header[scheme.size()] != ' ') {
    return refuse("not a FoundryInternal token");
  }
  std::string_view rest = header.substr(scheme.size() + 1);
  std::optional<std::string_view> caller, ts, sig;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return refuse("malformed token");
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    std::optional<std::string_view>* slot = key == "caller" ? &caller
                                            : key == "ts"   ? &ts
                                            : key == "sig"  ? &sig
                                                            : nullptr;
    if (!slot || *slot || value.empty()) return refuse("malformed token");
    *slot = value;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!caller || !ts || !sig) return refuse("malformed token");
  for (char c : *caller) {
    if (!callerCharOk(c)) return refuse("malformed token");
  }
  int64_t stamp = 0;
  if (ts->size() > 18) return refuse("malformed token");
  auto [end, ec] = std::from_chars(ts->data(), ts->data() + ts->size(), stamp);
  if (ec != std::errc() || end != ts->data() + ts->size() || stamp < 0) {
    return refuse("malformed token");
  }
  // One spelling per signature: no padding (the decoder would accept a trailing '=').
  std::optional<std::string> given =
      sig->find('=') == std::string_view::npos ? base64UrlDecode(*sig) : std::nullopt;
  if (!given || given->size() != 32) return refuse("malformed token");
  int64_t skew = now > stamp ? now - stamp : stamp - now;
  if (skew > kMaxSkewSeconds) return refuse("token timestamp outside the allowed window");
  std::string expected = mac(key_, *caller, *ts, method, target);
  if (CRYPTO_memcmp(expected.data(), given->data(), expected.size()) != 0) {
    return refuse("bad signature");
  }
  if (caller_out) *caller_out = std::string(*caller);
  if (why) why->clear();
  return true;
}

std::function<std::string(const std::string&, const std::string&)> InternalCredentials::signer(
    std::string caller) const {
  return [self = *this, caller = std::move(caller)](const std::string& method,
                                                     const std::string& target) {
    return self.sign(caller, method, target);
  };
}

}  // namespace foundry::auth
