#include "staging/common/process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace foundry::staging {
namespace {

using namespace std::chrono_literals;

ProcessSpec bash(const std::string& script, bool capture = false) {
  ProcessSpec spec;
  spec.argv = {"/bin/bash", "-c", script};
  spec.env = currentEnvironment();
  spec.capture_stdout = capture;
  return spec;
}

TEST(ProcessTest, StreamsLinesFromBothStreamsAndReturnsTheExitCode) {
  std::vector<std::pair<std::string, bool>> lines;
  auto r = runProcess(bash("echo one; echo two >&2; printf 'three\\r\\nno-newline'; exit 7"),
                      std::chrono::steady_clock::now() + 10s,
                      [&](const std::string& l, bool err) { lines.emplace_back(l, err); });
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.timed_out);
  // Order is kept within a stream; between stdout and stderr it depends on scheduling.
  std::vector<std::string> out;
  std::vector<std::string> err;
  for (const auto& [line, is_err] : lines) {
    (is_err ? err : out).push_back(line);
  }
  EXPECT_EQ(out, (std::vector<std::string>{"one", "three", "no-newline"}));
  EXPECT_EQ(err, (std::vector<std::string>{"two"}));
}

TEST(ProcessTest, LinesArriveWhileTheProcessStillRuns) {
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration first{};
  auto r = runProcess(bash("echo early; sleep 1; echo late"), start + 10s,
                      [&](const std::string& l, bool) {
                        if (l == "early") {
                          first = std::chrono::steady_clock::now() - start;
                        }
                      });
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(first, 800ms);
}

TEST(ProcessTest, CapturesStdoutWhenAsked) {
  auto r = runProcess(bash("echo captured; echo streamed >&2", true),
                      std::chrono::steady_clock::now() + 10s, nullptr);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "captured\n");
}

TEST(ProcessTest, DeadlineKillsTheWholeProcessGroup) {
  auto start = std::chrono::steady_clock::now();
  // The child starts a grandchild that would outlive a kill of the child alone.
  auto r = runProcess(bash("sleep 30 & sleep 30; echo never"), start + 300ms, nullptr);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, 5s);
}

TEST(ProcessTest, BackgroundGrandchildDoesNotHoldUsUp) {
  auto start = std::chrono::steady_clock::now();
  auto r = runProcess(bash("sleep 30 & echo done"), start + 20s, nullptr);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ProcessTest, MissingProgramExits127) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/program"};
  std::string err;
  auto r = runProcess(spec, std::chrono::steady_clock::now() + 5s,
                      [&](const std::string& l, bool) { err += l; });
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(err.find("exec failed"), std::string::npos);
}

TEST(ProcessTest, ChildThatClosesItsOutputIsStillWaitedFor) {
  auto start = std::chrono::steady_clock::now();
  auto r = runProcess(bash("exec >&- 2>&-; sleep 0.3; exit 5"), start + 10s, nullptr);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST(ProcessTest, ChildThatClosesItsOutputStillTimesOut) {
  auto start = std::chrono::steady_clock::now();
  auto r = runProcess(bash("exec >&- 2>&-; sleep 30"), start + 300ms, nullptr);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace foundry::staging
