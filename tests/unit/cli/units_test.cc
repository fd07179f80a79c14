// Memory/disk quantities as cf writes them ("256M", "1G") and their errors.
#include "cli/manifest/units.h"

#include <gtest/gtest.h>

namespace foundry::cli {
namespace {

TEST(CliUnits, ParsesMegabytesAndGigabytesInAnyCase) {
  EXPECT_EQ(*parseMegabytes("256M"), 256);
  EXPECT_EQ(*parseMegabytes("256MB"), 256);
  EXPECT_EQ(*parseMegabytes("256mb"), 256);
  EXPECT_EQ(*parseMegabytes("1G"), 1024);
  EXPECT_EQ(*parseMegabytes("2gb"), 2048);
  EXPECT_EQ(*parseMegabytes(" 1T "), 1024 * 1024);
}

TEST(CliUnits, RejectsMissingOrUnknownUnitsAndBadNumbers) {
  for (const char* bad : {"256", "", "M", "1.5G", "-1G", "12Q", "1 G B", "G1", "0M"}) {
    auto parsed = parseMegabytes(bad);
    EXPECT_FALSE(parsed) << bad;
    EXPECT_FALSE(parsed.error().empty()) << bad;
  }
  EXPECT_NE(parseMegabytes("256").error().find("unit of measurement"), std::string::npos);
  EXPECT_NE(parseMegabytes("0M").error().find("greater than zero"), std::string::npos);
}

TEST(CliUnits, RejectsOverflowInsteadOfWrapping) {
  EXPECT_FALSE(parseMegabytes("99999999999999999999M"));
  EXPECT_FALSE(parseMegabytes("3000000T"));
}

TEST(CliUnits, FormatsLikeCf) {
  EXPECT_EQ(formatMegabytes(256), "256M");
  EXPECT_EQ(formatMegabytes(1024), "1G");
  EXPECT_EQ(formatMegabytes(1536), "1536M");
  EXPECT_EQ(formatBytes(0), "0");
  EXPECT_EQ(formatBytes(512), "512B");
  EXPECT_EQ(formatBytes(1024 * 1024), "1M");
  EXPECT_EQ(formatBytes(1.5 * 1024 * 1024), "1.5M");
}

}  // namespace
}  // namespace foundry::cli
