#include "common/oci/layer_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "common/oci/sha256.h"
#include "tests/test_common/files.h"
#include "tests/test_common/oci_layers.h"

namespace foundry::oci {
namespace {

namespace fs = std::filesystem;
using test::buildLayerTar;
using test::ociDir;
using test::ociFile;
using test::ociOpaque;
using test::ociSymlink;
using test::ociWhiteout;
using test::TarCompression;
using test::TarEntry;

// Blobs served from memory, as a registry would, counting fetches per digest.
class OciMemoryBlobs {
 public:
  Layer add(const std::string& bytes,
            const std::string& media_type = "application/vnd.oci.image.layer.v1.tar+gzip") {
    Layer layer{sha256Digest(bytes), bytes.size(), media_type};
    std::lock_guard<std::mutex> lock(mutex_);
    blobs_[layer.digest] = bytes;
    return layer;
  }
  // Serves `bytes` for `layer` instead of what it was registered with (a corrupted blob).
  void replace(const Layer& layer, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    blobs_[layer.digest] = bytes;
  }
  BlobFetcher fetcher() {
    return [this](const Layer& layer, const BlobSink& sink) -> std::string {
      std::string bytes;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++fetches_[layer.digest];
        auto it = blobs_.find(layer.digest);
        if (it == blobs_.end()) return "layer " + layer.digest + " not found";
        bytes = it->second;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      return sink.write(bytes.data(), bytes.size()) ? "" : "transfer aborted";
    };
  }
  int fetches(const std::string& digest) {
    std::lock_guard<std::mutex> lock(mutex_);
    return fetches_[digest];
  }
  int delay_ms = 0;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, int> fetches_;
};

class OciLayerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/oci-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ImageConfig image(const std::vector<Layer>& layers) {
    ImageConfig config;
    std::string all;
    for (const Layer& l : layers) all += l.digest;
    config.manifest_digest = sha256Digest(all);  // unique per layer list, like a manifest's
    config.layers = layers;
    return config;
  }

