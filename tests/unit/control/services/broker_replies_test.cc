// How the controller reads broker answers: the status-code table (OSB A.4) and the
// orphan-mitigation table (A.7), row by row, on plain replies.
#include "control/services/broker_replies.h"

#include <gtest/gtest.h>

namespace foundry::control::services {
namespace {

using R = RequestVerdict::Result;

BrokerReply reply(long status, std::string body = "{}", std::string retry_after = "") {
  BrokerReply r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

BrokerReply timeout() {
  BrokerReply r;
  r.timed_out = true;
  r.error = "Timeout was reached";
  return r;
}

struct Row {
  CallKind kind;
  BrokerReply answer;
  R result;
  bool mitigate;
};

TEST(BrokerRepliesTest, OrphanMitigationTable) {
  const Row rows[] = {
      {CallKind::Provision, reply(201, R"({"dashboard_url":null})"), R::Done, false},
      {CallKind::Provision, reply(200, "{}"), R::Done, false},
      {CallKind::Provision, reply(200, "garbage"), R::Failed, false},   // 200 malformed
      {CallKind::Provision, reply(201, "garbage"), R::Failed, true},    // 201 malformed
      {CallKind::Provision, reply(202, R"({"operation":"op-1"})"), R::Async, false},
      {CallKind::Provision, reply(202, "{\"operation\":"), R::Failed, true},  // 202 malformed
      {CallKind::Provision, reply(204, ""), R::Failed, true},           // other 2xx
      {CallKind::Provision, reply(408), R::Failed, false},
      {CallKind::Provision, reply(409), R::Failed, false},
      {CallKind::Provision, reply(422, R"({"error":"ConcurrencyError"})"), R::Failed, false},
      {CallKind::Provision, reply(500), R::Failed, true},
      {CallKind::Provision, timeout(), R::Failed, true},
      {CallKind::Bind, reply(201, R"({"credentials":{"u":"p"}})"), R::Done, false},
      {CallKind::Bind, reply(201, R"({"credentials":"not an object"})"), R::Failed, true},
      {CallKind::Bind, reply(202, R"({"credentials":{"u":"p"}})"), R::Failed, true},
      {CallKind::Bind, reply(503), R::Failed, true},
      {CallKind::Bind, timeout(), R::Failed, true},
      {CallKind::Bind, reply(400), R::Failed, false},
      {CallKind::Update, reply(200, "{}"), R::Done, false},
      {CallKind::Update, reply(500), R::Failed, false},  // never mitigated
      {CallKind::Update, reply(201, "{}"), R::Failed, false},
      {CallKind::Update, timeout(), R::Failed, false},
      {CallKind::Deprovision, reply(200, "{}"), R::Done, false},
      {CallKind::Deprovision, reply(200, ""), R::Done, false},  // "{}" is all it owes
      {CallKind::Deprovision, reply(410), R::Done, false},      // gone = done
      {CallKind::Deprovision, reply(500), R::Failed, true},
      {CallKind::Deprovision, reply(201, "{}"), R::Failed, true},
      {CallKind::Deprovision, timeout(), R::Failed, false},
      {CallKind::Unbind, reply(410), R::Done, false},
      {CallKind::Unbind, reply(502), R::Failed, true},
      {CallKind::Unbind, reply(422, R"({"error":"AsyncRequired"})"), R::Failed, false},
  };
  int i = 0;
  for (const auto& row : rows) {
    RequestVerdict v = readRequestReply(row.kind, row.answer);
    EXPECT_EQ(v.result, row.result) << "row " << i << " status " << row.answer.status;
    EXPECT_EQ(v.mitigate, row.mitigate) << "row " << i << " status " << row.answer.status;
    ++i;
  }
}

TEST(BrokerRepliesTest, AsyncKeepsTheOperationAndFailuresSayWhy) {
  auto v = readRequestReply(CallKind::Provision, reply(202, R"({"operation":"task 42"})"));
  EXPECT_EQ(v.operation, "task 42");
  auto f = readRequestReply(CallKind::Provision,
                            reply(400, R"({"error":"BadRequest","description":"size too big"})"));
  EXPECT_NE(f.description.find("size too big"), std::string::npos);
  BrokerReply refused;
  refused.error = "Connection refused";
  auto r = readRequestReply(CallKind::Provision, refused);
  EXPECT_EQ(r.result, R::Failed);
  EXPECT_FALSE(r.mitigate) << "the request never reached the broker";
}

TEST(BrokerRepliesTest, LastOperation) {
  using S = PollVerdict::State;
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(200, R"({"state":"in progress"})")).state,
            S::InProgress);
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(200, R"({"state":"succeeded"})")).state,
            S::Succeeded);
  auto failed = readLastOperation(CallKind::Provision,
                                  reply(200, R"({"state":"failed","description":"disk full"})"));
  EXPECT_EQ(failed.state, S::Failed);
  EXPECT_EQ(failed.description, "disk full");
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(200, R"({"state":"done"})")).state,
            S::Invalid);
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(410)).state, S::Invalid);
  EXPECT_EQ(readLastOperation(CallKind::Deprovision, reply(410)).state, S::Succeeded);
  EXPECT_EQ(readLastOperation(CallKind::Unbind, reply(410)).state, S::Succeeded);
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(500)).state, S::Invalid);
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(200, R"({"state":"in progress"})", "30"))
                .retry_after_s,
            30);
  EXPECT_EQ(readLastOperation(CallKind::Provision, reply(200, R"({"state":"in progress"})", "soon"))
                .retry_after_s,
            0);
}

TEST(BrokerClientTest, RequestsCarryTheOsbHeaders) {
  BrokerEndpoint b{"http://127.0.0.1:1/", "user", auth::Secret("pw")};
  CallOptions o;
  o.originating_user = "user-guid";
  BrokerCall c = instanceCall(b, "PUT", "si/1", "accepts_incomplete=true", "{}", o);
  EXPECT_EQ(c.url, "http://127.0.0.1:1/v2/service_instances/si%2F1?accepts_incomplete=true");
  auto has = [&](const std::string& name) {
    for (const auto& [k, v] : c.headers) {
      if (k == name) return v;
    }
    return std::string();
  };
  EXPECT_EQ(has("X-Broker-API-Version"), "2.17");
  EXPECT_FALSE(has("X-Broker-API-Request-Identity").empty());
  EXPECT_EQ(has("Authorization"), "Basic dXNlcjpwdw==");
  // cloudfoundry + base64({"user_id":"user-guid"})
  EXPECT_EQ(has("X-Broker-API-Originating-Identity"),
            "cloudfoundry eyJ1c2VyX2lkIjoidXNlci1ndWlkIn0=");
  EXPECT_TRUE(has("X-Broker-API-Originating-Identity").size() > 0);
  EXPECT_EQ(catalogCall(b, o).headers.size(), 4u) << "no originating identity on the catalog";
  BrokerCall poll = lastOperationCall(b, "i", "", "svc", "plan", "op 1&2", o);
  EXPECT_EQ(poll.url,
            "http://127.0.0.1:1/v2/service_instances/i/last_operation?service_id=svc&plan_id=plan&"
            "operation=op%201%262");
}

}  // namespace
}  // namespace foundry::control::services
