// Offloader: work runs off the calling thread, its follow-up is handed to `post`.
#include "control/staging/offloader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

namespace foundry::control {
namespace {

TEST(Offloader, RunsWorkOnAWorkerAndPostsTheFollowUp) {
  std::mutex mu;
  std::deque<std::function<void()>> posted;
  std::atomic<int> worked{0};
  const auto caller = std::this_thread::get_id();
  {
    Offloader off([&](std::function<void()> then) {
      std::lock_guard<std::mutex> lock(mu);
      posted.push_back(std::move(then));
    });
    for (int i = 0; i < 5; ++i) {
      off.run([&] {
                EXPECT_NE(std::this_thread::get_id(), caller);
                ++worked;
              },
              [&] { EXPECT_EQ(std::this_thread::get_id(), caller); });
    }
  }  // joins the workers
  EXPECT_EQ(worked.load(), 5);
  ASSERT_EQ(posted.size(), 5u);
  for (auto& then : posted) then();  // "the loop" runs them
}

}  // namespace
}  // namespace foundry::control
