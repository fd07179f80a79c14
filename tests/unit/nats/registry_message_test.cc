#include "router/nats/registry_message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace foundry::router {
namespace {

bool decode(std::string_view json, RegistryMessage* msg, std::string* error) {
  return decodeRegistryMessage(json, msg, error);
}

RegistryMessage decodeOk(std::string_view json) {
  RegistryMessage msg;
  std::string error;
  EXPECT_TRUE(decode(json, &msg, &error)) << json << " -> " << error;
  return msg;
}

std::string decodeFails(std::string_view json) {
  RegistryMessage msg;
  std::string error;
  EXPECT_FALSE(decode(json, &msg, &error)) << "accepted: " << json;
  EXPECT_FALSE(error.empty());
  return error;
}

// A valid message with one field replaced by `value` (raw JSON).
std::string withField(const std::string& field, const std::string& value) {
  return R"({"host":"10.0.0.1","port":8080,"uris":["a.example.com"],")" + field + "\":" + value +
         "}";
}

TEST(RegistryMessageTest, FullMessage) {
  RegistryMessage msg = decodeOk(R"({
    "host": "10.0.16.12",
    "port": 61001,
    "uris": ["app.example.com", "app.example.com/path"],
    "app": "5e3a4b5c-app",
    "private_instance_id": "inst-1",
    "private_instance_index": "2",
    "tags": {"component": "route-emitter", "process_id": "p-1"},
    "route_service_url": "https://rs.example.com",
    "server_cert_domain_san": "inst-1.san",
    "stale_threshold_in_seconds": 60,
    "isolation_segment": "iso-1",
    "protocol": "http2",
    "availability_zone": "z2",
    "endpoint_updated_at_ns": 1700000000123456789,
    "options": {"loadbalancing": "least-connection"},
    "dea": "legacy-ignored",
    "modification_tag": {"guid": "g", "index": 1}
  })");
  const EndpointFields& f = msg.fields;
  EXPECT_EQ(f.host, "10.0.16.12");
  EXPECT_EQ(f.port, 61001);
  EXPECT_FALSE(f.tls);
  EXPECT_EQ(msg.uris, (std::vector<std::string>{"app.example.com", "app.example.com/path"}));
  EXPECT_EQ(f.app_id, "5e3a4b5c-app");
  EXPECT_EQ(f.private_instance_id, "inst-1");
  EXPECT_EQ(f.private_instance_index, "2");
  EXPECT_EQ(f.tags, (std::map<std::string, std::string>{{"component", "route-emitter"},
                                                        {"process_id", "p-1"}}));
  EXPECT_EQ(f.route_service_url, "https://rs.example.com");
  EXPECT_EQ(f.server_cert_domain_san, "inst-1.san");
  EXPECT_EQ(f.stale_threshold_s, 60);
  EXPECT_EQ(f.isolation_segment, "iso-1");
  EXPECT_EQ(f.protocol, "http2");
  EXPECT_EQ(f.availability_zone, "z2");
  EXPECT_EQ(f.updated_at_ns, 1700000000123456789);
  EXPECT_EQ(f.lb_algo, "least-connection");
}

TEST(RegistryMessageTest, MinimalMessageDefaults) {
  RegistryMessage msg = decodeOk(R"({"host":"h","port":1})");
  EXPECT_EQ(msg.fields.protocol, "http1");
  EXPECT_TRUE(msg.uris.empty());
  EXPECT_TRUE(msg.fields.tags.empty());
  EXPECT_EQ(msg.fields.lb_algo, "");
}

TEST(RegistryMessageTest, TlsPortReplacesPort) {
  RegistryMessage msg = decodeOk(R"({"host":"h","port":8080,"tls_port":8443,"uris":["a"]})");
  EXPECT_EQ(msg.fields.port, 8443);
  EXPECT_TRUE(msg.fields.tls);

  msg = decodeOk(R"({"host":"h","tls_port":8443,"uris":["a"]})");
  EXPECT_EQ(msg.fields.port, 8443);
  EXPECT_TRUE(msg.fields.tls);

  msg = decodeOk(R"({"host":"h","port":8080,"tls_port":0,"uris":["a"]})");
  EXPECT_EQ(msg.fields.port, 8080);
  EXPECT_FALSE(msg.fields.tls);
}

