#include "cli/bits/zip.h"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <memory>

namespace foundry::cli {

namespace fs = std::filesystem;

namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

la_ssize_t appendToString(archive*, void* user, const void* buffer, size_t length) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

Result<std::string> zipAppFiles(const fs::path& root, const std::vector<AppFile>& files) {
  std::string bytes;
  ArchivePtr writer(archive_write_new(), archive_write_free);
  archive_write_set_format_zip(writer.get());
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  if (archive_write_open(writer.get(), &bytes, nullptr, appendToString, nullptr) != ARCHIVE_OK) {
    return Result<std::string>::fail(std::string("Error creating zip: ") +
                                     archive_error_string(writer.get()));
  }
  for (const AppFile& file : files) {
    EntryPtr entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), file.path.c_str());
    archive_entry_set_perm(entry.get(), file.mode);
    std::string content;
    switch (file.kind) {
      case AppFile::Kind::kDirectory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_size(entry.get(), 0);
        break;
      case AppFile::Kind::kSymlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), file.link_target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
      case AppFile::Kind::kFile: {
        std::ifstream in(root / file.path, std::ios::binary);
        if (!in) return Result<std::string>::fail("Error reading " + (root / file.path).string());
        content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
        break;
      }
    }
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK) {
      return Result<std::string>::fail("Error zipping " + file.path + ": " +
                                       archive_error_string(writer.get()));
    }
    if (!content.empty() && archive_write_data(writer.get(), content.data(), content.size()) < 0) {
      return Result<std::string>::fail("Error zipping " + file.path + ": " +
                                       archive_error_string(writer.get()));
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    return Result<std::string>::fail(std::string("Error finishing zip: ") +
                                     archive_error_string(writer.get()));
  }
  return Result<std::string>::ok(std::move(bytes));
}

Result<std::vector<ZipEntry>> readZip(const std::string& bytes) {
  ArchivePtr reader(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(reader.get());
  if (archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return Result<std::vector<ZipEntry>>::fail(std::string("Not a zip: ") +
                                               archive_error_string(reader.get()));
  }
  std::vector<ZipEntry> entries;
  archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    ZipEntry out;
    out.path = archive_entry_pathname(entry);
    out.mode = archive_entry_perm(entry);
    out.directory = archive_entry_filetype(entry) == AE_IFDIR;
    out.symlink = archive_entry_filetype(entry) == AE_IFLNK;
    if (out.symlink) {
      const char* target = archive_entry_symlink(entry);
      out.content = target ? target : "";
    } else {
      char buffer[16384];
      la_ssize_t n = 0;
      while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) {
        out.content.append(buffer, static_cast<size_t>(n));
      }
      if (n < 0) {
        return Result<std::vector<ZipEntry>>::fail(std::string("Bad zip entry: ") +
                                                   archive_error_string(reader.get()));
      }
    }
    entries.push_back(std::move(out));
  }
  if (rc != ARCHIVE_EOF) {
    return Result<std::vector<ZipEntry>>::fail(std::string("Bad zip: ") +
                                               archive_error_string(reader.get()));
  }
  return Result<std::vector<ZipEntry>>::ok(std::move(entries));
}

}  // namespace foundry::cli
