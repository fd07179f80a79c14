#include "router/http/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace foundry::router {
namespace {

using S = ProxyHeaderStatus;

ProxyHeaderResult parse(const std::string& bytes) {
  return parseProxyHeader(bytes.data(), bytes.size());
}

const std::string kV2Sig("\r\n\r\n\0\r\nQUIT\n", 12);

// A v2 header: signature, version/command, family/transport, length, then `payload`.
std::string v2(unsigned char version_command, unsigned char family, const std::string& payload,
               int length_override = -1) {
  std::string out = kV2Sig;
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family));
  const size_t len = length_override >= 0 ? static_cast<size_t>(length_override) : payload.size();
  out.push_back(static_cast<char>(len >> 8));
  out.push_back(static_cast<char>(len & 0xFF));
  return out + payload;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// 192.0.2.10:51000 -> 10.0.0.1:80
std::string tcp4Addresses() {
  return bytes({192, 0, 2, 10, 10, 0, 0, 1, 0xC7, 0x38, 0, 80});
}

// 2001:db8::7:443 -> ::1:80
std::string tcp6Addresses() {
  std::string out = bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  out += bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  return out + bytes({0x01, 0xBB, 0, 80});
}

TEST(ProxyProtocolTest, V1Tcp4) {
  const std::string header = "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80\r\n";
  auto r = parse(header + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.consumed, header.size());
  ASSERT_TRUE(r.source.present);
  EXPECT_EQ(r.source.family, AF_INET);
  EXPECT_EQ(r.source.ip(), "192.0.2.10");
  EXPECT_EQ(r.source.port, 51000);
}

TEST(ProxyProtocolTest, V1Tcp6) {
  auto r = parse("PROXY TCP6 2001:db8::7 ::1 443 8080\r\n");
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.source.family, AF_INET6);
  EXPECT_EQ(r.source.ip(), "2001:db8::7");
  EXPECT_EQ(r.source.port, 443);
}

TEST(ProxyProtocolTest, V1UnknownKeepsSocketAddresses) {
  for (const std::string h : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ff::1 whatever 1 2\r\n"}) {
    auto r = parse(h);
    ASSERT_EQ(r.status, S::Done) << h;
    EXPECT_EQ(r.consumed, h.size());
    EXPECT_FALSE(r.source.present);
    EXPECT_EQ(r.source.ip(), "");
  }
}

TEST(ProxyProtocolTest, V1LongestLegalLine) {
  // TCP6 with the longest addresses and ports: exactly 104 bytes, under the 107 cap.
  const std::string h =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_LE(h.size(), kMaxV1HeaderBytes);
  auto r = parse(h);
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.source.port, 65535);
}

TEST(ProxyProtocolTest, V1EveryTruncationNeedsMore) {
  const std::string h = "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80\r\n";
  for (size_t n = 1; n < h.size(); ++n) {
    auto r = parse(h.substr(0, n));
    ASSERT_EQ(r.status, S::NeedMore) << n;
    EXPECT_EQ(r.signature_seen, n >= 6) << n;
  }
}

