// A task's result file is read inside the directory the task wrote (symlinks cannot lead the
// cell out of it), regular files only, at most the limit; a task's environment has no port.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "scheduler/cell/instance_env.h"
#include "scheduler/cell/result_file.h"

namespace foundry::cell {
namespace {

namespace fs = std::filesystem;

class ResultFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/result-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    fs::create_directories(dir_ + "/home/app");
    fs::create_directories(dir_ + "/tmp");
    std::ofstream(dir_ + "/secret") << "cell's own file";
    dirs_ = {{"/home/vcap", dir_ + "/home"}, {"/tmp", dir_ + "/tmp"}};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  std::vector<std::pair<std::string, std::string>> dirs_;
};

TEST_F(ResultFileTest, ReadsWhatTheTaskWrote) {
  std::ofstream(dir_ + "/tmp/result.json") << R"({"ok":true})";
  std::ofstream(dir_ + "/home/app/r.txt") << "home";
  std::string out, error;
  ASSERT_TRUE(readResultFile("/tmp/result.json", dirs_, 10240, &out, &error)) << error;
  EXPECT_EQ(out, R"({"ok":true})");
  ASSERT_TRUE(readResultFile("/home/vcap/app/r.txt", dirs_, 10240, &out, &error)) << error;
  EXPECT_EQ(out, "home");
}

TEST_F(ResultFileTest, RefusesEscapesOtherKindsAndBigFiles) {
  std::string out, error;
  EXPECT_FALSE(readResultFile("/tmp/missing", dirs_, 10240, &out, &error));
  EXPECT_NE(error.find("/tmp/missing"), std::string::npos) << error;
  EXPECT_FALSE(readResultFile("/etc/passwd", dirs_, 10240, &out, &error));
  // Absolute and relative symlinks out of the directory resolve inside it (and find nothing).
  fs::create_symlink(dir_ + "/secret", dir_ + "/tmp/abs");
  fs::create_symlink("../secret", dir_ + "/tmp/rel");
  EXPECT_FALSE(readResultFile("/tmp/abs", dirs_, 10240, &out, &error));
  EXPECT_FALSE(readResultFile("/tmp/rel", dirs_, 10240, &out, &error));
  EXPECT_EQ(out.find("cell's own"), std::string::npos);
  // A FIFO would block a plain read; a directory is not a file.
  ASSERT_EQ(mkfifo((dir_ + "/tmp/fifo").c_str(), 0600), 0);
  EXPECT_FALSE(readResultFile("/tmp/fifo", dirs_, 10240, &out, &error));
  EXPECT_FALSE(readResultFile("/home/vcap/app", dirs_, 10240, &out, &error));
  std::ofstream(dir_ + "/tmp/big") << std::string(10241, 'x');
  EXPECT_FALSE(readResultFile("/tmp/big", dirs_, 10240, &out, &error));
  EXPECT_NE(error.find("10240"), std::string::npos) << error;
  std::ofstream(dir_ + "/tmp/exact") << std::string(10240, 'x');
  EXPECT_TRUE(readResultFile("/tmp/exact", dirs_, 10240, &out, &error)) << error;
  EXPECT_EQ(out.size(), 10240u);
}

TEST(TaskEnvironment, LikeAnInstanceWithoutAPort) {
  sched::TaskDefinition task;
  task.task_guid = "tg-1";
  task.app_guid = "app-1";
  task.app_name = "demo";
  task.memory_mb = 64;
  task.command = "echo hi";
  task.environment = {{"FOO", "bar"}, {"PORT", "1"}};
  sched::LrpStart start = taskAsInstance(task);
  EXPECT_EQ(start.instance_guid, "task-tg-1");
  EXPECT_EQ(start.desired.start_command, "echo hi");
  EXPECT_EQ(start.desired.process_type, "task");
  InstancePlacement placement{"10.0.0.5", 0, "/home/vcap", "/usr/bin:/bin"};
  std::map<std::string, std::string> env;
  for (const auto& entry : taskEnvironment(start, placement)) {
    env[entry.substr(0, entry.find('='))] = entry.substr(entry.find('=') + 1);
  }
  EXPECT_EQ(env["FOO"], "bar");
  EXPECT_EQ(env.count("PORT"), 0u);
  EXPECT_EQ(env.count("VCAP_APP_PORT"), 0u);
  EXPECT_EQ(env.count("CF_INSTANCE_PORT"), 0u);
  EXPECT_EQ(env.count("CF_INSTANCE_ADDR"), 0u);
  EXPECT_EQ(env["CF_INSTANCE_PORTS"], "[]");
  EXPECT_EQ(env["CF_INSTANCE_IP"], "10.0.0.5");
  EXPECT_EQ(env["MEMORY_LIMIT"], "64m");
  auto vcap = nlohmann::json::parse(env["VCAP_APPLICATION"]);
  EXPECT_EQ(vcap["application_id"], "app-1");
  EXPECT_FALSE(vcap.contains("port"));
}

}  // namespace
}  // namespace foundry::cell