TEST(RegistryMessageTest, RejectsMissingHostOrPorts) {
  decodeFails(R"({"port":8080,"uris":["a"]})");
  decodeFails(R"({"host":"","port":8080,"uris":["a"]})");
  decodeFails(R"({"host":null,"port":8080,"uris":["a"]})");
  decodeFails(R"({"host":"h","uris":["a"]})");
  decodeFails(R"({"host":"h","port":0,"tls_port":0,"uris":["a"]})");
}

TEST(RegistryMessageTest, EmptyUrisAccepted) {
  EXPECT_TRUE(decodeOk(R"({"host":"h","port":1,"uris":[]})").uris.empty());
}

TEST(RegistryMessageTest, TypeErrorsDropTheMessage) {
  struct Case {
    const char* field;
    const char* value;
  };
  const Case cases[] = {
      {"host", "5"},
      {"host", "[\"h\"]"},
      {"port", "\"8080\""},
      {"port", "-1"},
      {"port", "65536"},
      {"port", "80.5"},
      {"port", "8e3"},
      {"port", "true"},
      {"port", "18446744073709551615"},
      {"tls_port", "70000"},
      {"tls_port", "\"443\""},
      {"uris", "\"a.example.com\""},
      {"uris", "[1]"},
      {"uris", "[\"a\", {}]"},
      {"uris", "{}"},
      {"app", "1"},
      {"private_instance_id", "{}"},
      {"private_instance_index", "2"},
      {"tags", "[]"},
      {"tags", "\"x\""},
      {"route_service_url", "1"},
      {"server_cert_domain_san", "false"},
      {"stale_threshold_in_seconds", "\"60\""},
      {"stale_threshold_in_seconds", "1.5"},
      {"isolation_segment", "[]"},
      {"protocol", "2"},
      {"availability_zone", "0"},
      {"endpoint_updated_at_ns", "\"1\""},
      {"endpoint_updated_at_ns", "1e18"},
      {"endpoint_updated_at_ns", "9223372036854775808"},
      {"options", "\"least-connection\""},
      {"options", "{\"loadbalancing\": 1}"},
      {"options", "{\"lb_algo\": []}"},
  };
  for (const Case& c : cases) {
    std::string json = withField(c.field, c.value);
    RegistryMessage msg;
    std::string error;
    EXPECT_FALSE(decode(json, &msg, &error)) << json;
    EXPECT_NE(error.find(c.field), std::string::npos) << json << " -> " << error;
  }
}

TEST(RegistryMessageTest, NonStringTagDropsTheMessage) {
  std::string error = decodeFails(withField("tags", R"({"component":"x","count":3})"));
  EXPECT_NE(error.find("tags.count"), std::string::npos) << error;
  decodeFails(withField("tags", R"({"nested":{"a":"b"}})"));
  decodeFails(withField("tags", R"({"flag":true})"));
}

TEST(RegistryMessageTest, RouteServiceUrlMustBeHttps) {
  std::string error = decodeFails(withField("route_service_url", "\"http://rs.example.com\""));
  EXPECT_NE(error.find("route_service_url"), std::string::npos);
  decodeFails(withField("route_service_url", "\"rs.example.com\""));
  EXPECT_EQ(decodeOk(withField("route_service_url", "\"\"")).fields.route_service_url, "");
  EXPECT_EQ(decodeOk(withField("route_service_url", "\"https://x\"")).fields.route_service_url,
            "https://x");
}

TEST(RegistryMessageTest, InvalidLbAlgorithmIgnored) {
  RegistryMessage msg = decodeOk(withField("options", R"({"loadbalancing":"random"})"));
  EXPECT_EQ(msg.fields.lb_algo, "");
  EXPECT_EQ(msg.fields.host, "10.0.0.1");
  msg = decodeOk(withField("options", R"({"lb_algo":"round-robin"})"));
  EXPECT_EQ(msg.fields.lb_algo, "round-robin");
  // The current name wins over the legacy one.
  msg = decodeOk(
      withField("options", R"({"lb_algo":"round-robin","loadbalancing":"least-connection"})"));
  EXPECT_EQ(msg.fields.lb_algo, "least-connection");
  // An invalid current name falls back to a valid legacy one.
  msg = decodeOk(withField("options", R"({"loadbalancing":"nope","lb_algo":"round-robin"})"));
  EXPECT_EQ(msg.fields.lb_algo, "round-robin");
  msg = decodeOk(withField("options", R"({"other":5})"));
  EXPECT_EQ(msg.fields.lb_algo, "");
}

