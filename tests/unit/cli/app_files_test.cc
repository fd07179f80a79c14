// The bits push sends: walking a temp app dir with .cfignore, SHA1s, and the zip's contents
// and permission bits read back with libarchive.
#include "cli/bits/app_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli/api/multipart.h"
#include "cli/bits/zip.h"

namespace foundry::cli {
namespace {

namespace fs = std::filesystem;

class CliAppFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cli-bits-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& content, unsigned mode = 0644) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path, std::ios::binary) << content;
    chmod((root_ / path).c_str(), mode);
  }
  fs::path root_;
};

TEST_F(CliAppFiles, Sha1MatchesKnownVectors) {
  EXPECT_EQ(sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  write("abc.txt", "abc");
  EXPECT_EQ(*sha1File(root_ / "abc.txt"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_FALSE(sha1File(root_ / "missing"));
  EXPECT_EQ(modeString(0755), "755");
  EXPECT_EQ(modeString(0100644), "644");
}

TEST_F(CliAppFiles, WalksSortedHashesAndHonoursCfIgnore) {
  write("server.js", "console.log('hi')\n");
  write("bin/run", "#!/bin/sh\necho run\n", 0755);
  write("debug.log", "noise");
  write("node_modules/dep/index.js", "module.exports = 1;\n");
  write(".git/HEAD", "ref: refs/heads/main\n");
  write("manifest.yml", "applications: []\n");
  write(".cfignore", "*.log\nnode_modules/\n");
  fs::create_symlink("server.js", root_ / "link.js");

  auto files = collectAppFiles(root_);
  ASSERT_TRUE(files) << files.error();
  std::vector<std::string> paths;
  std::map<std::string, AppFile> by_path;
  for (const auto& f : *files) {
    paths.push_back(f.path);
    by_path[f.path] = f;
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"bin", "bin/run", "link.js", "manifest.yml", "server.js"}));
  EXPECT_EQ(by_path["bin"].kind, AppFile::Kind::kDirectory);
  EXPECT_EQ(by_path["bin/run"].mode, 0755u);
  EXPECT_EQ(by_path["bin/run"].size, 19u);
  EXPECT_EQ(by_path["bin/run"].sha1, sha1Hex("#!/bin/sh\necho run\n"));
  EXPECT_EQ(by_path["server.js"].mode, 0644u);
  EXPECT_EQ(by_path["link.js"].kind, AppFile::Kind::kSymlink);
  EXPECT_EQ(by_path["link.js"].link_target, "server.js");
}

TEST_F(CliAppFiles, ZipKeepsContentModesDirectoriesAndSymlinks) {
  write("server.js", "console.log('hi')\n");
  write("bin/run", "#!/bin/sh\necho run\n", 0755);
  std::string big(200000, 'x');
  write("data/big.bin", big, 0600);
  write("empty.txt", "");
  fs::create_symlink("../server.js", root_ / "bin/link");
  auto files = collectAppFiles(root_);
  ASSERT_TRUE(files) << files.error();
  auto zip = zipAppFiles(root_, *files);
  ASSERT_TRUE(zip) << zip.error();
  EXPECT_EQ(zip->substr(0, 2), "PK");
  EXPECT_LT(zip->size(), big.size());  // deflated

  auto entries = readZip(*zip);
  ASSERT_TRUE(entries) << entries.error();
  std::map<std::string, ZipEntry> by_path;
  for (const auto& e : *entries) by_path[e.path] = e;
  ASSERT_EQ(by_path.size(), 7u);
  EXPECT_EQ(by_path["server.js"].content, "console.log('hi')\n");
  EXPECT_EQ(by_path["bin/run"].mode, 0755u);
  EXPECT_EQ(by_path["data/big.bin"].content, big);
  EXPECT_EQ(by_path["data/big.bin"].mode, 0600u);
  EXPECT_EQ(by_path["empty.txt"].content, "");
  EXPECT_TRUE(by_path["empty.txt"].path == "empty.txt");
  EXPECT_TRUE(by_path["bin/link"].symlink);
  EXPECT_EQ(by_path["bin/link"].content, "../server.js");
  bool saw_directory = false;
  for (const auto& e : *entries)
    saw_directory |= e.directory && (e.path == "bin/" || e.path == "bin");
  EXPECT_TRUE(saw_directory);
}

TEST_F(CliAppFiles, OnlyTheGivenFilesAreZipped) {
  write("a.txt", "a");
  write("b.txt", "b");
  auto files = collectAppFiles(root_);
  ASSERT_TRUE(files);
  std::vector<AppFile> only_b;
  for (const auto& f : *files) {
    if (f.path == "b.txt") only_b.push_back(f);
  }
  auto zip = zipAppFiles(root_, only_b);
  ASSERT_TRUE(zip) << zip.error();
  auto entries = readZip(*zip);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().path, "b.txt");
  // An empty zip is still a valid zip.
  auto empty = zipAppFiles(root_, {});
  ASSERT_TRUE(empty) << empty.error();
  auto none = readZip(*empty);
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
}

TEST_F(CliAppFiles, ErrorsInsteadOfCrashes) {
  EXPECT_FALSE(collectAppFiles(root_ / "missing"));
  write("file.txt", "x");
  auto not_dir = collectAppFiles(root_ / "file.txt");
  ASSERT_FALSE(not_dir);
  EXPECT_NE(not_dir.error().find("not a directory"), std::string::npos);
  EXPECT_FALSE(readZip("not a zip at all"));
}

TEST(CliMultipart, BuildsFieldsWithAnUnusedBoundary) {
  MultipartBody body =
      buildMultipart({{"resources", "[]", "", "application/json"},
                      {"bits", std::string("PK\0\1", 4), "application.zip", "application/zip"}});
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(body.content_type.rfind(prefix, 0), 0u);
  std::string boundary = body.content_type.substr(prefix.size());
  EXPECT_EQ(body.body.rfind("--" + boundary + "\r\n", 0), 0u);
  EXPECT_NE(body.body.find("Content-Disposition: form-data; name=\"resources\"\r\n"
                           "Content-Type: application/json\r\n\r\n[]\r\n"),
            std::string::npos);
  EXPECT_NE(body.body.find("name=\"bits\"; filename=\"application.zip\"\r\n"
                           "Content-Type: application/zip\r\n\r\n" +
                           std::string("PK\0\1", 4) + "\r\n"),
            std::string::npos);
  EXPECT_EQ(body.body.substr(body.body.size() - boundary.size() - 6), "--" + boundary + "--\r\n");
}

}  // namespace
}  // namespace foundry::cli
