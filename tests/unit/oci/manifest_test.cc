#include "common/oci/manifest.h"

#include <gtest/gtest.h>

namespace foundry::oci {
namespace {

std::string ociManifestDigest(char c) { return "sha256:" + std::string(64, c); }

// An image manifest with one config and the given layer media types.
std::string ociManifestJson(const std::string& media_type, const std::string& config_type,
                            const std::vector<std::string>& layer_types) {
  std::string layers;
  char c = 'b';
  for (const std::string& type : layer_types) {
    if (!layers.empty()) layers += ",";
    const char digest_char = c++;
    const int size = 100 * (digest_char - 'a' + 1);  // 'b' -> 200
    layers += R"({"mediaType":")" + type + R"(","digest":")" + ociManifestDigest(digest_char) +
              R"(","size":)" + std::to_string(size) + "}";
  }
  return R"({"schemaVersion":2,"mediaType":")" + media_type +
         R"(","config":{"mediaType":")" + config_type + R"(","digest":")" +
         ociManifestDigest('a') + R"(","size":42},"layers":[)" + layers + "]}";
}

TEST(OciManifestTest, ParsesAnOciImageManifest) {
  Manifest m;
  std::string body = ociManifestJson(std::string(kOciManifest),
                                     "application/vnd.oci.image.config.v1+json",
                                     {"application/vnd.oci.image.layer.v1.tar+gzip",
                                      "application/vnd.oci.image.layer.v1.tar+zstd",
                                      "application/vnd.oci.image.layer.v1.tar"});
  ASSERT_EQ(parseManifest(body, "application/vnd.oci.image.manifest.v1+json", &m), "");
  EXPECT_FALSE(m.isIndex());
  EXPECT_EQ(m.config_digest, ociManifestDigest('a'));
  EXPECT_EQ(m.config_size, 42u);
  ASSERT_EQ(m.layers.size(), 3u);
  EXPECT_EQ(m.layers[0].digest, ociManifestDigest('b'));
  EXPECT_EQ(m.layers[0].size, 200u);
  EXPECT_EQ(m.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(m.layers[2].digest, ociManifestDigest('d'));
}

TEST(OciManifestTest, ParsesADockerSchema2Manifest) {
  Manifest m;
  std::string body = ociManifestJson(std::string(kDockerManifest),
                                     "application/vnd.docker.container.image.v1+json",
                                     {"application/vnd.docker.image.rootfs.diff.tar.gzip"});
  ASSERT_EQ(parseManifest(body, std::string(kDockerManifest) + "; charset=utf-8", &m), "");
  EXPECT_EQ(m.media_type, kDockerManifest);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

TEST(OciManifestTest, GenericContentTypeFallsBackToTheDocument) {
  Manifest m;
  std::string body = ociManifestJson(std::string(kDockerManifest),
                                     "application/vnd.docker.container.image.v1+json", {});
  ASSERT_EQ(parseManifest(body, "application/json", &m), "");
  EXPECT_EQ(m.media_type, kDockerManifest);
  // An early OCI manifest without mediaType: judged by its shape.
  std::string bare = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                     ociManifestDigest('a') + R"(","size":1},"layers":[]})";
  ASSERT_EQ(parseManifest(bare, "", &m), "");
  EXPECT_EQ(m.media_type, kOciManifest);
}

TEST(OciManifestTest, RefusesWhatItCannotRun) {
  Manifest m;
  std::string error = parseManifest(R"({"schemaVersion":1,"name":"x"})",
                                    "application/vnd.docker.distribution.manifest.v1+prettyjws", &m);
  EXPECT_EQ(error.rfind("unsupported media type", 0), 0u) << error;
  error = parseManifest(ociManifestJson(std::string(kOciManifest),
                                        "application/vnd.cncf.helm.config.v1+json", {}),
                        std::string(kOciManifest), &m);
  EXPECT_EQ(error.rfind("unsupported media type", 0), 0u) << error;
  error = parseManifest(ociManifestJson(std::string(kOciManifest),
                                        "application/vnd.oci.image.config.v1+json",
                                        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"}),
                        std::string(kOciManifest), &m);
  EXPECT_NE(error.find("nondistributable"), std::string::npos) << error;
  error = parseManifest("{}", "text/html", &m);
  EXPECT_EQ(error.rfind("unsupported media type", 0), 0u) << error;
}

TEST(OciManifestTest, RefusesBadJson) {
  Manifest m;
  EXPECT_EQ(parseManifest("{not json", std::string(kOciManifest), &m).rfind("bad manifest JSON", 0), 0u);
  EXPECT_EQ(parseManifest("[]", std::string(kOciManifest), &m).rfind("bad manifest JSON", 0), 0u);
  std::string no_size = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                        ociManifestDigest('a') + R"("},"layers":[]})";
  EXPECT_NE(parseManifest(no_size, std::string(kOciManifest), &m).find("no size"), std::string::npos);
  std::string bad_digest = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:xyz","size":1},"layers":[]})";
  EXPECT_NE(parseManifest(bad_digest, std::string(kOciManifest), &m).find("digest"), std::string::npos);
  // Served as one kind while declaring another.
  std::string body = ociManifestJson(std::string(kDockerManifest),
                                     "application/vnd.docker.container.image.v1+json", {});
  EXPECT_EQ(parseManifest(body, std::string(kOciManifest), &m).rfind("bad manifest JSON", 0), 0u);
}

