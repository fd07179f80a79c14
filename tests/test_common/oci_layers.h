#pragma once
// Image layers built in memory for tests: tar archives (plain, gzip or zstd) with exactly the
// entries a test needs, including the ones real tools refuse to make (".." names, device nodes).
//
//   std::string blob = buildLayerTar({ociFile("etc/hello", "hi"), ociWhiteout("etc/old")});
#include <string>
#include <vector>

namespace foundry::test {

struct TarEntry {
  enum class Kind { File, Dir, Symlink, Hardlink, CharDevice };
  Kind kind = Kind::File;
  std::string name;     // as stored, e.g. "etc/hello" or "../escape"
  std::string content;  // File
  std::string target;   // Symlink / Hardlink
  int mode = 0644;
  int uid = 0, gid = 0;
};

enum class TarCompression { None, Gzip, Zstd };

TarEntry ociFile(std::string name, std::string content, int mode = 0644);
TarEntry ociDir(std::string name, int mode = 0755);
TarEntry ociSymlink(std::string name, std::string target);
// An empty file named DIR/.wh.NAME: deletes NAME of the lower layers.
TarEntry ociWhiteout(const std::string& path);
// DIR/.wh..wh..opq: DIR loses its lower content.
TarEntry ociOpaque(const std::string& dir);

// The archive's bytes; aborts the test binary if libarchive fails (a broken test setup).
std::string buildLayerTar(const std::vector<TarEntry>& entries,
                          TarCompression compression = TarCompression::Gzip);

}  // namespace foundry::test
