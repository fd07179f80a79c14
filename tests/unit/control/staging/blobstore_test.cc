// LocalBlobstore (content addressing, dedupe, resource cache, buildpack caches) and the package
// assembler on top of it (zip + matched resources -> one package .tgz).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/blobstore/hashing.h"
#include "control/blobstore/local_blobstore.h"
#include "control/staging/package_assembler.h"
#include "staging/droplet/archive.h"
#include "tests/unit/control/staging/zip_builder.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BlobstoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-blobs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    blobs_ = std::make_unique<LocalBlobstore>(dir_ + "/blobs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  // The package's files (extracted) as path -> content.
  std::map<std::string, std::string> packageFiles(const std::string& sha) {
    auto path = blobs_->blobPath(sha);
    EXPECT_TRUE(path);
    std::string out = dir_ + "/extracted-" + sha.substr(0, 8);
    EXPECT_EQ(staging::extractArchive(*path, out), "");
    std::map<std::string, std::string> files;
    for (auto& e : fs::recursive_directory_iterator(out)) {
      if (e.is_regular_file()) files[fs::relative(e.path(), out).string()] = readAll(e.path());
    }
    return files;
  }

  std::string dir_;
  std::unique_ptr<LocalBlobstore> blobs_;
};

TEST_F(BlobstoreTest, PutIsContentAddressedAndDeduplicated) {
  const std::string sha = blobs_->putFile(write("a", "hello"));
  EXPECT_EQ(sha, sha256Hex("hello"));
  EXPECT_FALSE(fs::exists(dir_ + "/a"));  // moved in
  auto path = blobs_->blobPath(sha);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, dir_ + "/blobs/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2));
  EXPECT_EQ(readAll(*path), "hello");
  // The same bytes again: same address, one copy, the source consumed.
  EXPECT_EQ(blobs_->putFile(write("b", "hello")), sha);
  EXPECT_FALSE(fs::exists(dir_ + "/b"));
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_ + "/blobs/sha256")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_FALSE(blobs_->blobPath(sha256Hex("other")));
  EXPECT_FALSE(blobs_->blobPath("../../etc/passwd"));
  EXPECT_THROW(blobs_->putFile(dir_ + "/missing"), BlobError);
}

TEST_F(BlobstoreTest, ResourceCacheChecksTheSha1) {
  const std::string sha1 = sha1Hex("body");
  EXPECT_FALSE(blobs_->hasResource(sha1));
  EXPECT_THROW(blobs_->putResource(sha1Hex("not it"), write("r", "body")), BlobError);
  EXPECT_FALSE(blobs_->hasResource(sha1Hex("not it")));
  blobs_->putResource(sha1, write("r", "body"));
  EXPECT_TRUE(fs::exists(dir_ + "/r"));  // copied, not moved
  EXPECT_TRUE(blobs_->hasResource(sha1));
  std::string upper = sha1;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(blobs_->hasResource(upper));
  EXPECT_EQ(readAll(*blobs_->resourcePath(sha1)), "body");
  EXPECT_FALSE(blobs_->hasResource("xyz"));
}

TEST_F(BlobstoreTest, BuildpackCacheIsReplacedPerApp) {
  EXPECT_FALSE(blobs_->buildpackCachePath("app-1"));
  blobs_->putBuildpackCache("app-1", write("c1", "one"));
  blobs_->putBuildpackCache("app-1", write("c2", "two"));
  EXPECT_EQ(readAll(*blobs_->buildpackCachePath("app-1")), "two");
  EXPECT_THROW(blobs_->putBuildpackCache("../x", write("c3", "x")), BlobError);
}

TEST_F(BlobstoreTest, TempFilesFromACrashAreClearedAtStart) {
  std::string tmp = blobs_->makeTempDir("upload");
  std::ofstream(tmp + "/half") << "x";
  blobs_ = std::make_unique<LocalBlobstore>(dir_ + "/blobs");
  EXPECT_FALSE(fs::exists(tmp));
}