  std::string dir_;
  OciMemoryBlobs blobs_;
};

TEST_F(OciLayerStoreTest, UnpacksLayersInOrderWithWhiteouts) {
  LayerStore store(dir_ + "/cache", 64 << 20);
  ASSERT_EQ(store.initError(), "");
  Layer base = blobs_.add(buildLayerTar({
      ociDir("/"), ociDir("./"),  // the root itself, as umoci and docker save write it
      ociDir("etc"), ociFile("etc/keep", "keep"), ociFile("etc/gone", "old"),
      ociDir("var"), ociDir("var/lib"), ociFile("var/lib/state", "s"),
      ociFile("etc/replaced", "v1"), ociSymlink("etc/link", "keep"),
  }));
  Layer top = blobs_.add(buildLayerTar({
      ociWhiteout("etc/gone"), ociWhiteout("var/lib"), ociFile("etc/replaced", "v2"),
      ociFile("etc/new", "new"),
  }, TarCompression::None), "application/vnd.oci.image.layer.v1.tar");
  std::string error;
  std::string root = store.rootfs(image({base, top}), blobs_.fetcher(), &error);
  ASSERT_EQ(error, "");
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(test::readFile(root + "/etc/keep"), "keep");
  EXPECT_FALSE(fs::exists(root + "/etc/gone"));
  EXPECT_FALSE(fs::exists(root + "/etc/.wh.gone"));  // whiteouts are markers, not files
  EXPECT_FALSE(fs::exists(root + "/var/lib"));  // a whited-out directory goes with its content
  EXPECT_TRUE(fs::is_directory(root + "/var"));
  EXPECT_EQ(test::readFile(root + "/etc/replaced"), "v2");
  EXPECT_EQ(test::readFile(root + "/etc/new"), "new");
  EXPECT_EQ(fs::read_symlink(root + "/etc/link"), "keep");
  EXPECT_EQ(root, store.rootfsPath(image({base, top}).manifest_digest));
}

TEST_F(OciLayerStoreTest, OpaqueDirectoryLosesOnlyLowerContent) {
  LayerStore store(dir_, 64 << 20);
  Layer base = blobs_.add(buildLayerTar({
      ociDir("opt"), ociDir("opt/data"), ociFile("opt/data/old1", "1"), ociDir("opt/data/sub"),
      ociFile("opt/data/sub/old2", "2"), ociFile("opt/other", "o"),
  }));
  // The opaque marker both before (umoci's order) and after this layer's own entries.
  Layer before = blobs_.add(buildLayerTar({
      ociOpaque("opt/data"), ociDir("opt/data"), ociFile("opt/data/new1", "n1"),
  }));
  Layer after = blobs_.add(buildLayerTar({
      ociFile("opt/data/sub/new2", "n2"), ociOpaque("opt/data"),
  }));
  std::string error;
  std::string root = store.rootfs(image({base, before}), blobs_.fetcher(), &error);
  ASSERT_EQ(error, "");
  EXPECT_FALSE(fs::exists(root + "/opt/data/old1"));
  EXPECT_FALSE(fs::exists(root + "/opt/data/sub"));
  EXPECT_EQ(test::readFile(root + "/opt/data/new1"), "n1");
  EXPECT_EQ(test::readFile(root + "/opt/other"), "o");  // outside the opaque directory
  EXPECT_FALSE(fs::exists(root + "/opt/data/.wh..wh..opq"));

  root = store.rootfs(image({base, after}), blobs_.fetcher(), &error);
  ASSERT_EQ(error, "");
  EXPECT_FALSE(fs::exists(root + "/opt/data/old1"));
  EXPECT_FALSE(fs::exists(root + "/opt/data/sub/old2"));  // lower content of a kept subdir
  EXPECT_EQ(test::readFile(root + "/opt/data/sub/new2"), "n2");
}

TEST_F(OciLayerStoreTest, KeepsModesOwnersAndSkipsDevices) {
  LayerStore store(dir_, 64 << 20);
  TarEntry secret = ociFile("home/app/secret", "s", 0600);
  secret.uid = 1234;
  secret.gid = 4321;
  TarEntry tool = ociFile("bin/tool", "#!/bin/sh\n", 04755);
  TarEntry device{.kind = TarEntry::Kind::CharDevice, .name = "dev/null", .mode = 0666};
  TarEntry hard{.kind = TarEntry::Kind::Hardlink, .name = "bin/tool2", .target = "bin/tool"};
  Layer layer = blobs_.add(buildLayerTar({ociDir("home"), ociDir("home/app", 0750), secret,
                                          ociDir("bin"), tool, ociDir("dev"), device, hard},
                                         TarCompression::Zstd),
                           "application/vnd.oci.image.layer.v1.tar+zstd");
  std::string error;
  std::string root = store.rootfs(image({layer}), blobs_.fetcher(), &error);
  ASSERT_EQ(error, "");
  struct stat st;
  ASSERT_EQ(stat((root + "/home/app/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  if (geteuid() == 0) {  // ownership is only ever restored by root (the cell)
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 4321u);
  }
  ASSERT_EQ(stat((root + "/home/app").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(stat((root + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_nlink, 2u);  // bin/tool2 is a hard link to it
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_FALSE(fs::exists(fs::symlink_status(root + "/dev/null")));
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(OciLayerStoreTest, DigestMismatchCachesNothing) {
  LayerStore store(dir_, 64 << 20);
  const std::string good_bytes = buildLayerTar({ociFile("a", "a")});
  Layer good = blobs_.add(good_bytes);
  std::string corrupt = buildLayerTar({ociFile("a", "b")});  // same size, other bytes
  ASSERT_EQ(corrupt.size(), good.size);
  blobs_.replace(good, corrupt);
  std::string error;
  EXPECT_EQ(store.rootfs(image({good}), blobs_.fetcher(), &error), "");
  EXPECT_EQ(error, "layer " + good.digest + " digest mismatch");
  EXPECT_FALSE(fs::exists(store.blobPath(good.digest)));
  EXPECT_FALSE(fs::exists(store.rootfsPath(image({good}).manifest_digest)));
  EXPECT_TRUE(fs::is_empty(dir_ + "/tmp"));
  // Longer than declared: refused as well, before it is all read.
  blobs_.replace(good, corrupt + std::string(200 << 10, 'x'));
  EXPECT_EQ(store.blob(good, blobs_.fetcher(), &error), "");
  EXPECT_NE(error.find("digest mismatch"), std::string::npos) << error;
  // Once the registry serves the right bytes, the next pull succeeds.
  blobs_.replace(good, good_bytes);
  EXPECT_EQ(store.blob(good, blobs_.fetcher(), &error), store.blobPath(good.digest));
  EXPECT_EQ(sha256DigestOfFile(store.blobPath(good.digest)), good.digest);
}

TEST_F(OciLayerStoreTest, RestartDropsTheBytesOfARefusedAttempt) {
  LayerStore store(dir_, 64 << 20);
  std::string bytes = buildLayerTar({ociFile("a", "a")});
  Layer layer = blobs_.add(bytes);
  BlobFetcher fetcher = [&](const Layer&, const BlobSink& sink) -> std::string {
    std::string refusal = R"({"errors":[{"code":"UNAUTHORIZED"}]})" + std::string(4096, ' ');
    sink.write(refusal.data(), refusal.size());  // a 401 body, bigger than the layer
    sink.restart();
    return sink.write(bytes.data(), bytes.size()) ? "" : "aborted";
  };
  std::string error;
  EXPECT_EQ(store.blob(layer, fetcher, &error), store.blobPath(layer.digest)) << error;
}

TEST_F(OciLayerStoreTest, RefusesPathTraversal) {
  LayerStore store(dir_ + "/cache", 64 << 20);
  const std::vector<std::pair<std::vector<TarEntry>, std::string>> cases = {
      {{ociFile("../escaped", "x")}, "path traversal refused: ../escaped"},
      {{ociDir("a"), ociFile("a/../../escaped", "x")}, "path traversal refused"},
      {{ociFile("/escaped", "x")}, "absolute path refused: /escaped"},
      {{ociWhiteout("../escaped")}, "path traversal refused"},
  };
  for (const auto& [entries, expected] : cases) {
    Layer layer = blobs_.add(buildLayerTar(entries));
    std::string error;
    EXPECT_EQ(store.rootfs(image({layer}), blobs_.fetcher(), &error), "");
    EXPECT_NE(error.find(expected), std::string::npos) << error;
    EXPECT_NE(error.find(layer.digest), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(store.rootfsPath(image({layer}).manifest_digest)));
  }
  EXPECT_FALSE(fs::exists(dir_ + "/escaped"));
  EXPECT_FALSE(fs::exists("/escaped"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/cache/tmp"));
}

TEST_F(OciLayerStoreTest, RefusesWritingThroughSymlinks) {
  LayerStore store(dir_ + "/cache", 64 << 20);
  fs::create_directories(dir_ + "/outside");
  std::FILE* victim = std::fopen((dir_ + "/outside/victim").c_str(), "w");
  ASSERT_NE(victim, nullptr);
  std::fputs("safe", victim);
  std::fclose(victim);
  Layer link = blobs_.add(buildLayerTar({ociSymlink("escape", dir_ + "/outside")}));
  const std::vector<std::vector<TarEntry>> attacks = {
      {ociFile("escape/pwned", "x")},  // a file through the symlink
      {ociWhiteout("escape/victim")},  // a delete through it
      {ociOpaque("escape")},           // emptying what it points to
  };
  for (const auto& entries : attacks) {
    Layer attack = blobs_.add(buildLayerTar(entries));
    std::string error;
    EXPECT_EQ(store.rootfs(image({link, attack}), blobs_.fetcher(), &error), "");
    EXPECT_NE(error.find("refused to write through the symlink /escape"), std::string::npos)
        << error;
  }
  EXPECT_FALSE(fs::exists(dir_ + "/outside/pwned"));
  EXPECT_EQ(test::readFile(dir_ + "/outside/victim"), "safe");
}

TEST_F(OciLayerStoreTest, EnforcesTheImageSizeLimit) {
  LayerStore store(dir_, 1 << 20);
  Layer a = blobs_.add(buildLayerTar({ociFile("a", std::string(700 << 10, 'a'))}, TarCompression::None));
  Layer b = blobs_.add(buildLayerTar({ociFile("b", std::string(700 << 10, 'b'))}, TarCompression::None));
  std::string error;
  EXPECT_EQ(store.rootfs(image({a, b}), blobs_.fetcher(), &error), "");
  EXPECT_EQ(error, "image layers exceed 1 MB");
  EXPECT_EQ(blobs_.fetches(a.digest), 0);  // refused before downloading anything
  EXPECT_NE(store.rootfs(image({a}), blobs_.fetcher(), &error), "") << error;
}

TEST_F(OciLayerStoreTest, ConcurrentPullsDownloadAndUnpackOnce) {
  LayerStore store(dir_, 64 << 20);
  Layer layer = blobs_.add(buildLayerTar({ociFile("hello", "world")}));
  blobs_.delay_ms = 100;
  ImageConfig config = image({layer});
  std::vector<std::string> roots(6), errors(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < roots.size(); ++i) {
    threads.emplace_back([&, i] { roots[i] = store.rootfs(config, blobs_.fetcher(), &errors[i]); });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < roots.size(); ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_EQ(roots[i], store.rootfsPath(config.manifest_digest));
  }
  EXPECT_EQ(blobs_.fetches(layer.digest), 1);
  EXPECT_EQ(test::readFile(roots[0] + "/hello"), "world");
  // A second image sharing the layer reuses the cached blob.
  Layer other = blobs_.add(buildLayerTar({ociFile("more", "x")}));
  std::string error;
  ASSERT_NE(store.rootfs(image({layer, other}), blobs_.fetcher(), &error), "") << error;
  EXPECT_EQ(blobs_.fetches(layer.digest), 1);
}

TEST_F(OciLayerStoreTest, LeftoversOfACrashAreRemovedAtStart) {
  fs::create_directories(dir_ + "/tmp/rootfs-abc.1.1/etc");
  LayerStore store(dir_, 64 << 20);
  EXPECT_TRUE(fs::is_empty(dir_ + "/tmp"));
}

}  // namespace
}  // namespace foundry::oci
