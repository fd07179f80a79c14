#include "cli/bits/app_files.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/bits/cfignore.h"

namespace foundry::cli {

namespace fs = std::filesystem;

namespace {

std::string toHex(const unsigned char* bytes, unsigned length) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Status walk(const fs::path& root, const std::string& relative, const CfIgnore& ignore,
            std::vector<AppFile>& out) {
  fs::path dir = relative.empty() ? root : root / relative;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return Status::fail("Error reading directory " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string path = relative.empty() ? name : relative + "/" + name;
    fs::path full = root / path;
    struct stat st {};
    if (lstat(full.c_str(), &st) != 0) {
      return Status::fail("Error reading " + full.string());
    }
    bool is_dir = S_ISDIR(st.st_mode);
    if (ignore.ignored(path, is_dir)) continue;
    AppFile file;
    file.path = path;
    file.mode = st.st_mode & 07777;
    if (is_dir) {
      file.kind = AppFile::Kind::kDirectory;
      out.push_back(file);
      Status inner = walk(root, path, ignore, out);
      if (!inner) return inner;
    } else if (S_ISLNK(st.st_mode)) {
      file.kind = AppFile::Kind::kSymlink;
      std::error_code link_ec;
      file.link_target = fs::read_symlink(full, link_ec).string();
      if (link_ec) return Status::fail("Error reading link " + full.string());
      out.push_back(file);
    } else if (S_ISREG(st.st_mode)) {
      file.size = static_cast<uint64_t>(st.st_size);
      auto digest = sha1File(full);
      if (!digest) return Status::fail(digest.error());
      file.sha1 = *digest;
      out.push_back(file);
    }
    // Sockets, FIFOs and devices are not app bits: skipped, as cf does.
  }
  return okStatus();
}

}  // namespace

std::string sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
  return toHex(digest, length);
}

Result<std::string> sha1File(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Result<std::string>::fail("Error reading " + file.string());
  DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha1(), nullptr) != 1) {
    return Result<std::string>::fail("SHA1 is not available");
  }
  char buffer[64 * 1024];
  while (in) {
    in.read(buffer, sizeof buffer);
    if (in.gcount() > 0) EVP_DigestUpdate(context.get(), buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Result<std::string>::fail("Error reading " + file.string());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  return Result<std::string>::ok(toHex(digest, length));
}

std::string modeString(unsigned mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%o", mode & 07777);
  return buffer;
}

Result<std::vector<AppFile>> collectAppFiles(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Result<std::vector<AppFile>>::fail("App path " + root.string() + " is not a directory");
  }
  CfIgnore ignore = CfIgnore::withDefaults();
  std::ifstream cfignore(root / ".cfignore");
  if (cfignore) {
    std::stringstream text;
    text << cfignore.rdbuf();
    ignore.addLines(text.str());
  }
  std::vector<AppFile> files;
  Status status = walk(root, "", ignore, files);
  if (!status) return Result<std::vector<AppFile>>::fail(status.error());
  return Result<std::vector<AppFile>>::ok(std::move(files));
}

}  // namespace foundry::cli
