#include "common/oci/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <set>
#include <vector>

namespace foundry::oci {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

using Reader = std::unique_ptr<archive, decltype(&archive_read_free)>;
using Writer = std::unique_ptr<archive, decltype(&archive_write_free)>;

// "./a//b/" -> {"a", "b"}. Empty components and "." go; ".." stays for the caller to refuse.
std::vector<std::string> components(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

// Checks a name from the archive; "" or why it is refused. Fills its components.
std::string checkName(const std::string& name, const std::string& label,
                      std::vector<std::string>* parts) {
  *parts = components(name);
  // "/" alone names the rootfs itself (umoci writes it for `insert ... /`); any other
  // absolute name is refused rather than guessed at.
  if (!name.empty() && name[0] == '/' && !parts->empty()) {
    return "layer " + label + ": absolute path refused: " + name;
  }
  for (const std::string& part : *parts) {
    if (part == "..") return "layer " + label + ": path traversal refused: " + name;
  }
  return "";
}

// The first `count` components under root must be real directories (or not exist yet):
// following a symlink there would act outside the rootfs.
std::string checkNoSymlinkIn(const std::string& root, const std::vector<std::string>& parts,
                             size_t count, const std::string& label) {
  std::string path = root;
  for (size_t i = 0; i < count; ++i) {
    path += "/" + parts[i];
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return "";  // not there yet: created as a directory
    if (S_ISLNK(st.st_mode)) {
      return "layer " + label + ": refused to write through the symlink /" + join(parts, i + 1);
    }
  }
  return "";
}

// Removes everything under `dir` (relative `rel`) that this layer has not written.
void clearLowerContent(const fs::path& dir, const std::string& rel,
                       const std::set<std::string>& written) {
  std::error_code ec;
  std::vector<fs::directory_entry> children;
  for (const auto& child : fs::directory_iterator(dir, ec)) children.push_back(child);
  for (const auto& child : children) {
    std::string child_rel = (rel.empty() ? "" : rel + "/") + child.path().filename().string();
    if (!written.count(child_rel)) {
      fs::remove_all(child.path(), ec);
    } else if (child.is_directory(ec) && !child.is_symlink(ec)) {
      clearLowerContent(child.path(), child_rel, written);
    }
  }
}

class LayerApplier {
 public:
  LayerApplier(const std::string& root, const std::string& label)
      : root_(root), label_(label), reader_(archive_read_new(), archive_read_free),
        writer_(archive_write_disk_new(), archive_write_free) {
    archive_read_support_filter_all(reader_.get());  // gzip, zstd, none ...
    archive_read_support_format_tar(reader_.get());
    // Names reach libarchive prefixed with root (refused first if absolute or with ".."), so
    // SECURE_NOABSOLUTEPATHS cannot be used; SECURE_SYMLINKS guards the final component.
    archive_write_disk_set_options(
        writer_.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                           ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  }

  std::string apply(const std::string& blob_path) {
    if (archive_read_open_filename(reader_.get(), blob_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
      return "layer " + label_ + ": cannot open: " + archive_error_string(reader_.get());
    }
    archive_entry* entry = nullptr;
    for (;;) {
      int r = archive_read_next_header(reader_.get(), &entry);
      if (r == ARCHIVE_EOF) return "";
      if (r < ARCHIVE_WARN) return readError();
      if (std::string error = applyEntry(entry); !error.empty()) return error;
    }
  }

 private:
  std::string readError() {
    return "layer " + label_ + ": bad archive: " + archive_error_string(reader_.get());
  }
  std::string writeError(const std::string& name) {
    return "layer " + label_ + ": unpacking " + name + ": " + archive_error_string(writer_.get());
  }

  std::string applyEntry(archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    std::vector<std::string> parts;
    if (std::string error = checkName(name, label_, &parts); !error.empty()) return error;
    if (parts.empty()) return "";  // "./" or "/": the root itself keeps the mode we gave it
    if (std::string e = checkNoSymlinkIn(root_, parts, parts.size() - 1, label_); !e.empty()) {
      return e;
    }
    const std::string& base = parts.back();
    const std::string parent = join(parts, parts.size() - 1);
    if (base.rfind(kWhiteoutPrefix, 0) == 0) return applyWhiteout(parts, parent, base);

    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) return "";  // no devices
    const std::string rel = join(parts, parts.size());
    const std::string path = root_ + "/" + rel;
    // A lower directory replaced by a file (or link) goes with its content, as overlayfs
    // shows it; libarchive alone would only rmdir an empty one.
    struct stat st;
    std::error_code ec;
    if (type != AE_IFDIR && lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      fs::remove_all(path, ec);
    }
    archive_entry_set_pathname(entry, path.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      std::vector<std::string> link_parts;
      if (std::string e = checkName(link, label_, &link_parts); !e.empty()) return e;
      if (link_parts.empty()) return "layer " + label_ + ": hard link to the root: " + rel;
      if (std::string e = checkNoSymlinkIn(root_, link_parts, link_parts.size(), label_);
          !e.empty()) {
        return e;
      }
      archive_entry_set_hardlink(entry, (root_ + "/" + join(link_parts, link_parts.size())).c_str());
    }
    if (archive_write_header(writer_.get(), entry) < ARCHIVE_WARN) return writeError(rel);
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r;
    while ((r = archive_read_data_block(reader_.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer_.get(), block, size, offset) < ARCHIVE_WARN) {
        return writeError(rel);
      }
    }
    if (r != ARCHIVE_EOF) return readError();
    if (archive_write_finish_entry(writer_.get()) < ARCHIVE_WARN) return writeError(rel);
    for (size_t i = 1; i <= parts.size(); ++i) written_.insert(join(parts, i));
    return "";
  }

  std::string applyWhiteout(const std::vector<std::string>& parts, const std::string& parent,
                            const std::string& base) {
    std::error_code ec;
    if (base == kOpaqueMarker) {
      fs::path dir = fs::path(root_) / parent;
      struct stat st;
      if (lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        clearLowerContent(dir, parent, written_);
      }
      return "";
    }
    std::string target = base.substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..") {
      return "layer " + label_ + ": bad whiteout " + join(parts, parts.size());
    }
    std::string rel = (parent.empty() ? "" : parent + "/") + target;
    // Whiteouts hide lower layers only; what this layer wrote itself stays.
    if (!written_.count(rel)) fs::remove_all(fs::path(root_) / rel, ec);
    if (ec) return "layer " + label_ + ": whiteout of " + rel + ": " + ec.message();
    return "";
  }

  const std::string root_, label_;
  Reader reader_;
  Writer writer_;
  std::set<std::string> written_;  // names this layer created, with their parents
};

}  // namespace

std::string applyLayer(const std::string& blob_path, const std::string& root,
                       const std::string& label) {
  return LayerApplier(root, label).apply(blob_path);
}

}  // namespace foundry::oci
