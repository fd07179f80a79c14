#include "router/http2/h1_message_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace foundry::router {
namespace {

std::string bodyOf(IoBuffer& b) { return std::string(b.data(), b.size()); }

// Feeds `bytes` in pieces of `step`, as a link delivers them.
long feedAll(H1MessageDecoder& d, const std::string& bytes, size_t step, IoBuffer* body) {
  size_t off = 0;
  while (off < bytes.size() && !d.complete()) {
    const size_t n = std::min(step, bytes.size() - off);
    long used = d.feed(bytes.data() + off, n, body);
    if (used < 0) return -1;
    off += static_cast<size_t>(used);
    if (static_cast<size_t>(used) < n) break;
  }
  return static_cast<long>(off);
}

TEST(H1MessageDecoderTest, ChunkedResponseWithTrailersInAnyPieces) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, wire.size()}) {
    H1MessageDecoder d(H1MessageDecoder::Type::Response);
    IoBuffer body;
    ASSERT_EQ(feedAll(d, wire, step, &body), static_cast<long>(wire.size())) << step;
    ASSERT_TRUE(d.complete()) << step;
    EXPECT_EQ(d.head().status, 200);
    EXPECT_EQ(d.head().reason, "OK");
    EXPECT_EQ(d.head().find("content-type"), "application/grpc");
    EXPECT_TRUE(d.head().chunked);
    EXPECT_EQ(bodyOf(body), "hello world");
    ASSERT_EQ(d.trailers().size(), 2u);
    EXPECT_EQ(d.trailers()[0].first, "grpc-status");
    EXPECT_EQ(d.trailers()[1].second, "fine");
  }
}

TEST(H1MessageDecoderTest, StopsAtTheEndOfTheMessage) {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA";
  H1MessageDecoder d(H1MessageDecoder::Type::Response);
  IoBuffer body;
  EXPECT_EQ(d.feed(wire.data(), wire.size(), &body), static_cast<long>(wire.size() - 5));
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(bodyOf(body), "abc");
}

TEST(H1MessageDecoderTest, InterimResponsesAreSkipped) {
  const std::string wire =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  H1MessageDecoder d(H1MessageDecoder::Type::Response);
  IoBuffer body;
  EXPECT_EQ(d.feed(wire.data(), wire.size(), &body), static_cast<long>(wire.size()));
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(d.head().status, 201);
  EXPECT_TRUE(d.head().find("link").empty());
  EXPECT_EQ(bodyOf(body), "ok");
}

TEST(H1MessageDecoderTest, BodylessResponses) {
  for (const char* wire : {"HTTP/1.1 204 No Content\r\n\r\n",
                           "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
                           "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}) {
    H1MessageDecoder d(H1MessageDecoder::Type::Response);
    IoBuffer body;
    std::string w(wire);
    EXPECT_EQ(d.feed(w.data(), w.size(), &body), static_cast<long>(w.size())) << wire;
    EXPECT_TRUE(d.complete()) << wire;
    EXPECT_FALSE(d.bodyExpected()) << wire;
  }
  // A response to HEAD announces a length it does not send.
  H1MessageDecoder head(H1MessageDecoder::Type::Response, true);
  IoBuffer body;
  std::string w = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  EXPECT_EQ(head.feed(w.data(), w.size(), &body), static_cast<long>(w.size()));
  EXPECT_TRUE(head.complete());
  EXPECT_FALSE(head.bodyExpected());
}

TEST(H1MessageDecoderTest, BodyUntilCloseCompletesOnlyAtFinish) {
  const std::string wire = "HTTP/1.1 200 OK\r\n\r\npartial";
  H1MessageDecoder d(H1MessageDecoder::Type::Response);
  IoBuffer body;
  EXPECT_EQ(d.feed(wire.data(), wire.size(), &body), static_cast<long>(wire.size()));
  EXPECT_FALSE(d.complete());
  EXPECT_TRUE(d.bodyUntilEof());
  EXPECT_TRUE(d.finish());
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(bodyOf(body), "partial");
}

TEST(H1MessageDecoderTest, CutShortIsNotComplete) {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  H1MessageDecoder d(H1MessageDecoder::Type::Response);
  IoBuffer body;
  d.feed(wire.data(), wire.size(), &body);
  EXPECT_TRUE(d.headDone());
  EXPECT_FALSE(d.finish());
  H1MessageDecoder none(H1MessageDecoder::Type::Response);
  EXPECT_FALSE(none.finish());
}

TEST(H1MessageDecoderTest, RequestWithChunkedBody) {
  const std::string wire =
      "POST /svc/Method HTTP/1.1\r\nHost: grpc.example.com\r\nTE: trailers\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  H1MessageDecoder d(H1MessageDecoder::Type::Request);
  IoBuffer body;
  EXPECT_EQ(feedAll(d, wire, 4, &body), static_cast<long>(wire.size()));
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(d.head().method, "POST");
  EXPECT_EQ(d.head().target, "/svc/Method");
  EXPECT_TRUE(d.bodyExpected());
  EXPECT_EQ(bodyOf(body), "abc");
}

TEST(H1MessageDecoderTest, MalformedInputFails) {
  const std::string wire = "HTTP/1.1 abc\r\n\r\n";
  H1MessageDecoder d(H1MessageDecoder::Type::Response);
  IoBuffer body;
  EXPECT_EQ(d.feed(wire.data(), wire.size(), &body), -1);
  EXPECT_EQ(d.feed("x", 1, &body), -1);  // stays failed
}

}  // namespace
}  // namespace foundry::router
