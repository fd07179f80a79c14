// The service commands' flag parsing: -c JSON inline / @file / file path, -t tag lists, and
// cups -p (credentials JSON or names to prompt for).
#include "cli/commands/service_params.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace foundry::cli {
namespace {

namespace fs = std::filesystem;

class CliServiceParams : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cli-params-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(CliServiceParams, JsonFlagTakesInlineObjects) {
  auto parsed = parseJsonObjectFlag(R"({"ram_gb":4,"nested":{"a":[1,2]}})");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ((*parsed)["ram_gb"], 4);
  EXPECT_EQ((*parsed)["nested"]["a"][1], 2);
  EXPECT_TRUE(parseJsonObjectFlag("{}")->empty());
}

TEST_F(CliServiceParams, JsonFlagReadsAtFileAndPlainPath) {
  std::string path = write("params.json", R"({"count": 5})");
  auto at = parseJsonObjectFlag("@" + path);
  ASSERT_TRUE(at) << at.error();
  EXPECT_EQ((*at)["count"], 5);
  auto plain = parseJsonObjectFlag(path);  // cf's form: a path to an existing file
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ((*plain)["count"], 5);
}

TEST_F(CliServiceParams, JsonFlagRejectsNonObjectsBadJsonAndMissingFiles) {
  for (const char* bad : {"[1,2]", "\"text\"", "42", "{not json", "", "key=value"}) {
    auto parsed = parseJsonObjectFlag(bad);
    EXPECT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().find("Invalid configuration provided for -c flag"),
              std::string::npos)
        << parsed.error();
  }
  auto bad_file = parseJsonObjectFlag("@" + write("bad.json", "[1]"));
  EXPECT_FALSE(bad_file);
  auto missing = parseJsonObjectFlag("@" + (dir_ / "nope.json").string());
  EXPECT_FALSE(missing);
  EXPECT_NE(missing.error().find("not found"), std::string::npos) << missing.error();
}

TEST_F(CliServiceParams, TagsAreSplitOnCommasTrimmedAndEmptiesDropped) {
  EXPECT_EQ(parseTags("list, of, tags"), (std::vector<std::string>{"list", "of", "tags"}));
  EXPECT_EQ(parseTags("a,b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parseTags("  one  "), (std::vector<std::string>{"one"}));
  EXPECT_EQ(parseTags("a,, ,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parseTags("").empty());
  EXPECT_TRUE(parseTags(" , ").empty());
}

TEST_F(CliServiceParams, CupsCredentialsAsJsonOrFile) {
  auto inline_json = parseCredentialsFlag(R"({"username":"admin","password":"pa55woRD"})");
  ASSERT_TRUE(inline_json) << inline_json.error();
  EXPECT_EQ(inline_json->credentials["password"], "pa55woRD");
  EXPECT_TRUE(inline_json->prompt_names.empty());

  std::string path = write("creds.json", R"({"uri":"db://x"})");
  for (const std::string& value : {path, "@" + path}) {
    auto from_file = parseCredentialsFlag(value);
    ASSERT_TRUE(from_file) << from_file.error();
    EXPECT_EQ(from_file->credentials["uri"], "db://x");
  }
}

TEST_F(CliServiceParams, CupsCommaListNamesWhatToPromptFor) {
  auto names = parseCredentialsFlag("username, password,port");
  ASSERT_TRUE(names) << names.error();
  EXPECT_TRUE(names->credentials.is_null());
  EXPECT_EQ(names->prompt_names, (std::vector<std::string>{"username", "password", "port"}));
  auto single = parseCredentialsFlag("token");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->prompt_names, (std::vector<std::string>{"token"}));
}

TEST_F(CliServiceParams, CupsRejectsBrokenJsonInsteadOfPromptingForIt) {
  // Text that tried to be JSON (or a file that is not JSON) is an error, not a list of names.
  EXPECT_FALSE(parseCredentialsFlag(R"({"username": )"));
  EXPECT_FALSE(parseCredentialsFlag("[\"a\"]"));
  EXPECT_FALSE(parseCredentialsFlag(write("creds.txt", "username, password")));
  EXPECT_FALSE(parseCredentialsFlag(" , "));
}

}  // namespace
}  // namespace foundry::cli