TEST(RegistryMessageTest, WeightIsAnIntegerFromOneToHundred) {
  EXPECT_EQ(decodeOk(withField("options", R"({"weight":1})")).fields.weight, 1);
  EXPECT_EQ(decodeOk(withField("options", R"({"weight":100})")).fields.weight, 100);
  EXPECT_EQ(decodeOk(withField("options", R"({"weight":null})")).fields.weight, 0);
  EXPECT_EQ(decodeOk(withField("options", R"({"loadbalancing":"round-robin"})")).fields.weight, 0);
  // Anything else is logged and ignored; the endpoint stays, unweighted.
  for (const char* bad : {"0", "101", "-5", "2.5", "50.0", "\"50\"", "true", "[1]", "{}",
                          "18446744073709551615"}) {
    RegistryMessage msg = decodeOk(withField("options", std::string("{\"weight\":") + bad + "}"));
    EXPECT_EQ(msg.fields.weight, 0) << bad;
    EXPECT_EQ(msg.fields.host, "10.0.0.1") << bad;
  }
  // Weight and algorithm together.
  RegistryMessage both =
      decodeOk(withField("options", R"({"weight":30,"loadbalancing":"least-connection"})"));
  EXPECT_EQ(both.fields.weight, 30);
  EXPECT_EQ(both.fields.lb_algo, "least-connection");
}

TEST(RegistryMessageTest, NullMeansAbsent) {
  RegistryMessage msg = decodeOk(R"({
    "host": "h", "port": 80, "tls_port": null, "uris": null, "app": null,
    "private_instance_id": null, "private_instance_index": null, "tags": null,
    "route_service_url": null, "server_cert_domain_san": null,
    "stale_threshold_in_seconds": null, "isolation_segment": null, "protocol": null,
    "availability_zone": null, "endpoint_updated_at_ns": null, "options": null
  })");
  EXPECT_EQ(msg.fields.port, 80);
  EXPECT_FALSE(msg.fields.tls);
  EXPECT_TRUE(msg.uris.empty());
  EXPECT_EQ(msg.fields.protocol, "http1");
  EXPECT_EQ(msg.fields.stale_threshold_s, 0);

  msg = decodeOk(withField("options", R"({"loadbalancing":null})"));
  EXPECT_EQ(msg.fields.lb_algo, "");
  msg = decodeOk(R"({"host":"h","port":1,"uris":["a",null,"b"],"tags":{"k":null,"j":"v"}})");
  EXPECT_EQ(msg.uris, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(msg.fields.tags, (std::map<std::string, std::string>{{"j", "v"}}));
}

TEST(RegistryMessageTest, EmptyProtocolIsHttp1) {
  EXPECT_EQ(decodeOk(withField("protocol", "\"\"")).fields.protocol, "http1");
}

TEST(RegistryMessageTest, NegativeStaleThresholdMeansGlobal) {
  EXPECT_EQ(decodeOk(withField("stale_threshold_in_seconds", "-5")).fields.stale_threshold_s, 0);
}

TEST(RegistryMessageTest, DuplicateKeysLastWins) {
  RegistryMessage msg = decodeOk(R"({"host":"a","host":"b","port":1,"uris":["x"],"uris":["y"]})");
  EXPECT_EQ(msg.fields.host, "b");
  EXPECT_EQ(msg.uris, std::vector<std::string>{"y"});
}

TEST(RegistryMessageTest, EscapedStrings) {
  RegistryMessage msg = decodeOk(R"({"host":"h\u0041","port":1,"uris":["a\/b"]})");
  EXPECT_EQ(msg.fields.host, "hA");
  EXPECT_EQ(msg.uris, std::vector<std::string>{"a/b"});
}

