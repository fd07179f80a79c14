// Fuzz target: the PROXY protocol header parser (router/http/proxy_protocol.h), driven the way
// ClientSession drives it: the bytes of a connection arrive a few at a time and the parser is
// asked again over everything received so far until it decides.
//
// Input: the bytes a client (or a load balancer) sends first on a connection.
//
// Checks:
//  - incremental consistency: every prefix before the deciding one answers NeedMore, and once
//    a prefix decides (NotProxy, Done, Invalid), every longer prefix gives the same decision
//    (status, version, length, source): more bytes can never change a verdict, which is what
//    lets the session stop reading at the first one;
//  - NeedMore stays within the caps (a v1 line of 107 bytes, 16 + kMaxV2PayloadBytes for v2),
//    so a peer cannot make the session buffer without bound; signature_seen is set exactly
//    when a whole signature was received;
//  - Done: 0 < consumed <= the bytes given and within the cap of its version; a v1 header is
//    one CRLF-terminated "PROXY " line; a v2 header is 16 bytes plus its length field;
//  - a present source is AF_INET or AF_INET6 and survives a round trip: written back as a v1
//    line and as a v2 header, both parse to the same address and port;
//  - Invalid carries a reason and NotProxy consumes nothing.
// Each prefix is copied into its own exact-size heap block, so ASan catches reads past what
// the session would have received.

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "router/http/proxy_protocol.h"

namespace {

using foundry::router::kMaxV1HeaderBytes;
using foundry::router::kMaxV2PayloadBytes;
using foundry::router::kV2FixedBytes;
using foundry::router::parseProxyHeader;
using foundry::router::ProxyHeaderResult;
using foundry::router::ProxyHeaderStatus;
using foundry::router::ProxySource;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "proxy_protocol_fuzz: %s: [%.*s]\n", what,
               static_cast<int>(std::min<size_t>(detail.size(), 300)), detail.data());
  std::abort();
}

ProxyHeaderResult parseExact(const uint8_t* data, size_t len) {
  std::unique_ptr<char[]> copy(new char[len == 0 ? 1 : len]);
  if (len > 0) std::memcpy(copy.get(), data, len);
  return parseProxyHeader(copy.get(), len);
}

bool sameSource(const ProxySource& a, const ProxySource& b) {
  if (a.present != b.present) return false;
  if (!a.present) return true;
  const size_t n = a.family == AF_INET ? 4 : 16;
  return a.family == b.family && a.port == b.port && std::memcmp(a.address, b.address, n) == 0;
}

bool sameVerdict(const ProxyHeaderResult& a, const ProxyHeaderResult& b) {
  return a.status == b.status && a.version == b.version && a.consumed == b.consumed &&
         sameSource(a.source, b.source);
}

void checkRoundTrip(const ProxySource& source, std::string_view input) {
  if (source.family != AF_INET && source.family != AF_INET6) fail("source family", input);
  const bool v4 = source.family == AF_INET;
  const std::string ip = source.ip();
  if (ip.empty()) fail("present source without text", input);

  const std::string line = std::string("PROXY ") + (v4 ? "TCP4 " : "TCP6 ") + ip + " " +
                           (v4 ? "127.0.0.1" : "::1") + " " + std::to_string(source.port) +
                           " 80\r\n";
  ProxyHeaderResult v1 = parseProxyHeader(line.data(), line.size());
  if (v1.status != ProxyHeaderStatus::Done || !sameSource(v1.source, source) ||
      v1.consumed != line.size()) {
    fail("v1 round trip", line);
  }

  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h.push_back(0x21);
  h.push_back(v4 ? 0x11 : 0x21);
  const size_t n = v4 ? 4 : 16;
  const size_t len = 2 * n + 4;
  h.push_back(0);
  h.push_back(static_cast<char>(len));
  h.append(reinterpret_cast<const char*>(source.address), n);
  h.append(n, '\0');  // destination
  h.push_back(static_cast<char>(source.port >> 8));
  h.push_back(static_cast<char>(source.port & 0xFF));
  h.append(2, '\0');
  ProxyHeaderResult v2 = parseProxyHeader(h.data(), h.size());
  if (v2.status != ProxyHeaderStatus::Done || !sameSource(v2.source, source) ||
      v2.consumed != h.size()) {
    fail("v2 round trip", input);
  }
}

void checkDone(const ProxyHeaderResult& r, std::string_view input) {
  if (r.consumed == 0 || r.consumed > input.size()) fail("consumed out of range", input);
  if (r.version == 1) {
    if (r.consumed > kMaxV1HeaderBytes) fail("v1 header over 107 bytes", input);
    std::string_view header = input.substr(0, r.consumed);
    if (header.substr(0, 6) != "PROXY " || header.substr(header.size() - 2) != "\r\n" ||
        header.substr(0, header.size() - 1).find('\n') != std::string_view::npos) {
      fail("v1 header is not one PROXY line", input);
    }
  } else if (r.version == 2) {
    if (r.consumed < kV2FixedBytes) fail("v2 header under 16 bytes", input);
    const size_t length = (static_cast<uint8_t>(input[14]) << 8) | static_cast<uint8_t>(input[15]);
    if (r.consumed != kV2FixedBytes + length || length > kMaxV2PayloadBytes) {
      fail("v2 length does not match", input);
    }
  } else {
    fail("Done without a version", input);
  }
  if (r.source.present) checkRoundTrip(r.source, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The session would have decided (or closed the connection) long before this many bytes.
  const size_t limit = std::min(size, kV2FixedBytes + kMaxV2PayloadBytes + 1);
  ProxyHeaderResult decided;
  size_t decided_at = 0;
  for (size_t n = 1; n <= limit; ++n) {
    ProxyHeaderResult r = parseExact(data, n);
    if (r.status == ProxyHeaderStatus::NeedMore) {
      if (n >= kMaxV2PayloadBytes + kV2FixedBytes || (r.version == 1 && n >= kMaxV1HeaderBytes)) {
        fail("NeedMore past the cap", input.substr(0, n));
      }
      const bool whole_signature = (r.version == 1 && n >= 6) || (r.version == 2 && n >= 12);
      if (r.signature_seen != whole_signature) fail("signature_seen", input.substr(0, n));
      continue;
    }
    decided = r;
    decided_at = n;
    break;
  }
  if (decided_at == 0) return 0;  // the input ended before a decision

  switch (decided.status) {
    case ProxyHeaderStatus::NotProxy:
      if (decided.consumed != 0 || decided.signature_seen) fail("NotProxy state", input);
      break;
    case ProxyHeaderStatus::Invalid:
      if (decided.error == nullptr || decided.error[0] == '\0') fail("Invalid without reason");
      if (!decided.signature_seen) {
        // Only a whole signature can be found invalid (a partial one is NeedMore or NotProxy).
        fail("Invalid before the signature", input.substr(0, decided_at));
      }
      break;
    case ProxyHeaderStatus::Done:
      checkDone(decided, input.substr(0, decided_at));
      if (decided.consumed != decided_at) fail("Done before its last byte", input);
      break;
    case ProxyHeaderStatus::NeedMore:
      break;
  }
  // More bytes never change a verdict: the next prefix and the whole input agree.
  for (size_t n : {decided_at + 1, size}) {
    if (n > size || n == decided_at) continue;
    ProxyHeaderResult later = parseExact(data, n);
    if (!sameVerdict(later, decided)) fail("verdict changed with more bytes", input.substr(0, n));
  }
  return 0;
}
