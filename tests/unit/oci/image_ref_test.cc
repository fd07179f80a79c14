#include "common/oci/image_ref.h"

#include <gtest/gtest.h>

namespace foundry::oci {
namespace {

const std::string kOciRefDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct OciRefCase {
  std::string text, registry, repository, tag, digest;
};

TEST(OciImageRefTest, ParsesReferencesAsDockerDoes) {
  const std::vector<OciRefCase> cases = {
      {"busybox", "registry-1.docker.io", "library/busybox", "latest", ""},
      {"busybox:1.36", "registry-1.docker.io", "library/busybox", "1.36", ""},
      {"bitnami/redis", "registry-1.docker.io", "bitnami/redis", "latest", ""},
      {"docker.io/busybox", "registry-1.docker.io", "library/busybox", "latest", ""},
      {"index.docker.io/team/app:v1", "registry-1.docker.io", "team/app", "v1", ""},
      {"ghcr.io/owner/app:v2", "ghcr.io", "owner/app", "v2", ""},
      {"127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", ""},
      {"localhost/app:dev", "localhost", "app", "dev", ""},
      {"localhost:5000/a/b/c:1.0-rc_1", "localhost:5000", "a/b/c", "1.0-rc_1", ""},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", ""},
      // No '.', ':' or localhost: the first component is a Docker Hub namespace.
      {"myhost/app", "registry-1.docker.io", "myhost/app", "latest", ""},
      // A lone "localhost:5000" is the image "localhost" with tag 5000, as in Docker.
      {"localhost:5000", "registry-1.docker.io", "library/localhost", "5000", ""},
      {"quay.io/a/b@" + kOciRefDigest, "quay.io", "a/b", "latest", kOciRefDigest},
      {"quay.io/a/b:v1@" + kOciRefDigest, "quay.io", "a/b", "v1", kOciRefDigest},
      {"my-app.v2__x", "registry-1.docker.io", "library/my-app.v2__x", "latest", ""},
  };
  for (const OciRefCase& c : cases) {
    ImageRef ref;
    ASSERT_EQ(parseImageRef(c.text, &ref), "") << c.text;
    EXPECT_EQ(ref.registry, c.registry) << c.text;
    EXPECT_EQ(ref.repository, c.repository) << c.text;
    EXPECT_EQ(ref.tag, c.tag) << c.text;
    EXPECT_EQ(ref.digest, c.digest) << c.text;
  }
}

TEST(OciImageRefTest, ReferenceIsTheDigestWhenPinned) {
  ImageRef ref;
  ASSERT_EQ(parseImageRef("ghcr.io/o/app:v1@" + kOciRefDigest, &ref), "");
  EXPECT_EQ(ref.reference(), kOciRefDigest);
  EXPECT_EQ(ref.str(), "ghcr.io/o/app@" + kOciRefDigest);
  ASSERT_EQ(parseImageRef("busybox", &ref), "");
  EXPECT_EQ(ref.reference(), "latest");
  EXPECT_EQ(ref.str(), "registry-1.docker.io/library/busybox:latest");
}

TEST(OciImageRefTest, RefusesBadReferencesWithAClearReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty image reference"},
      {"Busybox", "repository name must be lowercase"},
      {"ghcr.io/Owner/app", "repository name must be lowercase"},
      {"app@sha256:abc", "invalid digest"},
      {"app@sha256:" + std::string(64, 'G'), "invalid digest"},
      {"app@" + std::string(64, 'a'), "invalid digest"},
      {"app@sha512:" + std::string(128, 'a'), "unsupported digest algorithm"},
      {"app:", "empty tag"},
      {"app:-bad", "invalid tag"},
      {"app:" + std::string(129, 'a'), "invalid tag"},
      {"-app", "invalid repository name"},
      {"a//b", "invalid repository name"},
      {"app/", "invalid repository name"},
      {"ghcr.io/", "empty repository name"},
      {"bad host!.io/app", "whitespace"},
      {"bad_host.io/app", "invalid registry host"},
      {":tag", "missing repository name"},
  };
  for (const auto& [text, expected] : cases) {
    ImageRef ref;
    std::string error = parseImageRef(text, &ref);
    EXPECT_NE(error.find(expected), std::string::npos) << "'" << text << "' gave: " << error;
  }
}

TEST(OciImageRefTest, RecognisesSha256Digests) {
  EXPECT_TRUE(isSha256Digest(kOciRefDigest));
  EXPECT_FALSE(isSha256Digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(isSha256Digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(isSha256Digest("md5:" + std::string(64, 'a')));
}

}  // namespace
}  // namespace foundry::oci
