// Against a registry the test plays itself (FakeBackend): Bearer token auth with a token
// service (docker-registry's token auth would need a real one), redirected blob downloads,
// Docker manifest lists and a manifest that is not the one pinned.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>

#include "common/oci/layer_store.h"
#include "common/oci/registry_client.h"
#include "common/oci/sha256.h"
#include "tests/test_common/fake_backend.h"
#include "tests/test_common/files.h"
#include "tests/test_common/oci_layers.h"

namespace foundry::oci {
namespace {

namespace fs = std::filesystem;
using test::BackendRequest;
using test::BackendResponse;
using test::FakeBackend;

constexpr const char* kFakeUser = "alice";
constexpr const char* kFakePassword = "tok-pass-123";
constexpr const char* kFakeBasic = "Basic YWxpY2U6dG9rLXBhc3MtMTIz";  // alice:tok-pass-123
constexpr const char* kFakeToken = "good-token";

// One image (a layer with /hello), its manifest under tag v1 and a Docker manifest list under
// tag list; behind Bearer auth; what the token service gives and what the registry accepts
// are set per test.
class OciFakeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/oci-fake-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    layer_ = test::buildLayerTar({test::ociFile("hello", "world")});
    layer_digest_ = sha256Digest(layer_);
    config_ = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/hello"],"ExposedPorts":{"80/tcp":{}}}})";
    config_digest_ = sha256Digest(config_);
    manifest_ = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
                R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                config_digest_ + R"(","size":)" + std::to_string(config_.size()) +
                R"(},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                layer_digest_ + R"(","size":)" + std::to_string(layer_.size()) + "}]}";
    manifest_digest_ = sha256Digest(manifest_);
    list_ = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[)"
            R"({"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" +
            manifest_digest_ + R"(","size":)" + std::to_string(manifest_.size()) +
            R"(,"platform":{"architecture":"amd64","os":"linux"}}]})";
    tokens_.setHandler([this](const BackendRequest& r) { return tokenService(r); });
    registry_.setHandler([this](const BackendRequest& r) { return serveRegistry(r); });
    cdn_.setHandler([this](const BackendRequest&) {
      return BackendResponse::text(200, layer_, "application/octet-stream");
    });
  }
  void TearDown() override { fs::remove_all(dir_); }

  BackendResponse tokenService(const BackendRequest& r) {
    bool right_query = r.target.find("service=fake-registry") != std::string::npos &&
                       r.target.find("scope=repository%3Atest%2Fapp%3Apull") != std::string::npos;
    if (!right_query) return BackendResponse::text(400, "bad query " + r.target);
    if (require_credentials_ && r.header("Authorization") != std::string(kFakeBasic)) {
      return BackendResponse::text(401, R"({"details":"incorrect username or password"})");
    }
    return BackendResponse::text(200, "{\"" + token_field_ + "\":\"" + kFakeToken + "\"}",
                                 "application/json");
  }

  BackendResponse serveRegistry(const BackendRequest& r) {
    if (r.header("Authorization") != "Bearer " + accepted_token_) {
      BackendResponse refusal = BackendResponse::text(
          401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
          "application/json");
      refusal.headers.emplace_back(
          "WWW-Authenticate", "Bearer realm=\"http://" + tokens_.address() +
                                  "/token\",service=\"fake-registry\",scope=\"repository:test/app:pull\"");
      return refusal;
    }
    const std::string prefix = "/v2/test/app/";
    if (r.target == prefix + "manifests/v1" || r.target == prefix + "manifests/" + manifest_digest_) {
      return BackendResponse::text(200, served_manifest_.empty() ? manifest_ : served_manifest_,
                                   "application/vnd.docker.distribution.manifest.v2+json");
    }
    if (r.target == prefix + "manifests/list") {
      return BackendResponse::text(200, list_,
                                   "application/vnd.docker.distribution.manifest.list.v2+json");
    }
    if (r.target == prefix + "blobs/" + config_digest_) {
      return BackendResponse::text(200, config_, "application/octet-stream");
    }
    if (r.target == prefix + "blobs/" + layer_digest_) {
      if (redirect_blobs_) {
        BackendResponse moved = BackendResponse::text(307, "");
        moved.headers.emplace_back("Location", "http://" + cdn_.address() + "/bucket/layer?sig=x");
        return moved;
      }
      return BackendResponse::text(200, layer_, "application/octet-stream");
    }
    return BackendResponse::text(
        404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
        "application/json");
  }

  ImageRef ref(const std::string& rest) {
    ImageRef out;
    EXPECT_EQ(parseImageRef(registry_.address() + "/test/app" + rest, &out), "");
    return out;
  }
  RegistryClient withCredentials() {
    return RegistryClient({.credentials = {kFakeUser, auth::Secret(kFakePassword)}});
  }

  std::string dir_, layer_, layer_digest_, config_, config_digest_, manifest_, manifest_digest_,
      list_, served_manifest_;
  std::string token_field_ = "token";
  std::string accepted_token_ = kFakeToken;
  bool require_credentials_ = true;
  bool redirect_blobs_ = false;
  FakeBackend tokens_{"tokens"}, registry_{"registry"}, cdn_{"cdn"};
};

