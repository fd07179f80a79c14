#include "router/http2/h2_headers.h"

#include <gtest/gtest.h>

namespace foundry::router {
namespace {

H2RequestHead request(std::initializer_list<std::pair<const char*, const char*>> fields) {
  H2RequestHead head;
  for (auto& [n, v] : fields) head.add(n, v);
  return head;
}

TEST(H2HeadersTest, RequestBecomesAnHttp11Head) {
  H2RequestHead head = request({{":method", "GET"},
                                {":scheme", "https"},
                                {":authority", "app.example.com"},
                                {":path", "/a?b=c"},
                                {"cookie", "a=1"},
                                {"accept", "*/*"},
                                {"cookie", "b=2"},
                                {"host", "ignored.example.com"},
                                {"te", "trailers"}});
  std::string out;
  ASSERT_TRUE(writeH1Request(head, true, &out));
  EXPECT_EQ(out,
            "GET /a?b=c HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n"
            "accept: */*\r\nte: trailers\r\ncookie: a=1; b=2\r\n\r\n");
}

TEST(H2HeadersTest, BodyFramingFollowsTheStream) {
  std::string out;
  H2RequestHead post = request({{":method", "POST"}, {":path", "/u"}, {":authority", "h"}});
  ASSERT_TRUE(writeH1Request(post, false, &out));
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  ASSERT_TRUE(writeH1Request(post, true, &out));
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos);
  H2RequestHead sized = request(
      {{":method", "PUT"}, {":path", "/u"}, {":authority", "h"}, {"content-length", "5"}});
  ASSERT_TRUE(writeH1Request(sized, false, &out));
  EXPECT_EQ(out.find("chunked"), std::string::npos);
  EXPECT_NE(out.find("content-length: 5\r\n"), std::string::npos);
}

TEST(H2HeadersTest, FieldsHttp11CannotCarryAreRefused) {
  std::string out;
  EXPECT_FALSE(writeH1Request(
      request({{":method", "GET"}, {":path", "/a b"}, {":authority", "h"}}), true, &out));
  EXPECT_FALSE(writeH1Request(
      request({{":method", "GET"}, {":path", "/"}, {":authority", "h"}, {"x", "a\r\nb: c"}}),
      true, &out));
  EXPECT_FALSE(writeH1Request(
      request({{":method", "GE T"}, {":path", "/"}, {":authority", "h"}}), true, &out));
  EXPECT_FALSE(writeH1Request(request({{":method", "GET"}, {":authority", "h"}}), true, &out));
}

TEST(H2HeadersTest, ResponseFieldsDropConnectionSpecificOnes) {
  DecodedHead head;
  head.status = 404;
  head.headers = {{"Content-Type", "text/plain"},
                  {"Connection", "close"},
                  {"Transfer-Encoding", "chunked"},
                  {"Keep-Alive", "timeout=5"},
                  {"X-Vcap-Request-Id", "id"}};
  NvList nv;
  h2ResponseFields(head, &nv);
  ASSERT_EQ(nv.size(), 3u);
  auto at = [&](size_t i) {
    return std::make_pair(
        std::string(reinterpret_cast<const char*>(nv.data()[i].name), nv.data()[i].namelen),
        std::string(reinterpret_cast<const char*>(nv.data()[i].value), nv.data()[i].valuelen));
  };
  EXPECT_EQ(at(0), std::make_pair(std::string(":status"), std::string("404")));
  EXPECT_EQ(at(1), std::make_pair(std::string("content-type"), std::string("text/plain")));
  EXPECT_EQ(at(2), std::make_pair(std::string("x-vcap-request-id"), std::string("id")));
}

TEST(H2HeadersTest, BackendResponseBecomesChunkedSoTrailersFit) {
  std::string out;
  bool chunked = false;
  writeH1Response(200, {{"content-type", "application/grpc"}}, false, false, &chunked, &out);
  EXPECT_TRUE(chunked);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  writeH1Response(200, {{"content-length", "4"}}, false, false, &chunked, &out);
  EXPECT_FALSE(chunked);
  writeH1Response(200, {{"grpc-status", "12"}}, true, false, &chunked, &out);
  EXPECT_FALSE(chunked);
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos);
  writeH1Response(304, {}, false, true, &chunked, &out);
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\n\r\n");
  std::string end;
  writeH1ChunkedEnd({{"grpc-status", "0"}}, &end);
  EXPECT_EQ(end, "0\r\ngrpc-status: 0\r\n\r\n");
}

TEST(H2HeadersTest, RequestFieldsForAnHttp2Backend) {
  DecodedHead head;
  head.method = "POST";
  head.target = "/pkg.Svc/Call";
  head.headers = {{"Host", "grpc.example.com"},
                  {"TE", "trailers"},
                  {"Connection", "close"},
                  {"X-Forwarded-For", "1.2.3.4"}};
  NvList nv;
  h2RequestFields(head, "http", &nv);
  std::vector<std::string> names;
  for (size_t i = 0; i < nv.size(); ++i) {
    names.emplace_back(reinterpret_cast<const char*>(nv.data()[i].name), nv.data()[i].namelen);
  }
  EXPECT_EQ(names, (std::vector<std::string>{":method", ":scheme", ":authority", ":path", "te",
                                             "x-forwarded-for"}));
}

}  // namespace
}  // namespace foundry::router
