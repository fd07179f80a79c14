#include "staging/droplet/archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace foundry::staging {
namespace {

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/staging-archive-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ArchiveTest, RoundTripKeepsModesNestedSymlinksAndEmptyDirs) {
  fs::path src = dir_ / "src";
  fs::create_directories(src / "app/node_modules");
  fs::create_directories(src / "app/lib");
  fs::create_directories(src / "tmp");
  std::ofstream(src / "app/lib/index.js") << "module.exports = 1;\n";
  std::ofstream(src / "app/run.sh") << "#!/bin/sh\n";
  chmod((src / "app/run.sh").c_str(), 0755);
  fs::create_symlink("../lib", src / "app/node_modules/lib");
  fs::path tgz = dir_ / "out.tgz";
  ASSERT_EQ(createTarGz(src.string(), tgz.string()), "");
  fs::path out = dir_ / "out";
  ASSERT_EQ(extractArchive(tgz.string(), out.string()), "");
  EXPECT_TRUE(fs::is_directory(out / "tmp"));
  EXPECT_TRUE(fs::is_symlink(out / "app/node_modules/lib"));
  EXPECT_EQ(fs::read_symlink(out / "app/node_modules/lib"), fs::path("../lib"));
  EXPECT_TRUE(fs::exists(out / "app/node_modules/lib/index.js"));
  struct stat st {};
  ASSERT_EQ(stat((out / "app/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST_F(ArchiveTest, GarbageIsAnError) {
  std::ofstream(dir_ / "bad.tgz") << "this is not an archive";
  EXPECT_NE(extractArchive((dir_ / "bad.tgz").string(), (dir_ / "x").string()), "");
  EXPECT_NE(extractArchive((dir_ / "missing.tgz").string(), (dir_ / "x").string()), "");
}

}  // namespace
}  // namespace foundry::staging