TEST_F(OciFakeRegistryTest, BearerTokenFromTheRealm) {
  RegistryClient client = withCredentials();
  ImageRef image = ref(":v1");
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(image, &config), "");
  EXPECT_EQ(config.manifest_digest, manifest_digest_);
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"/hello"}));
  EXPECT_EQ(config.exposed_ports, (std::vector<int>{80}));
  LayerStore store(dir_ + "/store", 64 << 20);
  std::string error;
  std::string root = store.rootfs(config, registryFetcher(client, image), &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(test::readFile(root + "/hello"), "world");
  // One token for the whole pull: the client reuses it for the config and the layer.
  EXPECT_EQ(tokens_.requestCount(), 1u);
  auto requests = registry_.requests();
  ASSERT_EQ(requests.size(), 4u);  // anonymous 401, manifest, config, layer
  EXPECT_FALSE(requests[0].hasHeader("Authorization"));
  EXPECT_EQ(requests[3].header("Authorization"), "Bearer " + std::string(kFakeToken));
}

TEST_F(OciFakeRegistryTest, AcceptsAccessTokenAndAnonymousTokens) {
  token_field_ = "access_token";
  require_credentials_ = false;
  RegistryClient client;
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(ref(":v1"), &config), "");
  ASSERT_EQ(tokens_.requestCount(), 1u);
  EXPECT_FALSE(tokens_.requests()[0].hasHeader("Authorization"));  // nothing to send
}

TEST_F(OciFakeRegistryTest, RefusedCredentialsAreUnauthorizedWithoutThePassword) {
  RegistryClient client({.credentials = {kFakeUser, auth::Secret("not-the-password")}});
  ImageConfig config;
  std::string error = client.pullConfig(ref(":v1"), &config);
  EXPECT_EQ(error.rfind("unauthorized: token service http://" + tokens_.address(), 0), 0u) << error;
  EXPECT_EQ(error.find("not-the-password"), std::string::npos) << error;
  EXPECT_EQ(error.find(kFakePassword), std::string::npos) << error;
}

TEST_F(OciFakeRegistryTest, TokenTheRegistryRejectsIsUnauthorized) {
  accepted_token_ = "another-token";
  RegistryClient client = withCredentials();
  ImageConfig config;
  std::string error = client.pullConfig(ref(":v1"), &config);
  EXPECT_EQ(error.rfind("unauthorized: " + registry_.address() + " refused the credentials of alice", 0), 0u)
      << error;
  EXPECT_EQ(error.find(kFakeToken), std::string::npos) << error;
}

TEST_F(OciFakeRegistryTest, RedirectedBlobsGoWithoutCredentials) {
  redirect_blobs_ = true;
  RegistryClient client = withCredentials();
  ImageRef image = ref(":v1");
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(image, &config), "");
  LayerStore store(dir_ + "/store", 64 << 20);
  std::string error;
  std::string root = store.rootfs(config, registryFetcher(client, image), &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(test::readFile(root + "/hello"), "world");
  ASSERT_EQ(cdn_.requestCount(), 1u);
  EXPECT_EQ(cdn_.requests()[0].target, "/bucket/layer?sig=x");
  EXPECT_FALSE(cdn_.requests()[0].hasHeader("Authorization"));  // the token stays with the registry
}

TEST_F(OciFakeRegistryTest, DockerManifestListResolvesToAmd64) {
  RegistryClient client = withCredentials();
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(ref(":list"), &config), "");
  EXPECT_EQ(config.manifest_digest, manifest_digest_);
}

TEST_F(OciFakeRegistryTest, ManifestThatIsNotThePinnedOneIsRefused) {
  RegistryClient client = withCredentials();
  ImageRef pinned = ref("@" + manifest_digest_);
  served_manifest_ = manifest_ + " ";  // same document, other bytes: another digest
  ImageConfig config;
  std::string error = client.pullConfig(pinned, &config);
  EXPECT_EQ(error, "manifest digest mismatch for " + pinned.str() + ": the registry sent " +
                       sha256Digest(served_manifest_));
}

TEST_F(OciFakeRegistryTest, CorruptedBlobIsADigestMismatch) {
  RegistryClient client = withCredentials();
  ImageRef image = ref(":v1");
  ImageConfig config;
  ASSERT_EQ(client.pullConfig(image, &config), "");
  layer_[layer_.size() / 2] ^= 0x20;
  LayerStore store(dir_ + "/store", 64 << 20);
  std::string error;
  EXPECT_EQ(store.rootfs(config, registryFetcher(client, image), &error), "");
  EXPECT_EQ(error, "layer " + layer_digest_ + " digest mismatch");
  EXPECT_FALSE(fs::exists(store.blobPath(layer_digest_)));
}

}  // namespace
}  // namespace foundry::oci
