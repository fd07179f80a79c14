#pragma once
// LoadGenerator: a few client threads, each with one keep-alive HttpClient, sending GETs to the
// router as fast as they are answered, for the fault tests (tests/integration/faults/). Every
// request is recorded with its send/finish time, status, body and transport error, so a test
// can check "zero failures" over the whole run and "only green after time T".
//
//   LoadGenerator load(port(), "app.example.com", {.threads = 3, .max_duration = 3s});
//   load.start();
//   ... inject the fault ...
//   load.stop();                       // or load.join(): wait for max_duration
//   EXPECT_EQ(load.summary().failures(), 0u) << load.summary().describe();
//
// Bounded: each thread stops at max_duration, after max_requests_per_thread, or on stop().
// A connection the router closes cleanly after a complete response ("Connection: close") is
// reopened without counting as an error; anything else the client sees (refused, reset, a
// timeout, bad framing) is a transport error.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_common/http_client.h"

namespace foundry::test {

struct LoadSample {
  Clock::time_point sent;
  Clock::time_point done;
  int status = 0;     // 0: transport error
  std::string body;   // response body (FakeBackend's default is "backend <name>")
  std::string error;  // HttpClient::lastError() for a transport error
  int thread = 0;
};

struct LoadSummary {
  std::vector<LoadSample> samples;  // all threads, sorted by send time

  size_t total() const { return samples.size(); }
  size_t transportErrors() const {
    return static_cast<size_t>(
        std::count_if(samples.begin(), samples.end(), [](const auto& s) { return s.status == 0; }));
  }
  size_t non2xx() const {
    return static_cast<size_t>(std::count_if(samples.begin(), samples.end(), [](const auto& s) {
      return s.status != 0 && (s.status < 200 || s.status > 299);
    }));
  }
  size_t failures() const { return transportErrors() + non2xx(); }

  // Response bodies of successful requests sent at or after `from` -> count.
  std::map<std::string, size_t> bodiesSentAfter(Clock::time_point from) const {
    std::map<std::string, size_t> out;
    for (const auto& s : samples) {
      if (s.status != 0 && s.sent >= from) ++out[s.body];
    }
    return out;
  }
  std::map<std::string, size_t> bodies() const { return bodiesSentAfter(Clock::time_point{}); }

  // Counts, and the first few failures with their time relative to `origin`.
  std::string describe(Clock::time_point origin = {}, size_t max_failures = 10) const {
    if (origin == Clock::time_point{} && !samples.empty()) origin = samples.front().sent;
    std::ostringstream out;
    out << total() << " requests, " << non2xx() << " non-2xx, " << transportErrors()
        << " transport errors; bodies:";
    for (const auto& [body, n] : bodies()) out << " [" << body.substr(0, 60) << "]=" << n;
    size_t shown = 0;
    for (const auto& s : samples) {
      if (s.status >= 200 && s.status <= 299) continue;
      if (shown++ == max_failures) break;
      auto ms = [&](Clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count();
      };
      out << "\n  thread " << s.thread << " sent +" << ms(s.sent) << " ms, done +" << ms(s.done)
          << " ms: ";
      if (s.status == 0) {
        out << "transport error: " << s.error;
      } else {
        out << s.status << " " << s.body.substr(0, 200);
      }
    }
    return out.str();
  }
};

struct LoadOptions {
  int threads = 3;
  std::chrono::milliseconds max_duration{3000};
  size_t max_requests_per_thread = 200'000;
  std::string path = "/";
  // Per-response read timeout: a hang shows up as a transport error, not a stuck test.
  std::chrono::milliseconds read_timeout{5000};
};

class LoadGenerator {
 public:
  LoadGenerator(uint16_t port, std::string host, LoadOptions options = {})
      : port_(port), host_(std::move(host)), options_(std::move(options)) {}
  ~LoadGenerator() { stop(); }
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  void start() {
    start_ = Clock::now();
    const Deadline deadline = start_ + options_.max_duration;
    per_thread_.resize(static_cast<size_t>(options_.threads));
    for (int t = 0; t < options_.threads; ++t) {
      threads_.emplace_back([this, t, deadline] { run(t, deadline); });
    }
  }

  // Asks the threads to finish their current request and joins them.
  void stop() {
    stop_.store(true);
    join();
  }
  // Waits for the threads to reach max_duration (or their request cap).
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Requests completed so far (any outcome), all threads.
  size_t completed() const { return completed_.load(); }
  // Waits until at least n more requests completed than now; false after the timeout.
  bool waitForMore(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    const size_t target = completed() + n;
    const Deadline deadline = deadlineIn(timeout);
    while (completed() < target) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  Clock::time_point startTime() const { return start_; }

  // Call after stop()/join().
  LoadSummary summary() const {
    LoadSummary out;
    for (const auto& v : per_thread_) out.samples.insert(out.samples.end(), v.begin(), v.end());
    std::sort(out.samples.begin(), out.samples.end(),
              [](const LoadSample& a, const LoadSample& b) { return a.sent < b.sent; });
    return out;
  }

 private:
  void run(int index, Deadline deadline) {
    std::vector<LoadSample>& samples = per_thread_[static_cast<size_t>(index)];
    HttpClient client(port_);
    ReadOptions read;
    read.timeout = options_.read_timeout;
    for (size_t i = 0; i < options_.max_requests_per_thread; ++i) {
      if (stop_.load() || Clock::now() >= deadline) break;
      LoadSample s;
      s.thread = index;
      s.sent = Clock::now();
      auto r = client.get(host_, options_.path, {}, read);
      s.done = Clock::now();
      if (r) {
        s.status = r->status;
        s.body = std::move(r->body);
        if (r->closed) client.close();
      } else {
        s.error = client.lastError();
        client.close();
      }
      samples.push_back(std::move(s));
      completed_.fetch_add(1);
    }
  }

  uint16_t port_;
  std::string host_;
  LoadOptions options_;
  Clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> completed_{0};
  std::vector<std::vector<LoadSample>> per_thread_;
  std::vector<std::thread> threads_;
};

}  // namespace foundry::test