TEST(ProxyProtocolTest, V1Invalid) {
  const char* cases[] = {
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80\n",        // LF without CR
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80\rX\n",     // CR inside
      "PROXY TCP5 192.0.2.10 10.0.0.1 51000 80\r\n",      // protocol
      "PROXY TCP4 192.0.2.10  10.0.0.1 51000 80\r\n",     // double space
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80 \r\n",     // trailing space
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000\r\n",         // missing port
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80 9\r\n",    // extra field
      "PROXY TCP4 2001:db8::1 10.0.0.1 51000 80\r\n",     // v6 address for TCP4
      "PROXY TCP6 192.0.2.10 ::1 51000 80\r\n",           // v4 address for TCP6
      "PROXY TCP4 192.0.2.010 10.0.0.1 51000 80\r\n",     // leading zero in the address
      "PROXY TCP4 192.0.2 10.0.0.1 51000 80\r\n",         // short address
      "PROXY TCP4 192.0.2.10 10.0.0.1 65536 80\r\n",      // port range
      "PROXY TCP4 192.0.2.10 10.0.0.1 0080 80\r\n",       // leading zero in the port
      "PROXY TCP4 192.0.2.10 10.0.0.1 -1 80\r\n",         // sign
      "PROXY TCP4 192.0.2.10 10.0.0.1 51000 80\x01\r\n",  // control byte
      "PROXY \r\n",                                       // nothing
      "PROXY UNKNOWNX\r\n",                               // not UNKNOWN
  };
  for (const char* c : cases) {
    auto r = parse(c);
    EXPECT_EQ(r.status, S::Invalid) << c;
    EXPECT_EQ(r.version, 1) << c;
    EXPECT_STRNE(r.error, "") << c;
  }
}

TEST(ProxyProtocolTest, V1LineCappedAt107Bytes) {
  std::string h = "PROXY UNKNOWN " + std::string(200, 'a');
  EXPECT_EQ(parse(h.substr(0, 106)).status, S::NeedMore);
  auto r = parse(h.substr(0, 107));
  EXPECT_EQ(r.status, S::Invalid);
  EXPECT_EQ(parse(h).status, S::Invalid);
  // A CRLF one byte too late does not save it.
  EXPECT_EQ(parse(h.substr(0, 106) + "\r\n").status, S::Invalid);
  // Binary garbage is refused at once, not after 107 bytes.
  EXPECT_EQ(parse(std::string("PROXY \xff", 7)).status, S::Invalid);
}

TEST(ProxyProtocolTest, PlainTrafficIsNotProxy) {
  for (const std::string plain : {"GET / HTTP/1.1\r\n", "POST", "PUT /", "PROXZ", "P ", "\r\nGET",
                                  "\r\n\r\nGET / HTTP/1.1"}) {
    auto r = parse(plain);
    EXPECT_EQ(r.status, S::NotProxy) << plain;
    EXPECT_EQ(r.consumed, 0u);
  }
  // Prefixes of a signature wait for more.
  for (const std::string prefix : {"P", "PROX", "PROXY", "\r", "\r\n\r\n"}) {
    auto r = parse(prefix);
    EXPECT_EQ(r.status, S::NeedMore) << prefix;
    EXPECT_FALSE(r.signature_seen) << prefix;
  }
  EXPECT_EQ(parse(std::string("\r\n\r\n\0", 5)).status, S::NeedMore);
  EXPECT_EQ(parse("").status, S::NeedMore);
}

TEST(ProxyProtocolTest, V2Tcp4WithTlvs) {
  // TLVs: PP2_TYPE_ALPN "h2", PP2_TYPE_NOOP of 0 bytes, an AWS VPC endpoint id.
  std::string tlvs = bytes({0x01, 0, 2}) + "h2" + bytes({0x04, 0, 0}) + bytes({0xEA, 0, 5}) +
                     std::string("\x01vpce", 5);
  const std::string h = v2(0x21, 0x11, tcp4Addresses() + tlvs);
  auto r = parse(h + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(r.consumed, h.size());
  EXPECT_EQ(r.source.ip(), "192.0.2.10");
  EXPECT_EQ(r.source.port, 51000);
}

TEST(ProxyProtocolTest, V2Tcp6) {
  auto r = parse(v2(0x21, 0x21, tcp6Addresses()));
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.source.family, AF_INET6);
  EXPECT_EQ(r.source.ip(), "2001:db8::7");
  EXPECT_EQ(r.source.port, 443);
}