TEST_F(BlobstoreTest, AssemblesZipAndMatchedResources) {
  // First push: everything uploaded, all of it lands in the resource cache.
  std::string zip = test::makeZip({{"server.js", "console.log(1)", 0755},
                                   {"lib/util.js", "module.exports = 2"}});
  AssembledPackage first = assemblePackage(*blobs_, zip, {});
  ASSERT_EQ(first.error, "");
  EXPECT_TRUE(blobs_->hasResource(sha1Hex("console.log(1)")));
  EXPECT_TRUE(blobs_->hasResource(sha1Hex("module.exports = 2")));

  // Second push: one new file uploaded, two taken from the cache (one under a new name).
  std::string zip2 = test::makeZip({{"README", "new"}});
  std::vector<MatchedResource> matched;
  ASSERT_EQ(parseMatchedResources(R"([
      {"checksum":{"value":")" + sha1Hex("console.log(1)") + R"("},"size_in_bytes":14,
       "path":"server.js","mode":"0755"},
      {"checksum":{"value":")" + sha1Hex("module.exports = 2") + R"("},"path":"lib/copy.js"}])",
                                  &matched),
            "");
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0].mode, 0755u);
  AssembledPackage second = assemblePackage(*blobs_, zip2, matched);
  ASSERT_EQ(second.error, "");
  auto files = packageFiles(second.sha256);
  EXPECT_EQ(files, (std::map<std::string, std::string>{{"README", "new"},
                                                       {"server.js", "console.log(1)"},
                                                       {"lib/copy.js", "module.exports = 2"}}));
  // Only resources, no bits.
  AssembledPackage third = assemblePackage(*blobs_, "", matched);
  ASSERT_EQ(third.error, "");
  EXPECT_EQ(packageFiles(third.sha256).size(), 2u);
}

TEST_F(BlobstoreTest, RejectsGarbageUnknownResourcesAndEscapingPaths) {
  auto count_blobs = [&] {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir_ + "/blobs/sha256")) n += e.is_regular_file();
    return n;
  };
  AssembledPackage garbage = assemblePackage(*blobs_, "this is not a zip at all", {});
  EXPECT_NE(garbage.error.find("Invalid zip"), std::string::npos) << garbage.error;

  std::vector<MatchedResource> unknown = {{sha1Hex("never uploaded"), "a.txt", 0644}};
  AssembledPackage missing = assemblePackage(*blobs_, "", unknown);
  EXPECT_NE(missing.error.find(sha1Hex("never uploaded")), std::string::npos) << missing.error;

  AssembledPackage evil = assemblePackage(*blobs_, test::makeZip({{"../evil", "x"}}), {});
  EXPECT_NE(evil.error, "");
  EXPECT_FALSE(fs::exists(dir_ + "/blobs/tmp/evil"));
  EXPECT_EQ(count_blobs(), 0u);  // nothing half-stored
  size_t leftovers = 0;
  for (auto it = fs::directory_iterator(dir_ + "/blobs/tmp"); it != fs::directory_iterator();
       ++it) {
    ++leftovers;
  }
  EXPECT_EQ(leftovers, 0u);

  std::vector<MatchedResource> out;
  for (const char* path : {"../x", "/etc/passwd", "a/../../b", "", "a//b"}) {
    out.clear();
    std::string j = std::string(R"([{"checksum":{"value":")") + sha1Hex("x") +
                    R"("},"path":")" + path + R"("}])";
    EXPECT_NE(parseMatchedResources(j, &out), "") << path;
  }
  EXPECT_NE(parseMatchedResources("{}", &out), "");
  EXPECT_NE(parseMatchedResources(R"([{"checksum":{"value":"nothex"},"path":"a"}])", &out), "");
  EXPECT_NE(parseMatchedResources(
                R"([{"checksum":{"value":")" + sha1Hex("x") + R"("},"path":"a","mode":"999"}])",
                &out),
            "");
}

TEST_F(BlobstoreTest, ResourcesCannotBeWrittenThroughAnUploadedSymlink) {
  std::string seed = test::makeZip({{"f", "content"}});
  ASSERT_EQ(assemblePackage(*blobs_, seed, {}).error, "");
  fs::create_directories(dir_ + "/outside");
  std::string zip = test::makeZip({{"link", dir_ + "/outside", 0777, true}});
  std::vector<MatchedResource> matched = {{sha1Hex("content"), "link/f", 0644}};
  AssembledPackage r = assemblePackage(*blobs_, zip, matched);
  EXPECT_NE(r.error, "");
  EXPECT_FALSE(fs::exists(dir_ + "/outside/f"));
}

}  // namespace
}  // namespace foundry::control
