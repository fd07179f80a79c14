#include "common/oci/www_authenticate.h"

#include <gtest/gtest.h>

namespace foundry::oci {
namespace {

TEST(OciAuthChallengeTest, ParsesDockerHubsBearerChallenge) {
  AuthChallenge c = parseAuthChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c.param("service"), "registry.docker.io");
  EXPECT_EQ(c.param("scope"), "repository:library/busybox:pull");
}

TEST(OciAuthChallengeTest, ParsesBasicAndOddSpacing) {
  AuthChallenge c = parseAuthChallenge(R"(Basic realm="foundry test")");
  EXPECT_EQ(c.scheme, "basic");
  EXPECT_EQ(c.param("realm"), "foundry test");
  c = parseAuthChallenge(R"(  BEARER  Realm = "http://h/t" , Service=reg ,scope="a,b")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "http://h/t");
  EXPECT_EQ(c.param("service"), "reg");
  EXPECT_EQ(c.param("scope"), "a,b");
  c = parseAuthChallenge(R"(Bearer realm="say \"hi\"")");
  EXPECT_EQ(c.param("realm"), R"(say "hi")");
}

TEST(OciAuthChallengeTest, StopsAtTheSecondChallenge) {
  AuthChallenge c = parseAuthChallenge(R"(Bearer realm="https://a/t", Basic realm="b")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "https://a/t");
  EXPECT_EQ(c.params.size(), 1u);
}

TEST(OciAuthChallengeTest, EmptyHeaderHasNoScheme) {
  EXPECT_EQ(parseAuthChallenge("").scheme, "");
  EXPECT_TRUE(parseAuthChallenge("").params.empty());
}

}  // namespace
}  // namespace foundry::oci
