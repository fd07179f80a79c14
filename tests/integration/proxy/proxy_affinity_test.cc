// Sticky sessions (__VCAP_ID__) and X-CF-App-Instance / X-CF-Process-Instance targeting
// (ROUTER-PROTOCOL.md sections 2 and 4), through the real router binary.

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

const std::string kApp = "0a1b2c3d-0000-4000-8000-000000000001";
const std::string kProcess = "9f8e7d6c-0000-4000-8000-0000000000aa";

class ProxyAffinityTest : public RouterFixture {
 protected:
  void SetUp() override {
    RouterFixture::SetUp();
    a_ = std::make_unique<FakeBackend>("a");
    b_ = std::make_unique<FakeBackend>("b");
    for (auto* be : {a_.get(), b_.get()}) {
      be->setHandler([](const BackendRequest&) {
        BackendResponse r = BackendResponse::text(200, "x");
        r.headers = {{"Set-Cookie", "JSESSIONID=s1; Path=/; Secure; SameSite=Lax"}};
        return r;
      });
    }
    addRoute("app.example.com", a_->port(), instanceJson("inst-a", "0"));
    addRoute("app.example.com", b_->port(), instanceJson("inst-b", "1"), 2);
  }
  static std::string instanceJson(const std::string& id, const std::string& index) {
    return "\"app\":\"" + kApp + "\",\"private_instance_id\":\"" + id +
           "\",\"private_instance_index\":\"" + index + "\",\"tags\":{\"process_id\":\"" +
           kProcess + "\"}";
  }
  std::unique_ptr<FakeBackend> a_, b_;
};

TEST_F(ProxyAffinityTest, AppStickyCookieGetsVcapIdWithCopiedAttributes) {
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  auto cookies = r->headerValues("Set-Cookie");
  ASSERT_EQ(cookies.size(), 2u);
  const std::string id = a_->requestCount() == 1 ? "inst-a" : "inst-b";
  EXPECT_EQ(cookies[1], "__VCAP_ID__=" + id + "; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST_F(ProxyAffinityTest, StickyRequestsStayOnTheirInstance) {
  for (int i = 0; i < 6; ++i) {
    auto r = httpGet(port(), "app.example.com", "/",
                     {"Cookie: JSESSIONID=s1; __VCAP_ID__=inst-b"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(b_->requestCount(), 6u);
  EXPECT_EQ(a_->requestCount(), 0u);
}

TEST_F(ProxyAffinityTest, VcapIdAloneIsNotSticky) {
  for (int i = 0; i < 6; ++i) httpGet(port(), "app.example.com", "/", {"Cookie: __VCAP_ID__=inst-b"});
  EXPECT_EQ(a_->requestCount(), 3u);
  EXPECT_EQ(b_->requestCount(), 3u);
}

TEST_F(ProxyAffinityTest, GoneInstanceIsRepinned) {
  a_->setHandler([](const BackendRequest&) { return BackendResponse::text(200, "no cookie"); });
  b_->setHandler([](const BackendRequest&) { return BackendResponse::text(200, "no cookie"); });
  auto r = httpGet(port(), "app.example.com", "/", {"Cookie: JSESSIONID=s1; __VCAP_ID__=inst-gone"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto cookie = r->header("Set-Cookie").value_or("");
  EXPECT_TRUE(cookie == "__VCAP_ID__=inst-a; Path=/; HttpOnly" ||
              cookie == "__VCAP_ID__=inst-b; Path=/; HttpOnly")
      << cookie;
}

TEST_F(ProxyAffinityTest, AppInstanceHeaderTargetsOneInstance) {
  for (int i = 0; i < 4; ++i) {
    auto r = httpGet(port(), "app.example.com", "/", {"X-CF-App-Instance: " + kApp + ":1"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(b_->requestCount(), 4u);
  ASSERT_TRUE(b_->lastRequest());
  EXPECT_FALSE(b_->lastRequest()->hasHeader("X-CF-App-Instance"));
}

TEST_F(ProxyAffinityTest, AppInstanceHeaderErrors) {
  auto bad = httpGet(port(), "app.example.com", "/", {"X-CF-App-Instance: NOT-A-GUID:1"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->header("X-Cf-Routererror").value_or(""), "invalid_cf_app_instance_header");
  EXPECT_EQ(bad->body, "400 Bad Request: Invalid X-CF-App-Instance Header\n");

  auto missing = httpGet(port(), "app.example.com", "/", {"X-CF-App-Instance: " + kApp + ":7"});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(missing->header("X-Cf-Routererror").value_or(""), "unknown_route");
  EXPECT_EQ(missing->body, "400 Bad Request: Requested instance ('7') with guid ('" + kApp +
                               "') does not exist for route ('app.example.com')\n");
  // Even an unknown route answers 400 when an instance is targeted.
  auto no_route = httpGet(port(), "nope.example.com", "/", {"X-CF-App-Instance: " + kApp + ":0"});
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 400);
}

TEST_F(ProxyAffinityTest, ProcessInstanceHeaderTargetsAndIsForwarded) {
  for (int i = 0; i < 3; ++i) {
    auto r = httpGet(port(), "app.example.com", "/", {"X-CF-Process-Instance: " + kProcess + ":0"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(a_->requestCount(), 3u);
  ASSERT_TRUE(a_->lastRequest());
  EXPECT_TRUE(a_->lastRequest()->hasHeader("X-CF-Process-Instance"));
  auto any = httpGet(port(), "app.example.com", "/", {"X-CF-Process-Instance: " + kProcess});
  ASSERT_TRUE(any);
  EXPECT_EQ(any->status, 200);
  auto bad = httpGet(port(), "app.example.com", "/", {"X-CF-Process-Instance: zz"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->header("X-Cf-Routererror").value_or(""), "invalid_cf_process_instance_header");
}

}  // namespace
}  // namespace foundry::test
