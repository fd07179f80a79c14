#include "scheduler/cell/result_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace foundry::cell {

namespace {

int openInRoot(int root_fd, const std::string& relative) {
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  return static_cast<int>(syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
}

}  // namespace

bool readResultFile(const std::string& visible_path,
                    const std::vector<std::pair<std::string, std::string>>& dirs,
                    size_t max_bytes, std::string* out, std::string* error) {
  std::string host_dir, relative;
  for (const auto& [visible, host] : dirs) {
    if (visible_path.size() > visible.size() + 1 &&
        visible_path.compare(0, visible.size(), visible) == 0 &&
        visible_path[visible.size()] == '/') {
      host_dir = host;
      relative = visible_path.substr(visible.size() + 1);
      break;
    }
  }
  if (host_dir.empty()) {
    *error = visible_path + " is not in a directory the task can write";
    return false;
  }
  int root_fd = open(host_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    *error = "cannot open " + visible_path + ": " + std::strerror(errno);
    return false;
  }
  int fd = openInRoot(root_fd, relative);
  int open_errno = errno;
  close(root_fd);
  if (fd < 0) {
    *error = "cannot open " + visible_path + ": " + std::strerror(open_errno);
    return false;
  }
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    *error = visible_path + " is not a regular file";
    return false;
  }
  std::string data;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read " + visible_path + ": " + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      close(fd);
      *error = "result file size exceeds allowed limit (got more than " +
               std::to_string(max_bytes) + " bytes)";
      return false;
    }
  }
  close(fd);
  *out = std::move(data);
  return true;
}

}  // namespace foundry::cell
