#include "router/http/message_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace foundry::router {
namespace {

TEST(FindHeadEndTest, FindsCrlfAndBareLfTerminators) {
  std::string crlf = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
  EXPECT_EQ(findHeadEnd(crlf.data(), crlf.size(), 0), crlf.size() - 4);
  std::string lf = "GET / HTTP/1.1\nHost: a\n\nBODY";
  EXPECT_EQ(findHeadEnd(lf.data(), lf.size(), 0), lf.size() - 4);
  std::string partial = "GET / HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(findHeadEnd(partial.data(), partial.size(), 0), 0u);
  // Resuming a scan from near the previous end still finds a terminator split across reads.
  std::string split = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(findHeadEnd(split.data(), split.size(), split.size() - 5), split.size());
}

TEST(MessageParserTest, ParsesRequestHeadFields) {
  std::string head =
      "POST /p?q=1 HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n";
  MessageParser parser;
  MessageHead h;
  parser.reset(MessageParser::Type::Request);
  ASSERT_TRUE(parser.parseHead(head.data(), head.size(), &h));
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/p?q=1");
  EXPECT_EQ(h.find("host"), "app");
  EXPECT_TRUE(h.has_content_length);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(parser.messageComplete());
  EXPECT_EQ(parser.remainingContentLength(), 5u);
  std::string rest = "helloGET / HTTP/1.1";
  EXPECT_EQ(parser.feedBody(rest.data(), rest.size()), 5);
  EXPECT_TRUE(parser.messageComplete());
}

TEST(MessageParserTest, ChunkedBodyEndsExactlyAtTheLastChunk) {
  std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  MessageParser parser;
  MessageHead h;
  parser.reset(MessageParser::Type::Request);
  ASSERT_TRUE(parser.parseHead(head.data(), head.size(), &h));
  EXPECT_TRUE(h.chunked);
  std::string body = "3\r\nabc\r\n0\r\n\r\n";
  std::string next = "GET /next HTTP/1.1\r\n";
  std::string both = body + next;
  // Byte by byte: framing survives any split.
  size_t consumed = 0;
  for (size_t i = 0; i < both.size() && !parser.messageComplete(); ++i) {
    long n = parser.feedBody(both.data() + i, 1);
    ASSERT_GE(n, 0);
    consumed += static_cast<size_t>(n);
  }
  EXPECT_TRUE(parser.messageComplete());
  EXPECT_EQ(consumed, body.size());
}

TEST(MessageParserTest, RejectsGarbageAndBadChunks) {
  MessageParser parser;
  MessageHead h;
  std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  parser.reset(MessageParser::Type::Request);
  EXPECT_FALSE(parser.parseHead(garbage.data(), garbage.size(), &h));

  std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  parser.reset(MessageParser::Type::Request);
  ASSERT_TRUE(parser.parseHead(head.data(), head.size(), &h));
  std::string bad = "zz\r\n";
  EXPECT_LT(parser.feedBody(bad.data(), bad.size()), 0);
}

TEST(MessageParserTest, EmptyLinesAloneAreNotAHead) {
  MessageParser parser;
  MessageHead h;
  for (std::string empty : {"\r\n\r\n", "\n\n"}) {
    parser.reset(MessageParser::Type::Request);
    EXPECT_FALSE(parser.parseHead(empty.data(), empty.size(), &h));
    parser.reset(MessageParser::Type::Response);
    EXPECT_FALSE(parser.parseHead(empty.data(), empty.size(), &h));
  }
}

TEST(MessageParserTest, ObsoleteLineFoldingIsRejected) {
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n";
  MessageParser parser;
  MessageHead h;
  parser.reset(MessageParser::Type::Request);
  EXPECT_FALSE(parser.parseHead(head.data(), head.size(), &h));
}

TEST(MessageParserTest, ResponseFraming) {
  MessageParser parser;
  MessageHead h;
  std::string no_length = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
  parser.reset(MessageParser::Type::Response);
  ASSERT_TRUE(parser.parseHead(no_length.data(), no_length.size(), &h));
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(parser.bodyUntilEof());
  std::string data = "some bytes";
  EXPECT_EQ(parser.feedBody(data.data(), data.size()), static_cast<long>(data.size()));
  parser.finishAtEof();
  EXPECT_TRUE(parser.messageComplete());

  std::string not_modified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
  parser.reset(MessageParser::Type::Response);
  ASSERT_TRUE(parser.parseHead(not_modified.data(), not_modified.size(), &h));
  EXPECT_TRUE(parser.messageComplete());

  // A response to HEAD has no body whatever its Content-Length says.
  std::string head_resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  parser.reset(MessageParser::Type::Response, /*skip_body=*/true);
  ASSERT_TRUE(parser.parseHead(head_resp.data(), head_resp.size(), &h));
  EXPECT_TRUE(parser.messageComplete());

  std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  parser.reset(MessageParser::Type::Response);
  ASSERT_TRUE(parser.parseHead(cont.data(), cont.size(), &h));
  EXPECT_EQ(h.status, 100);
  EXPECT_TRUE(parser.messageComplete());
}

}  // namespace
}  // namespace foundry::router