TEST(RegistryMessageTest, GarbageIsRejected) {
  for (std::string_view bad :
       {std::string_view(""), std::string_view("   "), std::string_view("{"),
        std::string_view("null"), std::string_view("[]"), std::string_view("42"),
        std::string_view("\"host\""), std::string_view("{\"host\":\"h\",\"port\":1,}"),
        std::string_view("{\"host\":\"h\" \"port\":1}"),
        std::string_view("{\"host\":\"h\",\"port\":1} trailing"),
        std::string_view("{\"host\":\"\xff\xfe\",\"port\":1}"), std::string_view("\0\0\0\0", 4)}) {
    RegistryMessage msg;
    std::string error;
    EXPECT_FALSE(decode(bad, &msg, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(RegistryMessageTest, RandomBinaryDoesNotCrash) {
  std::mt19937 rng(12345);
  std::string valid = withField("tags", R"({"a":"b"})");
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    if (i % 2 == 0) {
      input.resize(rng() % 200);
      for (char& c : input) {
        c = static_cast<char>(rng());
      }
    } else {
      // Mutations of a valid message exercise the deeper paths.
      input = valid;
      int edits = 1 + rng() % 4;
      for (int e = 0; e < edits; ++e) {
        input[rng() % input.size()] = static_cast<char>(rng());
      }
    }
    RegistryMessage msg;
    std::string error;
    decode(input, &msg, &error);
  }
}

TEST(RegistryMessageTest, FailureLeavesOutputUntouched) {
  RegistryMessage msg;
  msg.fields.host = "before";
  std::string error;
  EXPECT_FALSE(decode(R"({"host":"h","port":"x"})", &msg, &error));
  EXPECT_EQ(msg.fields.host, "before");
}

TEST(RegistryMessageTest, PathRegexIsAStringOrTheMessageIsDropped) {
  EXPECT_EQ(decodeOk(withField("options", R"({"path_regex":"/v[0-9]+/.*"})")).path_regex,
            "/v[0-9]+/.*");
  EXPECT_EQ(decodeOk(withField("options", R"({"path_regex":null})")).path_regex, "");
  EXPECT_NE(decodeFails(withField("options", R"({"path_regex":42})")).find("options.path_regex"),
            std::string::npos);
}

TEST(RegistryMessageTest, HealthCheckDefaultsAndInvalidChecksIgnored) {
  HealthCheckSpec check =
      decodeOk(withField("options", R"({"health_check":{"path":"/up","interval_ms":500,)"
                                    R"("timeout_ms":200,"unhealthy_threshold":3}})"))
          .fields.health_check;
  EXPECT_EQ(check.path, "/up");
  EXPECT_EQ(check.interval_ms, 500);
  EXPECT_EQ(check.timeout_ms, 200);
  EXPECT_EQ(check.unhealthy_threshold, 3);
  EXPECT_EQ(check.healthy_threshold, 2);  // default
  EXPECT_EQ(decodeOk(withField("options", R"({"health_check":{}})")).fields.health_check.path,
            "/");
  // Each of these is logged and ignored: the endpoint is kept, unchecked.
  for (const char* bad : {R"("yes")", R"({"path":"up"})", R"({"path":"/a b"})",
                          R"({"interval_ms":10})", R"({"timeout_ms":"1s"})",
                          R"({"interval_ms":1000,"timeout_ms":2000})",
                          R"({"healthy_threshold":0})", R"({"unhealthy_threshold":101})"}) {
    RegistryMessage msg =
        decodeOk(withField("options", std::string(R"({"health_check":)") + bad + "}"));
    EXPECT_EQ(msg.fields.health_check, HealthCheckSpec{}) << bad;
  }
}

TEST(RegistryMessageTest, RouterStartPayload) {
  std::string payload = routerStartPayload("0-abc", "10.0.0.5", 20, 120);
  EXPECT_EQ(payload, R"({"id":"0-abc","hosts":["10.0.0.5"],"minimumRegisterIntervalInSeconds":20,)"
                     R"("pruneThresholdInSeconds":120})");
  auto json = nlohmann::json::parse(payload);
  EXPECT_EQ(json["id"], "0-abc");
  EXPECT_EQ(json["hosts"][0], "10.0.0.5");
  EXPECT_EQ(json["minimumRegisterIntervalInSeconds"], 20);
  EXPECT_EQ(json["pruneThresholdInSeconds"], 120);
}

TEST(RegistryMessageTest, RouterStartPayloadEscapes) {
  auto json = nlohmann::json::parse(routerStartPayload("a\"b\\c\n", "h", 1, 2));
  EXPECT_EQ(json["id"], "a\"b\\c\n");
}

}  // namespace
}  // namespace foundry::router
