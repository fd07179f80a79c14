// .cfignore matching: globs, anchoring, directory-only rules, negation and cf's defaults.
#include "cli/bits/cfignore.h"

#include <gtest/gtest.h>

namespace foundry::cli {
namespace {

TEST(CliCfIgnore, GlobBasics) {
  EXPECT_TRUE(globMatch("*.log", "debug.log"));
  EXPECT_FALSE(globMatch("*.log", "logs/debug.log"));  // `*` stops at `/`
  EXPECT_TRUE(globMatch("**/*.log", "logs/deep/debug.log"));
  EXPECT_TRUE(globMatch("**/*.log", "debug.log"));  // `**/` may match nothing
  EXPECT_TRUE(globMatch("logs/**", "logs/a/b"));
  EXPECT_TRUE(globMatch("file?.txt", "file1.txt"));
  EXPECT_FALSE(globMatch("file?.txt", "file10.txt"));
  EXPECT_TRUE(globMatch("[abc].txt", "b.txt"));
  EXPECT_FALSE(globMatch("[!abc].txt", "b.txt"));
  EXPECT_TRUE(globMatch("[a-c]x", "cx"));
  EXPECT_TRUE(globMatch("[oops", "[oops"));  // unterminated class is literal
  EXPECT_FALSE(globMatch("", "x"));
}

TEST(CliCfIgnore, DefaultsSkipVcsAndCfFiles) {
  CfIgnore ignore = CfIgnore::withDefaults();
  EXPECT_TRUE(ignore.ignored(".git", true));
  EXPECT_TRUE(ignore.ignored(".git/config", false));
  EXPECT_TRUE(ignore.ignored("vendor/lib/.git", true));
  EXPECT_TRUE(ignore.ignored(".cfignore", false));
  EXPECT_TRUE(ignore.ignored(".cf", true));
  EXPECT_FALSE(ignore.ignored("manifest.yml", false));  // sent, as the brief asks
  EXPECT_FALSE(ignore.ignored("server.js", false));
  EXPECT_FALSE(ignore.ignored(".gitkeep", false));
}

TEST(CliCfIgnore, UserRules) {
  CfIgnore ignore = CfIgnore::withDefaults();
  ignore.addLines(
      "# comment\n"
      "\n"
      "*.log\r\n"
      "node_modules/\n"
      "/build\n"
      "docs/*.md\n"
      "!keep.log\n"
      "  tmp  \n");
  EXPECT_TRUE(ignore.ignored("debug.log", false));
  EXPECT_TRUE(ignore.ignored("a/b/debug.log", false));  // no `/`: any depth
  EXPECT_FALSE(ignore.ignored("keep.log", false));      // re-included by `!`
  EXPECT_TRUE(ignore.ignored("node_modules", true));
  EXPECT_TRUE(ignore.ignored("node_modules/x/index.js", false));
  EXPECT_FALSE(ignore.ignored("node_modules", false));  // a file named so: dir-only rule
  EXPECT_TRUE(ignore.ignored("build", true));
  EXPECT_TRUE(ignore.ignored("build/out.o", false));
  EXPECT_FALSE(ignore.ignored("src/build", true));  // `/build` is anchored
  EXPECT_TRUE(ignore.ignored("docs/readme.md", false));
  EXPECT_FALSE(ignore.ignored("docs/api/readme.md", false));
  EXPECT_FALSE(ignore.ignored("readme.md", false));
  EXPECT_TRUE(ignore.ignored("tmp", true));
  EXPECT_FALSE(ignore.ignored("# comment", false));
}

TEST(CliCfIgnore, NegationCannotReincludeBelowAnIgnoredDirectory) {
  CfIgnore ignore;
  ignore.addLines("secret/\n!secret/ok.txt\n");
  EXPECT_TRUE(ignore.ignored("secret/ok.txt", false));
}

}  // namespace
}  // namespace foundry::cli
