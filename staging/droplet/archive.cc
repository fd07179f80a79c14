#include "staging/droplet/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace fs = std::filesystem;

namespace foundry::staging {
namespace {

struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string archiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return what + ": " + (msg ? msg : "unknown libarchive error");
}

}  // namespace

std::string createTarGz(const std::string& src_dir, const std::string& out_path) {
  std::unique_ptr<archive, WriteDeleter> out(archive_write_new());
  archive_write_add_filter_gzip(out.get());
  archive_write_set_format_pax_restricted(out.get());
  if (archive_write_open_filename(out.get(), out_path.c_str()) != ARCHIVE_OK) {
    return archiveError(out.get(), "cannot create " + out_path);
  }
  std::unique_ptr<archive, ReadDeleter> disk(archive_read_disk_new());
  archive_read_disk_set_standard_lookup(disk.get());
  archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);

  // Walk relative to src_dir so entries are "./..." as with `tar -C SRC .`.
  std::error_code ec;
  fs::path root = fs::absolute(src_dir, ec);
  std::vector<fs::path> paths{root};
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    paths.push_back(it->path());
  }
  if (ec) {
    return "cannot walk " + src_dir + ": " + ec.message();
  }
  std::vector<char> buf(64 * 1024);
  for (const auto& p : paths) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                       archive_entry_free);
    fs::path rel = p == root ? fs::path(".") : fs::path(".") / p.lexically_relative(root);
    archive_entry_copy_sourcepath(entry.get(), p.c_str());
    if (archive_read_disk_entry_from_file(disk.get(), entry.get(), -1, nullptr) != ARCHIVE_OK) {
      return archiveError(disk.get(), "cannot stat " + p.string());
    }
    archive_entry_copy_pathname(entry.get(), rel.c_str());
    if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK) {
      return archiveError(out.get(), "cannot add " + rel.string());
    }
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0) {
      int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return "cannot read " + p.string();
      }
      ssize_t n;
      while ((n = read(fd, buf.data(), buf.size())) > 0) {
        if (archive_write_data(out.get(), buf.data(), static_cast<size_t>(n)) < 0) {
          close(fd);
          return archiveError(out.get(), "cannot write " + rel.string());
        }
      }
      close(fd);
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return archiveError(out.get(), "cannot finish " + out_path);
  }
  return "";
}

std::string extractArchive(const std::string& archive_path, const std::string& dest_dir) {
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) {
    return "cannot create " + dest_dir + ": " + ec.message();
  }
  std::unique_ptr<archive, ReadDeleter> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return archiveError(in.get(), "cannot open " + archive_path);
  }
  std::unique_ptr<archive, WriteDeleter> disk(archive_write_disk_new());
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  fs::path dest = fs::absolute(dest_dir);
  archive_entry* entry;
  int r;
  while ((r = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    // Names are checked here (the disk writer gets absolute targets under dest).
    std::string name = archive_entry_pathname(entry);
    fs::path rel(name);
    if (rel.is_absolute()) {
      return "archive entry with an absolute path: " + name;
    }
    for (const auto& part : rel) {
      if (part == "..") {
        return "archive entry leaving the destination: " + name;
      }
    }
    fs::path target = dest / rel;
    archive_entry_set_pathname(entry, target.c_str());
    if (const char* hl = archive_entry_hardlink(entry)) {
      std::string link = hl;
      if (fs::path(link).is_absolute() || link.find("..") != std::string::npos) {
        return "archive hard link leaving the destination: " + link;
      }
      archive_entry_set_hardlink(entry, (dest / link).c_str());
    }
    if (archive_write_header(disk.get(), entry) != ARCHIVE_OK) {
      return archiveError(disk.get(), "cannot extract entry");
    }
    const void* block;
    size_t size;
    la_int64_t offset;
    int rd;
    while ((rd = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(disk.get(), block, size, offset) != ARCHIVE_OK) {
        return archiveError(disk.get(), "cannot write entry");
      }
    }
    if (rd != ARCHIVE_EOF) {
      return archiveError(in.get(), "corrupt archive " + archive_path);
    }
    archive_write_finish_entry(disk.get());
  }
  if (r != ARCHIVE_EOF) {
    return archiveError(in.get(), "corrupt archive " + archive_path);
  }
  return "";
}

}  // namespace foundry::staging
