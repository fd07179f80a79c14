// A task's transfers on the cell (task_transfers.h), the parts that need no server: URLs in
// messages lose their credentials and query, folders are made inside the sandbox whatever
// symlinks a droplet holds, and an upload's file is opened inside it (a planted symlink does
// not lead out), missing optional files are skipped and other kinds refused.
#include "scheduler/cell/task_transfers.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace foundry::cell {
namespace {

namespace fs = std::filesystem;

TEST(TaskTransfersUrl, RedactsUserinfoQueryAndFragment) {
  EXPECT_EQ(redactUrl("http://127.0.0.1:9022/internal/v1/packages/p1/download"),
            "http://127.0.0.1:9022/internal/v1/packages/p1/download");
  EXPECT_EQ(redactUrl("https://user:pw@blobs.example.com/a/b?X-Amz-Signature=abc#frag"),
            "https://blobs.example.com/a/b");
  EXPECT_EQ(redactUrl("http://user@host:1?token=t"), "http://host:1");
  EXPECT_EQ(redactUrl("http://host"), "http://host");
  EXPECT_EQ(redactUrl("not a url?secret"), "not a url");
}

TEST(TaskTransfersUrl, NamesTheArtifactElseThePath) {
  sched::TaskDownload download{.artifact = "app package", .to = "/tmp/app"};
  EXPECT_EQ(transferName(download), "app package");
  download.artifact.clear();
  EXPECT_EQ(transferName(download), "/tmp/app");
  sched::TaskUpload upload{.from = "/tmp/droplet.tgz"};
  EXPECT_EQ(transferName(upload), "/tmp/droplet.tgz");
}

class TaskTransfersFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/task-transfers-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    fs::create_directories(dir_ + "/home/app");
    fs::create_directories(dir_ + "/tmp");
    fs::create_directories(dir_ + "/outside");
    std::ofstream(dir_ + "/outside/secret") << "cell's own file";
    dirs_ = {{"/home/vcap", dir_ + "/home"}, {"/tmp", dir_ + "/tmp"}};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  SandboxDirs dirs_;
};

TEST_F(TaskTransfersFilesTest, MakesFoldersInsideTheSandboxOnly) {
  std::string error;
  ASSERT_TRUE(makeSandboxDir("/tmp/a/b/c", dirs_, &error)) << error;
  EXPECT_TRUE(fs::is_directory(dir_ + "/tmp/a/b/c"));
  ASSERT_TRUE(makeSandboxDir("/tmp/a/b/c", dirs_, &error)) << error;  // again: fine
  // A droplet's absolute symlink to a host folder resolves inside the sandbox instead, where
  // there is no such folder: refused, nothing made outside.
  fs::create_directory_symlink(dir_ + "/outside", dir_ + "/home/app/link");
  EXPECT_FALSE(makeSandboxDir("/home/vcap/app/link/x", dirs_, &error));
  EXPECT_NE(error.find("/home/vcap/app/link/x"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dir_ + "/outside/x"));
  // A relative one climbing out stops at the sandbox's root; one that stays inside is followed.
  fs::create_directory_symlink("../../../outside", dir_ + "/home/app/up");
  EXPECT_FALSE(makeSandboxDir("/home/vcap/app/up/z", dirs_, &error));
  EXPECT_FALSE(fs::exists(dir_ + "/outside/z"));
  fs::create_directories(dir_ + "/home/data");
  fs::create_directory_symlink("../data", dir_ + "/home/app/in");
  ASSERT_TRUE(makeSandboxDir("/home/vcap/app/in/y", dirs_, &error)) << error;
  EXPECT_TRUE(fs::is_directory(dir_ + "/home/data/y"));
  EXPECT_FALSE(makeSandboxDir("/etc/x", dirs_, &error));
  EXPECT_NE(error.find("/etc/x"), std::string::npos) << error;
}

TEST_F(TaskTransfersFilesTest, UploadOpensInsideTheSandbox) {
  std::string error;
  bool skipped = false;
  uint64_t bytes = 0;
  // Never reaches the network: every case fails (or is skipped) before the POST.
  sched::TaskUpload upload{.from = "/tmp/missing", .url = "http://127.0.0.1:1/u"};
  EXPECT_FALSE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error));
  EXPECT_NE(error.find("cannot open /tmp/missing"), std::string::npos) << error;
  upload.optional = true;
  EXPECT_TRUE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error)) << error;
  EXPECT_TRUE(skipped);

  fs::create_symlink(dir_ + "/outside/secret", dir_ + "/tmp/planted");
  upload = {.from = "/tmp/planted", .url = "http://127.0.0.1:1/u"};
  EXPECT_FALSE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error));
  EXPECT_NE(error.find("cannot open /tmp/planted"), std::string::npos) << error;

  ASSERT_EQ(mkfifo((dir_ + "/tmp/fifo").c_str(), 0600), 0);
  upload.from = "/tmp/fifo";
  EXPECT_FALSE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
  upload.from = "/home/vcap/app";
  EXPECT_FALSE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error));

  // A file that is there goes out; nobody listens on port 1: the error names the URL only.
  std::ofstream(dir_ + "/tmp/droplet.tgz") << "bytes";
  upload = {.from = "/tmp/droplet.tgz", .url = "http://u:pw@127.0.0.1:1/u?sig=abc"};
  EXPECT_FALSE(runUpload(upload, dirs_, {}, {}, &skipped, &bytes, &error));
  EXPECT_EQ(error.rfind("POST http://127.0.0.1:1/u: ", 0), 0u) << error;
  EXPECT_EQ(error.find("pw"), std::string::npos) << error;
  EXPECT_EQ(error.find("sig=abc"), std::string::npos) << error;
}

}  // namespace
}  // namespace foundry::cell
