// Pulling from a real registry (Debian's docker-registry) the images skopeo pushed there:
// the config as recorded, the rootfs with whiteouts applied, indexes, errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/net/http_client.h"
#include "common/oci/layer_store.h"
#include "common/oci/registry_client.h"
#include "common/oci/sha256.h"
#include "tests/test_common/files.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/registry_process.h"
#include "tests/test_common/shell.h"
#include "tests/test_common/test_images.h"

namespace foundry::oci {
namespace {

namespace fs = std::filesystem;

struct OciPulledManifest {
  std::string digest;
  size_t size = 0;
};

// The digest and size of a pushed manifest, as the registry serves it.
OciPulledManifest ociRegistryManifest(const std::string& address, const std::string& repo,
                                      const std::string& tag) {
  net::HttpRequest request;
  request.url = "http://" + address + "/v2/" + repo + "/manifests/" + tag;
  request.headers.emplace_back("Accept", manifestAcceptHeader());
  net::HttpResponse response = net::perform(request);
  return {sha256Digest(response.body), response.body.size()};
}

// PUTs an index of the given (digest, size, architecture) manifests under `tag`.
std::string ociPutIndex(const std::string& address, const std::string& repo,
                        const std::string& tag,
                        const std::vector<std::tuple<std::string, size_t, std::string>>& entries) {
  std::string manifests;
  for (const auto& [digest, size, arch] : entries) {
    if (!manifests.empty()) manifests += ",";
    manifests += R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                 digest + R"(","size":)" + std::to_string(size) +
                 R"(,"platform":{"architecture":")" + arch + R"(","os":"linux"}})";
  }
  net::HttpRequest request;
  request.method = "PUT";
  request.url = "http://" + address + "/v2/" + repo + "/manifests/" + tag;
  request.body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
                 manifests + "]}";
  request.headers.emplace_back("Content-Type", "application/vnd.oci.image.index.v1+json");
  net::HttpResponse response = net::perform(request);
  if (response.status != 201) return "PUT index: HTTP " + std::to_string(response.status) + " " + response.body;
  return "";
}

ImageRef ociRef(const std::string& text) {
  ImageRef ref;
  std::string error = parseImageRef(text, &ref);
  EXPECT_EQ(error, "") << text;
  return ref;
}

class OciRegistryPullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/oci-pull-test-XXXXXX";
    work_dir_ = mkdtemp(tmpl);
    registry_ = new test::RegistryProcess();
    setup_error_ = setUpRegistry();
  }
  static std::string setUpRegistry() {
    if (!registry_->start()) return registry_->lastError();
    std::string error = test::buildTestImageLayout(work_dir_, &layout_);
    if (!error.empty()) return error;
    const std::string repo = registry_->address() + "/test/busybox";
    for (const auto& [tag, dest, docker] :
         {std::tuple{"v1", repo + ":v1", false}, std::tuple{"v1-arm64", repo + ":v1-arm64", false},
          std::tuple{"v1", repo + ":docker-v1", true}}) {
      error = test::pushTestImage(layout_, tag, dest, {.docker_format = docker});
      if (!error.empty()) return error;
    }
    amd64_ = ociRegistryManifest(registry_->address(), "test/busybox", "v1");
    arm64_ = ociRegistryManifest(registry_->address(), "test/busybox", "v1-arm64");
    error = ociPutIndex(registry_->address(), "test/busybox", "multi",
                        {{arm64_.digest, arm64_.size, "arm64"}, {amd64_.digest, amd64_.size, "amd64"}});
    if (!error.empty()) return error;
    return ociPutIndex(registry_->address(), "test/busybox", "arm-only",
                       {{arm64_.digest, arm64_.size, "arm64"}});
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    fs::remove_all(work_dir_);
  }
  void SetUp() override { ASSERT_EQ(setup_error_, "") << registry_->logs(); }

  std::string image(const std::string& rest) { return registry_->address() + "/test/busybox" + rest; }

  static inline test::RegistryProcess* registry_ = nullptr;
  static inline std::string work_dir_, layout_, setup_error_;
  static inline OciPulledManifest amd64_, arm64_;
  RegistryClient client_;
};

