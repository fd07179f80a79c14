// ExpiryList: the oldest-heartbeat-first order pruning relies on, including out-of-order times
// and moves on heartbeat.

#include "router/registry/expiry_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace foundry::router {
namespace {

std::vector<int64_t> times(const ExpiryList& list) {
  std::vector<int64_t> out;
  for (ExpiryNode* node = list.front(); node != nullptr; node = node->next) {
    out.push_back(node->last_seen_ns);
  }
  return out;
}

TEST(ExpiryListTest, InsertKeepsOrderEvenWhenTimesGoBack) {
  ExpiryList list;
  ExpiryNode a, b, c, d;
  list.insert(&a, 10);
  list.insert(&b, 30);
  list.insert(&c, 20);  // older than the tail: placed before it
  list.insert(&d, 5);   // older than everything: the new head
  EXPECT_EQ(times(list), (std::vector<int64_t>{5, 10, 20, 30}));
  EXPECT_EQ(list.front(), &d);
  EXPECT_EQ(list.size(), 4u);
}

TEST(ExpiryListTest, TouchMovesToItsNewPlaceAndRemoveUnlinks) {
  ExpiryList list;
  ExpiryNode a, b, c;
  list.insert(&a, 1);
  list.insert(&b, 2);
  list.insert(&c, 3);
  list.touch(&a, 4);  // heartbeat: oldest becomes newest
  EXPECT_EQ(list.front(), &b);
  EXPECT_EQ(times(list), (std::vector<int64_t>{2, 3, 4}));
  list.touch(&a, 5);  // already the tail
  EXPECT_EQ(times(list), (std::vector<int64_t>{2, 3, 5}));
  list.remove(&c);
  list.remove(&c);  // a second remove is harmless
  EXPECT_FALSE(c.linked);
  EXPECT_EQ(times(list), (std::vector<int64_t>{2, 5}));
  list.remove(&b);
  list.remove(&a);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
}

TEST(ExpiryListTest, RandomTouchesStaySorted) {
  ExpiryList list;
  std::vector<ExpiryNode> nodes(500);
  std::mt19937 rng(7);
  int64_t now = 0;
  for (ExpiryNode& node : nodes) {
    list.insert(&node, now++);
  }
  for (int i = 0; i < 5000; ++i) {
    ExpiryNode& node = nodes[rng() % nodes.size()];
    // Mostly a later time, sometimes an earlier one.
    int64_t t = rng() % 8 == 0 ? static_cast<int64_t>(rng() % 1000) : now++;
    list.touch(&node, t);
  }
  std::vector<int64_t> order = times(list);
  EXPECT_EQ(order.size(), nodes.size());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

}  // namespace
}  // namespace foundry::router
