#include "tests/test_common/oci_layers.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace foundry::test {
namespace {

void ociCheck(int rc, archive* a, const char* what) {
  if (rc < ARCHIVE_WARN) {
    std::fprintf(stderr, "buildLayerTar: %s: %s\n", what, archive_error_string(a));
    std::abort();
  }
}

la_int64_t ociCallbackWrite(archive*, void* user, const void* data, size_t size) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return static_cast<la_int64_t>(size);
}

}  // namespace

TarEntry ociFile(std::string name, std::string content, int mode) {
  return TarEntry{.kind = TarEntry::Kind::File, .name = std::move(name),
                  .content = std::move(content), .mode = mode};
}

TarEntry ociDir(std::string name, int mode) {
  return TarEntry{.kind = TarEntry::Kind::Dir, .name = std::move(name), .mode = mode};
}

TarEntry ociSymlink(std::string name, std::string target) {
  return TarEntry{.kind = TarEntry::Kind::Symlink, .name = std::move(name),
                  .target = std::move(target), .mode = 0777};
}

TarEntry ociWhiteout(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return ociFile(dir + ".wh." + base, "", 0);
}

TarEntry ociOpaque(const std::string& dir) { return ociFile(dir + "/.wh..wh..opq", "", 0); }

std::string buildLayerTar(const std::vector<TarEntry>& entries, TarCompression compression) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                            archive_write_free);
  ociCheck(archive_write_set_format_pax_restricted(a.get()), a.get(), "format");
  if (compression == TarCompression::Gzip) {
    ociCheck(archive_write_add_filter_gzip(a.get()), a.get(), "gzip");
  } else if (compression == TarCompression::Zstd) {
    ociCheck(archive_write_add_filter_zstd(a.get()), a.get(), "zstd");
  }
  ociCheck(archive_write_set_bytes_in_last_block(a.get(), 1), a.get(), "block size");
  ociCheck(archive_write_open2(a.get(), &out, nullptr, ociCallbackWrite, nullptr, nullptr),
           a.get(), "open");
  for (const TarEntry& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_perm(entry.get(), static_cast<mode_t>(e.mode));
    archive_entry_set_uid(entry.get(), e.uid);
    archive_entry_set_gid(entry.get(), e.gid);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    switch (e.kind) {
      case TarEntry::Kind::File:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
        break;
      case TarEntry::Kind::Dir:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        break;
      case TarEntry::Kind::Symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), e.target.c_str());
        break;
      case TarEntry::Kind::Hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_hardlink(entry.get(), e.target.c_str());
        break;
      case TarEntry::Kind::CharDevice:
        archive_entry_set_filetype(entry.get(), AE_IFCHR);
        archive_entry_set_rdev(entry.get(), makedev(1, 3));
        break;
    }
    ociCheck(archive_write_header(a.get(), entry.get()), a.get(), "header");
    if (e.kind == TarEntry::Kind::File && !e.content.empty()) {
      archive_write_data(a.get(), e.content.data(), e.content.size());
    }
  }
  ociCheck(archive_write_close(a.get()), a.get(), "close");
  return out;
}

}  // namespace foundry::test
