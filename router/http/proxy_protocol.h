#pragma once
// PROXY protocol header parser, versions 1 (text) and 2 (binary), as haproxy's
// doc/proxy-protocol.txt specifies them. A TCP load balancer in front of the router sends one
// header at the very start of the connection, carrying the client's address
// (ROUTER-PROTOCOL.md 6.1 and 8.1, `enable_proxy`).
//
// No I/O: the caller hands over the bytes received so far, from the first byte of the
// connection, and calls again with more when told NeedMore (picohttpparser's contract; the
// header is at most a few hundred bytes, so re-scanning from the start costs nothing).
//
// What is accepted:
//  - v1: "PROXY TCP4|TCP6 <src> <dst> <srcport> <dstport>\r\n", single spaces, addresses of the
//    named family, ports 0..65535 in decimal without leading zeros; "PROXY UNKNOWN...\r\n" (the
//    rest of the line is ignored). At most 107 bytes, CRLF included, as the spec caps it.
//  - v2: the 12-byte signature, version 2, command LOCAL (health checks of the balancer: keep
//    the socket's addresses) or PROXY; for PROXY, AF_INET / AF_INET6 over STREAM give the
//    source, AF_UNSPEC and AF_UNIX keep the socket's addresses (the spec lets the receiver
//    choose), DGRAM is refused (we proxy TCP). TLVs after the addresses are checked for
//    framing only, then skipped; after LOCAL or UNSPEC the payload is skipped unread. The
//    address block plus TLVs may not exceed kMaxV2PayloadBytes.
//
// Thread-safe (pure function).

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace foundry::router {

enum class ProxyHeaderStatus {
  // Everything seen so far is a prefix of a valid header: call again with more bytes.
  NeedMore,
  // The bytes cannot start a PROXY header (no signature): plain traffic, consume nothing.
  NotProxy,
  // A complete, valid header of `consumed` bytes.
  Done,
  // A PROXY signature followed by something the spec does not allow; `error` says what.
  Invalid,
};

// The client's address as the header gives it.
struct ProxySource {
  // False for v1 UNKNOWN, v2 LOCAL, v2 AF_UNSPEC / AF_UNIX: use the socket's own addresses.
  bool present = false;
  int family = AF_UNSPEC;  // AF_INET or AF_INET6 when present
  uint8_t address[16] = {};  // network order; 4 bytes used for AF_INET
  uint16_t port = 0;         // host order

  // "192.0.2.1" / "2001:db8::1"; "" when not present.
  std::string ip() const;
};

struct ProxyHeaderResult {
  ProxyHeaderStatus status = ProxyHeaderStatus::NeedMore;
  size_t consumed = 0;  // Done: the header's length; the connection's own bytes follow
  int version = 0;      // 1 or 2 once the signature is known
  // NeedMore: true once a whole signature was seen ("PROXY " or the 12 v2 bytes). A caller
  // that gives up waiting treats the connection as plain when this is still false (gorouter's
  // go-proxyproto does the same) and refuses it otherwise.
  bool signature_seen = false;
  ProxySource source;
  const char* error = "";  // Invalid: a short static description
};

// The v1 line's upper bound, CRLF included (the spec's 107 bytes).
constexpr size_t kMaxV1HeaderBytes = 107;
// Cap on v2's length field. Real balancers send the 12 or 36 address bytes plus a few small
// TLVs (AWS VPC endpoint id, GCP PSC id, Azure link id, SSL info: well under 1 KiB); the field
// allows 64 KiB, which we will not buffer for a header.
constexpr size_t kMaxV2PayloadBytes = 4096;
// The v2 fixed part: signature (12), version/command, family/transport, length (2).
constexpr size_t kV2FixedBytes = 16;

ProxyHeaderResult parseProxyHeader(const char* data, size_t len);

}  // namespace foundry::router