TEST(ProxyProtocolTest, V2LocalAndUnspecKeepSocketAddresses) {
  // LOCAL (a balancer's health check): whatever follows is skipped, even garbage.
  auto local = parse(v2(0x20, 0x00, "") + "GET");
  ASSERT_EQ(local.status, S::Done);
  EXPECT_EQ(local.consumed, 16u);
  EXPECT_FALSE(local.source.present);
  auto local_with_addresses = parse(v2(0x20, 0x11, tcp4Addresses()));
  ASSERT_EQ(local_with_addresses.status, S::Done);
  EXPECT_FALSE(local_with_addresses.source.present);
  auto unspec = parse(v2(0x21, 0x00, bytes({1, 2, 3})));
  ASSERT_EQ(unspec.status, S::Done);
  EXPECT_FALSE(unspec.source.present);
  auto unix_stream = parse(v2(0x21, 0x31, std::string(216, 'u')));
  ASSERT_EQ(unix_stream.status, S::Done);
  EXPECT_FALSE(unix_stream.source.present);
}

TEST(ProxyProtocolTest, V2EveryTruncationNeedsMore) {
  const std::string h = v2(0x21, 0x21, tcp6Addresses() + bytes({0x04, 0, 1, 0}));
  for (size_t n = 1; n < h.size(); ++n) {
    auto r = parse(h.substr(0, n));
    ASSERT_EQ(r.status, S::NeedMore) << n;
    EXPECT_EQ(r.signature_seen, n >= 12) << n;
  }
  EXPECT_EQ(parse(h).status, S::Done);
}

TEST(ProxyProtocolTest, V2Invalid) {
  const std::pair<std::string, const char*> cases[] = {
      {v2(0x11, 0x11, tcp4Addresses()), "version 1 in a v2 header"},
      {v2(0x31, 0x11, tcp4Addresses()), "version 3"},
      {v2(0x22, 0x11, tcp4Addresses()), "command 2"},
      {v2(0x21, 0x12, tcp4Addresses()), "UDP over IPv4"},
      {v2(0x21, 0x22, tcp6Addresses()), "UDP over IPv6"},
      {v2(0x21, 0x41, tcp4Addresses()), "family 4"},
      {v2(0x21, 0x13, tcp4Addresses()), "transport 3"},
      {v2(0x21, 0x11, tcp4Addresses().substr(0, 11)), "short IPv4 block"},
      {v2(0x21, 0x21, tcp4Addresses()), "IPv4 block for TCP6"},
      {v2(0x21, 0x11, tcp4Addresses() + bytes({0x04, 0})), "TLV header cut"},
      {v2(0x21, 0x11, tcp4Addresses() + bytes({0x04, 0, 9, 1})), "TLV overruns"},
      {v2(0x21, 0x11, "", 0xFFFF), "64 KiB length"},
      {v2(0x21, 0x11, "", static_cast<int>(kMaxV2PayloadBytes) + 1), "just over the cap"},
  };
  for (const auto& [h, what] : cases) {
    auto r = parse(h);
    EXPECT_EQ(r.status, S::Invalid) << what;
    EXPECT_EQ(r.version, 2) << what;
  }
  // Refused from the fixed part alone, before the payload arrives.
  EXPECT_EQ(parse(v2(0x21, 0x11, "", 0xFFFF)).status, S::Invalid);
  EXPECT_EQ(parse(v2(0x11, 0x11, "").substr(0, 13)).status, S::Invalid);
}

TEST(ProxyProtocolTest, V2AtTheCap) {
  // Addresses plus one NOOP TLV filling the payload up to exactly the cap.
  const size_t fill = kMaxV2PayloadBytes - 12 - 3;
  std::string tlv = bytes({0x04, static_cast<int>(fill >> 8), static_cast<int>(fill & 0xFF)});
  auto r = parse(v2(0x21, 0x11, tcp4Addresses() + tlv + std::string(fill, '\0')));
  ASSERT_EQ(r.status, S::Done) << r.error;
  EXPECT_EQ(r.consumed, kV2FixedBytes + kMaxV2PayloadBytes);
}

}  // namespace
}  // namespace foundry::router
