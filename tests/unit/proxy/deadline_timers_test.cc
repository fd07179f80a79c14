#include "router/proxy/deadline_timers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace foundry::router {
namespace {

struct Owner {
  std::string name;
  std::vector<std::string>* fired;
  TimerNode node;
  Owner(std::string n, std::vector<std::string>* log) : name(std::move(n)), fired(log) {
    node.owner = this;
    node.on_expire = [](void* self) {
      auto* o = static_cast<Owner*>(self);
      o->fired->push_back(o->name);
    };
  }
};

TEST(DeadlineTimersTest, FiresInDeadlineOrderAcrossDurations) {
  DeadlineTimers timers;
  const size_t slow = timers.acquire(100);
  const size_t fast = timers.acquire(10);
  std::vector<std::string> fired;
  Owner a("a", &fired), b("b", &fired), c("c", &fired);
  timers.arm(&a.node, slow, 0);   // due at 100
  timers.arm(&b.node, fast, 0);   // due at 10
  timers.arm(&c.node, fast, 50);  // due at 60
  EXPECT_EQ(timers.nextIn(0, 1000), 10);
  timers.expire(9);
  EXPECT_TRUE(fired.empty());
  timers.expire(60);
  EXPECT_EQ(fired, (std::vector<std::string>{"b", "c"}));
  EXPECT_FALSE(b.node.armed());
  EXPECT_TRUE(a.node.armed());
  EXPECT_EQ(timers.nextIn(60, 1000), 40);
  timers.expire(1000);
  EXPECT_EQ(fired, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(timers.nextIn(1000, 777), 777);  // nothing armed: the cap
}

TEST(DeadlineTimersTest, RearmMovesTheDeadlineAndCancelStopsIt) {
  DeadlineTimers timers;
  const size_t d = timers.acquire(10);
  std::vector<std::string> fired;
  Owner a("a", &fired), b("b", &fired);
  timers.arm(&a.node, d, 0);
  timers.arm(&b.node, d, 5);
  timers.arm(&a.node, d, 8);  // re-armed: now due at 18, behind b
  timers.expire(15);
  EXPECT_EQ(fired, (std::vector<std::string>{"b"}));
  a.node.cancel();
  timers.expire(100);
  EXPECT_EQ(fired, (std::vector<std::string>{"b"}));
}

TEST(DeadlineTimersTest, DestroyedNodeUnlinksItself) {
  DeadlineTimers timers;
  const size_t d = timers.acquire(10);
  std::vector<std::string> fired;
  Owner keep("keep", &fired);
  {
    Owner gone("gone", &fired);
    timers.arm(&gone.node, d, 0);
    timers.arm(&keep.node, d, 1);
  }
  timers.expire(100);
  EXPECT_EQ(fired, (std::vector<std::string>{"keep"}));
}

TEST(DeadlineTimersTest, AcquireSharesEqualDurationsAndReusesReleasedEmptyLists) {
  DeadlineTimers timers;
  const size_t a = timers.acquire(100);
  EXPECT_EQ(timers.acquire(100), a);  // same duration, same list
  const size_t b = timers.acquire(200);
  EXPECT_NE(b, a);
  std::vector<std::string> fired;
  Owner x("x", &fired);
  timers.arm(&x.node, b, 0);  // due at 200
  // A reload moved 200 -> 300: the old list keeps its timer while nobody holds it...
  const size_t c = timers.acquire(300);
  timers.release(b);
  EXPECT_NE(c, b);
  // ...so 400 cannot take it yet, and gets a new list.
  const size_t d = timers.acquire(400);
  EXPECT_NE(d, b);
  timers.expire(200);
  EXPECT_EQ(fired, (std::vector<std::string>{"x"}));
  timers.release(d);
  // Empty and released: reused for the next new duration instead of growing.
  const size_t lists = timers.listsForTest();
  const size_t e = timers.acquire(500);
  EXPECT_TRUE(e == b || e == d);
  EXPECT_EQ(timers.listsForTest(), lists);
}

TEST(DeadlineTimersTest, ListThatChangesDurationWhileArmedKeepsDeadlineOrder) {
  DeadlineTimers timers;
  std::vector<size_t> held;
  for (size_t i = 0; i < DeadlineTimers::kMaxLists; ++i) {
    held.push_back(timers.acquire(1000 + static_cast<int64_t>(i)));
  }
  std::vector<std::string> fired;
  Owner slow("slow", &fired), fast("fast", &fired);
  timers.arm(&slow.node, held[0], 0);  // due at 1000
  // Every list is taken; releasing list 0 while it holds a timer lets a new duration take it.
  timers.release(held[0]);
  const size_t shorter = timers.acquire(10);
  ASSERT_EQ(shorter, held[0]);
  timers.arm(&fast.node, shorter, 5);  // due at 15: before `slow`, though armed after it
  EXPECT_EQ(timers.nextIn(5, 100000), 10);
  timers.expire(15);
  EXPECT_EQ(fired, (std::vector<std::string>{"fast"}));
  timers.expire(1000);
  EXPECT_EQ(fired, (std::vector<std::string>{"fast", "slow"}));
}

TEST(DeadlineTimersTest, CallbackMayRearmItselfWithoutLooping) {
  DeadlineTimers timers;
  const size_t d = timers.acquire(0);  // a zero duration still moves forward
  int count = 0;
  TimerNode node;
  struct Ctx {
    DeadlineTimers* timers;
    TimerNode* node;
    size_t d;
    int* count;
    int64_t now;
  } ctx{&timers, &node, d, &count, 5};
  node.owner = &ctx;
  node.on_expire = [](void* self) {
    auto* c = static_cast<Ctx*>(self);
    ++*c->count;
    c->timers->arm(c->node, c->d, c->now);
  };
  timers.arm(&node, d, 0);
  timers.expire(5);
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(node.armed());
}

}  // namespace
}  // namespace foundry::router
