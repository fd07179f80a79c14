// Staging docker packages against a real registry (Debian's docker-registry, images pushed with
// skopeo): what the controller's docker lifecycle builder reads from the image (the digest it
// pins, the start command, the execution metadata) and how each bad input fails the build:
// an unknown image, a wrong password, an image with no command, a registry that is down.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "control/staging/docker_staging.h"
#include "tests/test_common/registry_process.h"
#include "tests/test_common/test_images.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class DockerStagingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    open_ = new test::RegistryProcess();
    locked_ = new test::RegistryProcess({"alice", "s3cret-pw"});
    char tmpl[] = "/tmp/docker-staging-XXXXXX";
    if (!mkdtemp(tmpl)) {
      setup_error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    if (!open_->start()) {
      setup_error_ = open_->lastError();
      return;
    }
    if (!locked_->start()) {
      setup_error_ = locked_->lastError();
      return;
    }
    std::string layout;
    setup_error_ = test::buildTestImageLayout(dir_ + "/image", &layout);
    for (const char* tag : {"v1", "nocmd"}) {
      if (!setup_error_.empty()) return;
      setup_error_ = test::pushTestImage(layout, tag, open_->address() + "/test/app:" + tag);
    }
    if (setup_error_.empty()) {
      setup_error_ = test::pushTestImage(layout, "v1", open_->address() + "/test/docker:v1",
                                         {.docker_format = true});
    }
    if (setup_error_.empty()) {
      setup_error_ = test::pushTestImage(layout, "v1", locked_->address() + "/test/app:v1",
                                         {.creds = "alice:s3cret-pw"});
    }
  }
  static void TearDownTestSuite() {
    delete open_;
    delete locked_;
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  StagingResult stage(const std::string& image, const std::string& username = "",
                      const std::string& password = "", const std::string& web_command = "") {
    StagingTask task;
    task.build_guid = "b-1";
    task.app_guid = "a-1";
    task.docker = DockerSource{image, username, auth::Secret(password)};
    task.web_command = web_command;
    lines_.clear();
    return stageDockerImage(task, [this](const std::string& line) { lines_ += line + "\n"; });
  }

  static inline test::RegistryProcess* open_ = nullptr;
  static inline test::RegistryProcess* locked_ = nullptr;
  static inline std::string dir_, setup_error_;
  std::string lines_;
};

TEST_F(DockerStagingTest, ImageIsPinnedAndItsConfigBecomesTheStartCommand) {
  for (const std::string repo : {"test/app", "test/docker"}) {  // OCI and Docker schema 2
    const std::string image = open_->address() + "/" + repo + ":v1";
    StagingResult r = stage(image);
    ASSERT_TRUE(r.ok) << r.error << "\n" << lines_;
    EXPECT_EQ(r.build_guid, "b-1");
    const std::string prefix = open_->address() + "/" + repo + "@sha256:";
    ASSERT_EQ(r.docker_image.rfind(prefix, 0), 0u) << r.docker_image;
    EXPECT_EQ(r.docker_image.size(), prefix.size() + 64);
    EXPECT_EQ(r.process_types, json({{"web", "/bin/sh -c 'echo hi'"}}));
    json meta = json::parse(r.execution_metadata);
    EXPECT_EQ(meta["cmd"], json({"/bin/sh", "-c", "echo hi"}));
    EXPECT_EQ(meta["entrypoint"], json::array());
    EXPECT_EQ(meta["user"], "1000:1000");
    EXPECT_EQ(meta["workdir"], "/app");
    // 8080/tcp, not 53/udp: the router only speaks TCP.
    EXPECT_EQ(meta["ports"], json::parse(R"([{"Port":8080,"Protocol":"tcp"}])"));
    EXPECT_NE(lines_.find("Staging complete"), std::string::npos) << lines_;
  }
  // The same tag staged twice pins the same digest.
  EXPECT_EQ(stage(open_->address() + "/test/app:v1").docker_image,
            stage(open_->address() + "/test/app:v1").docker_image);
}

TEST_F(DockerStagingTest, PrivateRegistryNeedsTheRightPasswordWhichIsNeverShown) {
  const std::string image = locked_->address() + "/test/app:v1";
  StagingResult good = stage(image, "alice", "s3cret-pw");
  EXPECT_TRUE(good.ok) << good.error;
  for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "wrong-password"}, {"", ""}}) {
    StagingResult bad = stage(image, user, password);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.error.rfind("StagingError - Staging error: cannot fetch the docker image " +
                                  image + ": unauthorized",
                              0),
              0u)
        << bad.error;
    EXPECT_EQ(bad.error.find("wrong-password"), std::string::npos);
    EXPECT_EQ(lines_.find("wrong-password"), std::string::npos);
  }
}

TEST_F(DockerStagingTest, BadImagesFailWithAClearError) {
  StagingResult r = stage(open_->address() + "/test/app:nope");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("image not found"), std::string::npos) << r.error;
  EXPECT_NE(lines_.find("Staging failed: "), std::string::npos) << lines_;

  r = stage(open_->address() + "/test/app:nocmd");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("has no command (neither ENTRYPOINT nor CMD) and the app sets none"),
            std::string::npos)
      << r.error;
  // The app's own start command makes up for it.
  r = stage(open_->address() + "/test/app:nocmd", "", "", "/bin/busybox httpd -f -p $PORT");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.process_types, json({{"web", ""}}));

  r = stage("Not A Reference");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("invalid docker image reference"), std::string::npos) << r.error;

  // A registry nobody listens on.
  test::RegistryProcess gone;
  ASSERT_TRUE(gone.start()) << gone.lastError();
  const std::string address = gone.address();
  gone.stop();
  r = stage(address + "/test/app:v1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("registry unreachable"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace foundry::control