TEST_F(OciRegistryPullTest, RecordsTheImageConfig) {
  ImageConfig config;
  ASSERT_EQ(client_.pullConfig(ociRef(image(":v1")), &config), "");
  EXPECT_EQ(config.manifest_digest, amd64_.digest);
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_TRUE(config.entrypoint.empty());
  EXPECT_NE(std::find(config.env.begin(), config.env.end(), "FOO=bar"), config.env.end());
  EXPECT_EQ(config.exposed_ports, (std::vector<int>{8080}));  // 53/udp is not routable
  EXPECT_EQ(config.user, "1000:1000");
  EXPECT_EQ(config.working_dir, "/app");
  ASSERT_EQ(config.layers.size(), 3u);
  for (const Layer& layer : config.layers) {
    EXPECT_EQ(layer.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    EXPECT_TRUE(isSha256Digest(layer.digest));
    EXPECT_GT(layer.size, 0u);
  }
}

TEST_F(OciRegistryPullTest, PullsDockerSchema2Images) {
  ImageConfig config;
  ASSERT_EQ(client_.pullConfig(ociRef(image(":docker-v1")), &config), "");
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(config.exposed_ports, (std::vector<int>{8080}));
  ASSERT_EQ(config.layers.size(), 3u);
  EXPECT_EQ(config.layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_NE(config.manifest_digest, amd64_.digest);  // another manifest of the same layers
}

TEST_F(OciRegistryPullTest, BuildsTheRootfsWithWhiteoutsApplied) {
  ImageRef ref = ociRef(image(":v1"));
  ImageConfig config;
  ASSERT_EQ(client_.pullConfig(ref, &config), "");
  LayerStore store(work_dir_ + "/store-rootfs", 256 << 20);
  int fetches = 0;
  BlobFetcher counting = [&, fetch = registryFetcher(client_, ref)](const Layer& layer,
                                                                    const BlobSink& sink) {
    ++fetches;
    return fetch(layer, sink);
  };
  std::string error;
  std::string root = store.rootfs(config, counting, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(fetches, 3);
  EXPECT_EQ(root, store.rootfsPath(config.manifest_digest));
  EXPECT_EQ(test::readFile(root + "/etc/hello.txt"), "hello");
  EXPECT_FALSE(fs::exists(root + "/etc/removed.txt"));     // layer 2's whiteout
  EXPECT_FALSE(fs::exists(root + "/opt/data/old1"));       // layer 3 made opt/data opaque
  EXPECT_EQ(test::readFile(root + "/opt/data/new1"), "n1");
  EXPECT_EQ(fs::read_symlink(root + "/bin/sh"), "busybox");
  struct stat st;
  ASSERT_EQ(stat((root + "/bin/busybox").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  // The unpacked busybox is the real, runnable binary.
  auto [rc, out] = test::runShell(root + "/bin/busybox echo from-the-image");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "from-the-image\n");
  // Pulling again finds everything in place.
  EXPECT_EQ(store.rootfs(config, counting, &error), root);
  EXPECT_EQ(fetches, 3);
}

TEST_F(OciRegistryPullTest, PinnedDigestPullsThatManifest) {
  ImageConfig config;
  ASSERT_EQ(client_.pullConfig(ociRef(image("@" + amd64_.digest)), &config), "");
  EXPECT_EQ(config.manifest_digest, amd64_.digest);
  std::string unknown = "sha256:" + std::string(64, '0');
  EXPECT_EQ(client_.pullConfig(ociRef(image("@" + unknown)), &config),
            "image not found: " + image("@" + unknown));
}

TEST_F(OciRegistryPullTest, UnknownTagOrRepositoryIsNotFound) {
  ImageConfig config;
  EXPECT_EQ(client_.pullConfig(ociRef(image(":nope")), &config), "image not found: " + image(":nope"));
  std::string other = registry_->address() + "/test/nothing:v1";
  EXPECT_EQ(client_.pullConfig(ociRef(other), &config), "image not found: " + other);
}

TEST_F(OciRegistryPullTest, MultiArchIndexResolvesToAmd64) {
  ImageConfig config;
  ASSERT_EQ(client_.pullConfig(ociRef(image(":multi")), &config), "");
  EXPECT_EQ(config.manifest_digest, amd64_.digest);
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  // Another client configured for arm64 gets the other entry.
  RegistryClient arm({.architecture = "arm64"});
  ASSERT_EQ(arm.pullConfig(ociRef(image(":multi")), &config), "");
  EXPECT_EQ(config.manifest_digest, arm64_.digest);
}

TEST_F(OciRegistryPullTest, IndexWithoutAmd64NamesItsPlatforms) {
  ImageConfig config;
  std::string error = client_.pullConfig(ociRef(image(":arm-only")), &config);
  EXPECT_NE(error.find("no image for linux/amd64"), std::string::npos) << error;
  EXPECT_NE(error.find("it has: linux/arm64"), std::string::npos) << error;
}

TEST_F(OciRegistryPullTest, UnreachableRegistryIsSaid) {
  RegistryClient client({.connect_timeout_ms = 1000});
  std::string address = "127.0.0.1:" + std::to_string(test::freeTcpPort());
  ImageConfig config;
  std::string error = client.pullConfig(ociRef(address + "/test/busybox:v1"), &config);
  EXPECT_EQ(error.rfind("registry unreachable: " + address, 0), 0u) << error;
}

class OciRegistryAuthTest : public ::testing::Test {
 protected:
  static constexpr const char* kUser = "alice";
  static constexpr const char* kPassword = "s3cret-Pa55word";

  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/oci-auth-test-XXXXXX";
    work_dir_ = mkdtemp(tmpl);
    registry_ = new test::RegistryProcess({kUser, kPassword});
    if (!registry_->start()) {
      setup_error_ = registry_->lastError();
      return;
    }
    setup_error_ = test::buildTestImageLayout(work_dir_, &layout_);
    if (setup_error_.empty()) {
      setup_error_ = test::pushTestImage(layout_, "v1", registry_->address() + "/private/app:v1",
                                         {.creds = std::string(kUser) + ":" + kPassword});
    }
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    fs::remove_all(work_dir_);
  }
  void SetUp() override { ASSERT_EQ(setup_error_, "") << registry_->logs(); }

  std::string image() { return registry_->address() + "/private/app:v1"; }

  static inline test::RegistryProcess* registry_ = nullptr;
  static inline std::string work_dir_, layout_, setup_error_;
};

TEST_F(OciRegistryAuthTest, BasicAuthWithTheRightPassword) {
  RegistryClient client({.credentials = {kUser, auth::Secret(kPassword)}});
  ImageRef ref = ociRef(image());
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(ref, &config), "");
  EXPECT_EQ(config.working_dir, "/app");
  LayerStore store(work_dir_ + "/store", 256 << 20);
  std::string error;
  std::string root = store.rootfs(config, registryFetcher(client, ref), &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(test::readFile(root + "/etc/hello.txt"), "hello");
}

TEST_F(OciRegistryAuthTest, WrongPasswordIsUnauthorizedAndNeverEchoed) {
  const std::string wrong = "wr0ng-Pa55word";
  RegistryClient client({.credentials = {kUser, auth::Secret(wrong)}});
  ImageConfig config;
  std::string error = client.pullConfig(ociRef(image()), &config);
  EXPECT_EQ(error.rfind("unauthorized: ", 0), 0u) << error;
  EXPECT_NE(error.find(kUser), std::string::npos) << error;
  EXPECT_EQ(error.find(wrong), std::string::npos) << error;
  EXPECT_EQ(error.find(kPassword), std::string::npos) << error;
}

TEST_F(OciRegistryAuthTest, NoCredentialsIsUnauthorized) {
  RegistryClient client;
  ImageConfig config;
  std::string error = client.pullConfig(ociRef(image()), &config);
  EXPECT_EQ(error, "unauthorized: " + registry_->address() + " requires credentials for " + image());
}

TEST(OciRegistryCorruptionTest, CorruptedLayerIsADigestMismatch) {
  char tmpl[] = "/tmp/oci-corrupt-test-XXXXXX";
  const std::string work_dir = mkdtemp(tmpl);
  test::RegistryProcess registry;
  ASSERT_TRUE(registry.start()) << registry.lastError();
  std::string layout;
  ASSERT_EQ(test::buildTestImageLayout(work_dir, &layout), "");
  ASSERT_EQ(test::pushTestImage(layout, "v1", registry.address() + "/test/app:v1"), "");
  RegistryClient client;
  ImageRef ref = ociRef(registry.address() + "/test/app:v1");
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(ref, &config), "");
  // Flip one byte of the bottom layer in the registry's own storage: same size, other content.
  const Layer& layer = config.layers[0];
  std::fstream data(registry.blobDataPath(layer.digest), std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(data.is_open()) << registry.blobDataPath(layer.digest);
  data.seekg(static_cast<std::streamoff>(layer.size / 2));
  char byte = 0;
  data.read(&byte, 1);
  data.seekp(static_cast<std::streamoff>(layer.size / 2));
  byte = static_cast<char>(byte ^ 0x5a);
  data.write(&byte, 1);
  data.close();
  LayerStore store(work_dir + "/store", 256 << 20);
  std::string error;
  EXPECT_EQ(store.rootfs(config, registryFetcher(client, ref), &error), "");
  EXPECT_EQ(error, "layer " + layer.digest + " digest mismatch");
  EXPECT_FALSE(fs::exists(store.blobPath(layer.digest)));
  EXPECT_FALSE(fs::exists(store.rootfsPath(config.manifest_digest)));
  fs::remove_all(work_dir);
}

}  // namespace
}  // namespace foundry::oci
