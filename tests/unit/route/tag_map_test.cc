// TagMap: the std::map behaviour the router relied on (key order, last duplicate wins, find,
// at, equality) from one shared block.

#include "router/route/tag_map.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace foundry::router {
namespace {

std::vector<std::string> flatten(const TagMap& tags) {
  std::vector<std::string> out;
  for (const auto& [name, value] : tags) {
    out.push_back(std::string(name) + "=" + std::string(value));
  }
  return out;
}

TEST(TagMapTest, IteratesInKeyOrderAndLastDuplicateWins) {
  TagMap tags(std::vector<std::pair<std::string, std::string>>{
      {"process_id", "p-1"}, {"component", "route-emitter"}, {"app_id", "a"},
      {"component", "second"}, {"", "empty key"}, {"Z", ""}});
  EXPECT_EQ(flatten(tags), (std::vector<std::string>{"=empty key", "Z=", "app_id=a",
                                                     "component=second", "process_id=p-1"}));
  EXPECT_EQ(tags.size(), 5u);
  EXPECT_EQ(tags, (std::map<std::string, std::string>{{"process_id", "p-1"},
                                                      {"component", "second"},
                                                      {"app_id", "a"},
                                                      {"", "empty key"},
                                                      {"Z", ""}}));
}

TEST(TagMapTest, FindAtAndContains) {
  TagMap tags{{"component", "route-emitter"}, {"process_id", "p-1"}};
  auto it = tags.find("process_id");
  ASSERT_NE(it, tags.end());
  EXPECT_EQ(it->first, "process_id");
  EXPECT_EQ(it->second, "p-1");
  EXPECT_EQ(tags.find("process"), tags.end());
  EXPECT_EQ(tags.find("zzz"), tags.end());
  EXPECT_EQ(tags.at("component"), "route-emitter");
  EXPECT_THROW(tags.at("nope"), std::out_of_range);
  EXPECT_TRUE(tags.contains("component"));
  EXPECT_FALSE(tags.contains("Component"));
}

TEST(TagMapTest, EmptyAndEquality) {
  TagMap none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.begin(), none.end());
  EXPECT_EQ(none.find("x"), none.end());
  EXPECT_EQ(none, TagMap{});
  EXPECT_EQ(none, (std::map<std::string, std::string>{}));

  TagMap a{{"k", "v"}, {"j", "w"}};
  TagMap b{{"j", "w"}, {"k", "v"}};  // built separately, same content
  EXPECT_EQ(a, b);
  TagMap copy = a;  // shares the block
  EXPECT_EQ(copy, a);
  EXPECT_NE(a, (TagMap{{"k", "v"}}));
  EXPECT_NE(a, (TagMap{{"k", "v"}, {"j", "x"}}));
  EXPECT_NE(a, (std::map<std::string, std::string>{{"k", "v"}, {"j", "x"}}));
}

TEST(TagMapTest, SetReplacesOrAddsWithoutTouchingCopies) {
  TagMap a{{"k", "v"}};
  TagMap before = a;
  a.set("k", "new");
  a.set("b", "added");
  EXPECT_EQ(flatten(a), (std::vector<std::string>{"b=added", "k=new"}));
  EXPECT_EQ(flatten(before), (std::vector<std::string>{"k=v"}));
}

TEST(TagMapTest, LongValuesAndManyTags) {
  std::vector<std::pair<std::string, std::string>> many;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 300; ++i) {
    std::string key = "key-" + std::to_string(i * 7919 % 300);
    std::string value(static_cast<size_t>(i * 13), static_cast<char>('a' + i % 26));
    many.emplace_back(key, value);
    expected[key] = value;
  }
  TagMap tags(many);
  EXPECT_EQ(tags, expected);
  for (const auto& [key, value] : expected) {
    ASSERT_EQ(tags.at(key), value) << key;
  }
}

TEST(TagMapTest, BlocksAroundTheSixteenBitLimit) {
  // One 8-byte narrow entry + "k" + the value: the block crosses 65,535 bytes in this range,
  // where the entry table switches to 32-bit offsets.
  for (size_t length = 65'520; length <= 65'540; ++length) {
    std::string value(length, 'v');
    value.back() = 'z';
    TagMap tags{{"k", value}, {"a", "first"}};
    ASSERT_EQ(tags.at("k"), value) << length;
    ASSERT_EQ(tags.at("a"), "first") << length;
    ASSERT_EQ(flatten(tags).front(), "a=first");
  }
}

}  // namespace
}  // namespace foundry::router
