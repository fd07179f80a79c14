// Runs a libFuzzer target without libFuzzer: LLVMFuzzerTestOneInput over every file named on
// the command line, or every regular file inside a directory named there (not recursive), in
// name order. This is how the corpora are replayed as ctest tests in every build (normal,
// ASan/UBSan, gcc or clang), so committed crash inputs stay fixed.
//
//   fuzz_replay_http_request tests/fuzz/http_request_corpus [more files or dirs...]
//
// Exits non-zero if an argument cannot be read or no input was found; a target that finds a
// bug aborts (or a sanitizer stops the process) on the offending input, whose name is printed
// just before it runs.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool readFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", argv[i], ec.message().c_str());
        return 2;
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else {
      inputs.push_back(arg);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...  (no inputs found)\n", argv[0]);
    return 2;
  }
  std::string data;
  for (const auto& path : inputs) {
    if (!readFile(path, &data)) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), data.size());
    // A copy of exactly the input's size, as libFuzzer passes it, so ASan sees overreads.
    std::vector<uint8_t> exact(data.begin(), data.end());
    LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
