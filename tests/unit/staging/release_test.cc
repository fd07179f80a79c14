#include "staging/buildpack/buildpack.h"
#include "staging/buildpack/release.h"
#include "staging/droplet/staging_info.h"

#include <gtest/gtest.h>

namespace foundry::staging {
namespace {

TEST(ReleaseYamlTest, ReadsDefaultProcessTypes) {
  auto t = parseReleaseYaml("---\ndefault_process_types:\n  web: node server.js\n  worker: w\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->at("web"), "node server.js");
  EXPECT_EQ(t->at("worker"), "w");
  EXPECT_EQ(t->size(), 2u);
}

TEST(ReleaseYamlTest, IgnoresHerokuKeys) {
  auto t = parseReleaseYaml(
      "addons: [x]\nconfig_vars:\n  A: b\ndefault_process_types:\n  web: ./run\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->size(), 1u);
  EXPECT_EQ(t->at("web"), "./run");
}

TEST(ReleaseYamlTest, EmptyOrMissingMapGivesNoTypes) {
  for (const char* text : {"", "---\n", "default_process_types: {}\n", "addons: []\n",
                           "default_process_types:\n"}) {
    auto t = parseReleaseYaml(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_TRUE(t->empty()) << text;
  }
}

TEST(ReleaseYamlTest, InvalidOutputIsRejected) {
  EXPECT_FALSE(parseReleaseYaml("default_process_types: [a, b]\n").has_value());
  EXPECT_FALSE(parseReleaseYaml("default_process_types:\n  web: [x]\n").has_value());
  EXPECT_FALSE(parseReleaseYaml("{ not: yaml: at all").has_value());
  EXPECT_FALSE(parseReleaseYaml("- just\n- a list\n").has_value());
}

TEST(ProcfileTest, ParsesTypesAndRejectsBadYaml) {
  auto p = parseProcfile("web: bundle exec rackup -p $PORT\nworker: ./work --fast\n");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->at("web"), "bundle exec rackup -p $PORT");
  EXPECT_EQ(p->at("worker"), "./work --fast");
  EXPECT_FALSE(parseProcfile("web: [\n").has_value());
  EXPECT_FALSE(parseProcfile("- web\n").has_value());
}

TEST(LaunchYmlTest, ReadsProcessesList) {
  auto t = parseLaunchYml("processes:\n- type: web\n  command: ./serve\n- type: task\n  command: t\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->at("web"), "./serve");
  EXPECT_EQ(t->at("task"), "t");
  EXPECT_FALSE(parseLaunchYml("processes: {web: x}\n").has_value());
}

TEST(StartCommandTest, UserCommandWinsThenProcfileThenRelease) {
  ProcessTypes staged = *parseReleaseYaml("default_process_types:\n  web: release-cmd\n");
  EXPECT_EQ(chooseStartCommand("", staged), "release-cmd");
  mergeProcessTypes(staged, *parseProcfile("web: procfile-cmd\n"));
  EXPECT_EQ(chooseStartCommand("", staged), "procfile-cmd");
  EXPECT_EQ(chooseStartCommand("user-cmd", staged), "user-cmd");
}

TEST(StartCommandTest, ProcfileOnlyOverridesSameNamedTypes) {
  ProcessTypes staged = *parseReleaseYaml("default_process_types:\n  web: a\n  worker: b\n");
  mergeProcessTypes(staged, *parseProcfile("worker: c\n"));
  EXPECT_EQ(staged.at("web"), "a");
  EXPECT_EQ(staged.at("worker"), "c");
}

TEST(StartCommandTest, NoWebMeansNoCommand) {
  ProcessTypes staged = *parseProcfile("worker: w\n");
  EXPECT_EQ(chooseStartCommand("", staged), "");
}

TEST(StagingInfoTest, WritesJsonAndReadsItBack) {
  StagingInfo info;
  info.detected_buildpack = "nodejs";
  info.start_command = "node server.js --msg \"hi\"";
  info.buildpacks.push_back({"binary", "binary", "1.0.0"});
  info.buildpacks.push_back({"nodejs", "nodejs", "1.0.0"});
  std::string json = stagingInfoToJson(info);
  EXPECT_EQ(json.front(), '{');
  EXPECT_NE(json.find("\"detected_buildpack\":\"nodejs\""), std::string::npos);
  auto back = parseStagingInfo(json);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->detected_buildpack, "nodejs");
  EXPECT_EQ(back->start_command, info.start_command);
  ASSERT_EQ(back->buildpacks.size(), 2u);
  EXPECT_EQ(back->buildpacks[0].key, "binary");
  EXPECT_EQ(back->buildpacks[1].version, "1.0.0");
}

TEST(StagingInfoTest, ReadsYamlAndEmptyAndRejectsGarbage) {
  auto y = parseStagingInfo("detected_buildpack: python\nstart_command: python3 app.py\n");
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->start_command, "python3 app.py");
  auto e = parseStagingInfo("");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->start_command, "");
  EXPECT_FALSE(parseStagingInfo("[1, 2").has_value());
}

TEST(DepsIndexTest, PadsToTheDigitsOfTheBuildpackCount) {
  EXPECT_EQ(depsIndex(0, 1), "0");
  EXPECT_EQ(depsIndex(8, 9), "8");
  EXPECT_EQ(depsIndex(0, 10), "00");
  EXPECT_EQ(depsIndex(9, 10), "09");
  EXPECT_EQ(depsIndex(10, 11), "10");
}

TEST(CacheKeyDirTest, StableSixteenHexDigitsPerKey) {
  std::string a = cacheKeyDir("nodejs");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, cacheKeyDir("nodejs"));
  EXPECT_NE(a, cacheKeyDir("python"));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace foundry::staging