std::string ociIndexJson(const std::string& media_type,
                         const std::vector<std::pair<std::string, std::string>>& platforms) {
  std::string entries;
  char c = 'a';
  for (const auto& [os, arch] : platforms) {
    if (!entries.empty()) entries += ",";
    entries += R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
               ociManifestDigest(c++) + R"(","size":500,"platform":{"os":")" + os +
               R"(","architecture":")" + arch + R"("}})";
  }
  return R"({"schemaVersion":2,"mediaType":")" + media_type + R"(","manifests":[)" + entries + "]}";
}

TEST(OciManifestTest, IndexResolvesToLinuxAmd64) {
  for (std::string_view type : {kOciIndex, kDockerManifestList}) {
    Manifest index;
    std::string body = ociIndexJson(std::string(type), {{"linux", "arm64"},
                                                        {"unknown", "unknown"},
                                                        {"linux", "amd64"}});
    ASSERT_EQ(parseManifest(body, std::string(type), &index), "");
    EXPECT_TRUE(index.isIndex());
    ASSERT_EQ(index.manifests.size(), 3u);
    PlatformManifest chosen;
    ASSERT_EQ(pickPlatform(index, "linux", "amd64", &chosen), "");
    EXPECT_EQ(chosen.digest, ociManifestDigest('c'));
    EXPECT_EQ(chosen.size, 500u);
  }
}

TEST(OciManifestTest, IndexWithoutAmd64NamesItsPlatforms) {
  Manifest index;
  ASSERT_EQ(parseManifest(ociIndexJson(std::string(kOciIndex), {{"linux", "arm64"}, {"windows", "amd64"}}),
                          std::string(kOciIndex), &index),
            "");
  PlatformManifest chosen;
  std::string error = pickPlatform(index, "linux", "amd64", &chosen);
  EXPECT_NE(error.find("no image for linux/amd64"), std::string::npos) << error;
  EXPECT_NE(error.find("linux/arm64, windows/amd64"), std::string::npos) << error;
}

TEST(OciManifestTest, ParsesAnOciConfig) {
  ImageConfig config;
  std::string body = R"({"architecture":"amd64","os":"linux","config":{
      "User":"1000:1000","WorkingDir":"/app","Env":["PATH=/bin","FOO=bar"],
      "Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],
      "ExposedPorts":{"9090/tcp":{},"53/udp":{},"8080":{},"8080/tcp":{}}},
      "rootfs":{"type":"layers","diff_ids":[]}})";
  ASSERT_EQ(parseImageConfig(body, &config), "");
  EXPECT_EQ(config.user, "1000:1000");
  EXPECT_EQ(config.working_dir, "/app");
  EXPECT_EQ(config.env, (std::vector<std::string>{"PATH=/bin", "FOO=bar"}));
  EXPECT_EQ(config.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"echo hi"}));
  EXPECT_EQ(config.exposed_ports, (std::vector<int>{8080, 9090}));
}

TEST(OciManifestTest, ParsesADockerConfigWithNulls) {
  ImageConfig config;
  std::string body = R"({"architecture":"amd64","config":{"Cmd":["sh"],"Entrypoint":null,
      "Env":null,"User":"","ExposedPorts":null},"container_config":{"Cmd":["ignored"]}})";
  ASSERT_EQ(parseImageConfig(body, &config), "");
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"sh"}));
  EXPECT_TRUE(config.entrypoint.empty());
  EXPECT_TRUE(config.env.empty());
  EXPECT_TRUE(config.exposed_ports.empty());
  // No "config" at all (a scratch image built without one) is an image with no defaults.
  ASSERT_EQ(parseImageConfig(R"({"architecture":"amd64","os":"linux"})", &config), "");
  EXPECT_TRUE(config.cmd.empty());
}

TEST(OciManifestTest, RefusesBadConfigs) {
  ImageConfig config;
  EXPECT_EQ(parseImageConfig("nope", &config).rfind("bad image config JSON", 0), 0u);
  EXPECT_EQ(parseImageConfig(R"({"config":{"Cmd":"sh"}})", &config).rfind("bad image config JSON", 0), 0u);
  EXPECT_EQ(parseImageConfig(R"({"config":{"Env":[1]}})", &config).rfind("bad image config JSON", 0), 0u);
  EXPECT_NE(parseImageConfig(R"({"config":{"ExposedPorts":{"99999/tcp":{}}}})", &config).find("out of range"),
            std::string::npos);
  EXPECT_NE(parseImageConfig(R"({"config":{"ExposedPorts":{"http/tcp":{}}}})", &config).find("exposed port"),
            std::string::npos);
}

TEST(OciManifestTest, AcceptHeaderNamesAllFourKinds) {
  std::string accept = manifestAcceptHeader();
  for (std::string_view type : {kOciManifest, kOciIndex, kDockerManifest, kDockerManifestList}) {
    EXPECT_NE(accept.find(type), std::string::npos) << type;
  }
}

}  // namespace
}  // namespace foundry::oci
