// PathRegex (router/route/path_regex.h): RE2 patterns for regex routes, compiled once, matched
// whole and case-insensitively; bad, empty and too-long patterns refused with a reason.

#include "router/route/path_regex.h"

#include <gtest/gtest.h>

#include <string>

namespace foundry::router {
namespace {

PathRegexConstSharedPtr compileOk(std::string_view pattern) {
  std::string error;
  PathRegexConstSharedPtr regex = PathRegex::compile(pattern, &error);
  EXPECT_NE(regex, nullptr) << pattern << ": " << error;
  return regex;
}

std::string refusal(std::string_view pattern) {
  std::string error;
  EXPECT_EQ(PathRegex::compile(pattern, &error), nullptr) << pattern;
  return error;
}

TEST(PathRegexTest, MatchesTheWholePathOnly) {
  auto regex = compileOk("/v[0-9]+/items");
  EXPECT_TRUE(regex->matches("/v1/items"));
  EXPECT_TRUE(regex->matches("/v42/items"));
  EXPECT_FALSE(regex->matches("/v1/items/7"));  // anchored at the end
  EXPECT_FALSE(regex->matches("/api/v1/items"));  // and at the start
  EXPECT_FALSE(regex->matches("/vx/items"));
  EXPECT_EQ(regex->pattern(), "/v[0-9]+/items");
}

TEST(PathRegexTest, CaseInsensitiveLikeEveryRoute) {
  auto regex = compileOk("/Users/[a-z]+");
  EXPECT_TRUE(regex->matches("/users/ada"));
  EXPECT_TRUE(regex->matches("/USERS/ADA"));
  // The pattern's own case is kept: \D (not a digit) stays \D.
  auto not_digits = compileOk("/id/\\D+");
  EXPECT_TRUE(not_digits->matches("/id/abc"));
  EXPECT_FALSE(not_digits->matches("/id/123"));
}

TEST(PathRegexTest, InvalidEmptyAndTooLongPatternsAreRefused) {
  EXPECT_NE(refusal("/v[0-9"), "");
  EXPECT_NE(refusal("/(a"), "");
  EXPECT_EQ(refusal(""), "empty pattern");
  EXPECT_NE(refusal(std::string(PathRegex::kMaxPatternLength + 1, 'a')).find("longer than"),
            std::string::npos);
  EXPECT_NE(compileOk(std::string(PathRegex::kMaxPatternLength, 'a')), nullptr);
  // Backreferences are not RE2 (no backtracking): refused, never slow.
  EXPECT_NE(refusal("/(a+)\\1"), "");
}

TEST(PathRegexTest, PatternsThatWouldBacktrackRunInLinearTime) {
  // (a+)+$ takes exponential time in a backtracking engine on "aaaa...b".
  auto regex = compileOk("/(a+)+");
  std::string path = "/" + std::string(20'000, 'a') + "b";
  EXPECT_FALSE(regex->matches(path));
  EXPECT_TRUE(regex->matches("/" + std::string(20'000, 'a')));
}

TEST(PathRegexTest, ProgramsBeyondTheMemoryBoundAreRefused) {
  // A counted repetition of a counted repetition compiles to a program far larger than the
  // bound: refused with RE2's reason instead of taking the control thread's memory.
  EXPECT_NE(refusal("/((((a{100}){100}){100}){100})"), "");
}

}  // namespace
}  // namespace foundry::router
