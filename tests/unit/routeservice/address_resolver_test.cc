#include "router/routeservice/address_resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "router/common/clock.h"
#include "router/routeservice/route_service_targets.h"

namespace foundry::router {
namespace {

using std::chrono::milliseconds;

bool fakeResolve(const std::string& host, ResolvedAddress* out, std::string* error,
                 const std::string& ip) {
  if (host == "missing.example.com") {
    *error = "Name or service not known";
    return false;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->addr);
  v4->sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &v4->sin_addr);
  out->len = sizeof(sockaddr_in);
  return true;
}

// Polls lookup() until it stops being Pending (the resolver thread answers), at most 5 s.
AddressResolver::Answer waitAnswer(AddressResolver& resolver, const std::string& host) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  AddressResolver::Answer answer;
  do {
    answer = resolver.lookup(host, monotonicNanos());
    if (answer.status != AddressResolver::Status::Pending) break;
    std::this_thread::sleep_for(milliseconds(1));
  } while (std::chrono::steady_clock::now() < deadline);
  return answer;
}

std::string ipOf(const ResolvedAddress& a) {
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_addr, ip, sizeof ip);
  return ip;
}

TEST(AddressResolverTest, FirstLookupIsPendingThenCached) {
  std::atomic<int> calls{0};
  AddressResolver::Options options;
  options.resolve = [&](const std::string& h, ResolvedAddress* o, std::string* e) {
    ++calls;
    return fakeResolve(h, o, e, "10.1.2.3");
  };
  AddressResolver resolver(options);
  EXPECT_EQ(resolver.lookup("rs.example.com", monotonicNanos()).status,
            AddressResolver::Status::Pending);
  AddressResolver::Answer a = waitAnswer(resolver, "rs.example.com");
  ASSERT_EQ(a.status, AddressResolver::Status::Ready);
  EXPECT_EQ(ipOf(a.address), "10.1.2.3");
  for (int i = 0; i < 10; ++i) resolver.lookup("rs.example.com", monotonicNanos());
  EXPECT_EQ(calls.load(), 1);  // answered from the cache

  AddressResolver::Answer missing = waitAnswer(resolver, "missing.example.com");
  EXPECT_EQ(missing.status, AddressResolver::Status::Failed);
  EXPECT_EQ(missing.error, "Name or service not known");
}

TEST(AddressResolverTest, StaleEntriesAreServedWhileRefreshed) {
  std::atomic<int> calls{0};
  std::string ip = "10.0.0.1";
  std::mutex ip_mu;
  AddressResolver::Options options;
  options.ttl_ns = 1;  // everything is stale at once
  options.resolve = [&](const std::string& h, ResolvedAddress* o, std::string* e) {
    ++calls;
    std::lock_guard<std::mutex> lock(ip_mu);
    return fakeResolve(h, o, e, ip);
  };
  AddressResolver resolver(options);
  ASSERT_EQ(waitAnswer(resolver, "rs.example.com").status, AddressResolver::Status::Ready);
  {
    std::lock_guard<std::mutex> lock(ip_mu);
    ip = "10.0.0.2";
  }
  // Stale: the old address now (never Pending), the new one once the refresh has run.
  AddressResolver::Answer stale = resolver.lookup("rs.example.com", monotonicNanos());
  EXPECT_EQ(stale.status, AddressResolver::Status::Ready);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    AddressResolver::Answer a = resolver.lookup("rs.example.com", monotonicNanos());
    ASSERT_EQ(a.status, AddressResolver::Status::Ready);
    seen = ipOf(a.address);
    if (seen == "10.0.0.2") break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_EQ(seen, "10.0.0.2");
  EXPECT_GE(calls.load(), 2);
}

TEST(AddressResolverTest, SystemResolverKnowsLocalhost) {
  ResolvedAddress a;
  std::string error;
  ASSERT_TRUE(AddressResolver::systemResolve("localhost", &a, &error)) << error;
  EXPECT_TRUE(a.addr.ss_family == AF_INET || a.addr.ss_family == AF_INET6);
}

TEST(RouteServiceTargetsTest, LiteralsNeedNoResolver) {
  RouteServiceTargets targets(nullptr);
  RouteServiceUrl url;
  std::string error;
  ASSERT_TRUE(parseRouteServiceUrl("https://127.0.0.1:9443/rs", &url, &error));
  EndpointSharedPtr ep;
  ASSERT_EQ(targets.endpointFor(url, monotonicNanos(), &ep, &error),
            RouteServiceTargets::Status::Ready);
  EXPECT_EQ(ep->address(), "127.0.0.1:9443");
  EXPECT_TRUE(ep->fields().tls);
  EXPECT_EQ(ep->fields().server_cert_domain_san, "127.0.0.1");
  EXPECT_EQ(ep->sockaddr().ss_family, AF_INET);

  ASSERT_TRUE(parseRouteServiceUrl("https://LocalHost:8443", &url, &error));
  ASSERT_EQ(targets.endpointFor(url, monotonicNanos(), &ep, &error),
            RouteServiceTargets::Status::Ready);
  EXPECT_EQ(ep->address(), "127.0.0.1:8443");
  EXPECT_EQ(ep->fields().server_cert_domain_san, "LocalHost");

  ASSERT_TRUE(parseRouteServiceUrl("https://rs.example.com", &url, &error));
  EXPECT_EQ(targets.endpointFor(url, monotonicNanos(), &ep, &error),
            RouteServiceTargets::Status::Failed);
}

TEST(RouteServiceTargetsTest, NamesGoThroughTheResolver) {
  AddressResolver::Options options;
  options.resolve = [](const std::string& h, ResolvedAddress* o, std::string* e) {
    return fakeResolve(h, o, e, "10.9.8.7");
  };
  AddressResolver resolver(options);
  RouteServiceTargets targets(&resolver);
  RouteServiceUrl url;
  std::string error;
  ASSERT_TRUE(parseRouteServiceUrl("https://rs.example.com/x", &url, &error));
  EndpointSharedPtr ep;
  EXPECT_EQ(targets.endpointFor(url, monotonicNanos(), &ep, &error),
            RouteServiceTargets::Status::Pending);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  RouteServiceTargets::Status status = RouteServiceTargets::Status::Pending;
  while (status == RouteServiceTargets::Status::Pending &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
    status = targets.endpointFor(url, monotonicNanos(), &ep, &error);
  }
  ASSERT_EQ(status, RouteServiceTargets::Status::Ready);
  EXPECT_EQ(ep->address(), "10.9.8.7:443");
  EXPECT_EQ(ep->fields().server_cert_domain_san, "rs.example.com");
  EndpointSharedPtr again;
  ASSERT_EQ(targets.endpointFor(url, monotonicNanos(), &again, &error),
            RouteServiceTargets::Status::Ready);
  EXPECT_EQ(again.get(), ep.get());  // the worker-local copy, no new Endpoint

  ASSERT_TRUE(parseRouteServiceUrl("https://missing.example.com", &url, &error));
  status = RouteServiceTargets::Status::Pending;
  while (status == RouteServiceTargets::Status::Pending &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
    status = targets.endpointFor(url, monotonicNanos(), &ep, &error);
  }
  EXPECT_EQ(status, RouteServiceTargets::Status::Failed);
  EXPECT_EQ(error, "lookup missing.example.com: Name or service not known");
}

}  // namespace
}  // namespace foundry::router
