#include "router/http/proxy_protocol.h"

#include <arpa/inet.h>

#include <cstring>
#include <string_view>

namespace foundry::router {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr unsigned char kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                            0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
// Longest textual IPv6 address inet_pton accepts (with an embedded IPv4 part).
constexpr size_t kMaxAddressText = INET6_ADDRSTRLEN - 1;

ProxyHeaderResult invalid(int version, const char* error) {
  ProxyHeaderResult r;
  r.status = ProxyHeaderStatus::Invalid;
  r.version = version;
  r.signature_seen = true;
  r.error = error;
  return r;
}

ProxyHeaderResult notProxy() {
  ProxyHeaderResult r;
  r.status = ProxyHeaderStatus::NotProxy;
  return r;
}

ProxyHeaderResult needMore(int version, bool signature_seen) {
  ProxyHeaderResult r;
  r.version = version;
  r.signature_seen = signature_seen;
  return r;
}

// Whether data[0, len) is a prefix of `signature` (len may exceed it: then the whole signature
// must match).
bool matchesPrefix(const char* data, size_t len, const void* signature, size_t sig_len) {
  return std::memcmp(data, signature, len < sig_len ? len : sig_len) == 0;
}

bool parsePort(std::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  if (text.size() > 1 && text[0] == '0') return false;  // the spec's decimal has no padding
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

bool parseAddress(std::string_view text, int family, uint8_t out[16]) {
  if (text.empty() || text.size() > kMaxAddressText) return false;
  char buf[kMaxAddressText + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  // glibc's inet_pton takes only the strict dotted quad for AF_INET (no leading zeros, no
  // short forms), which is what the spec asks of a v1 address.
  return inet_pton(family, buf, out) == 1;
}

// Splits `line` on single spaces into at most `max` fields; false on an empty field (two
// spaces in a row, a leading or trailing space) or too many fields.
size_t splitFields(std::string_view line, std::string_view* fields, size_t max) {
  size_t n = 0;
  while (true) {
    size_t space = line.find(' ');
    std::string_view field = line.substr(0, space);
    if (field.empty() || n == max) return 0;
    fields[n++] = field;
    if (space == std::string_view::npos) return n;
    line.remove_prefix(space + 1);
  }
}

ProxyHeaderResult parseV1(const char* data, size_t len) {
  const size_t limit = len < kMaxV1HeaderBytes ? len : kMaxV1HeaderBytes;
  size_t lf = 0;
  for (size_t i = kV1Signature.size(); i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c == '\n') {
      lf = i;
      break;
    }
    // Only printable ASCII, and CR only right before the LF: fail early on binary garbage
    // instead of waiting for 107 bytes that will never make a header.
    if (c == '\r') {
      if (i + 1 < len && data[i + 1] != '\n') return invalid(1, "v1: CR not followed by LF");
    } else if (c < 0x20 || c > 0x7E) {
      return invalid(1, "v1: non-printable byte in the header line");
    }
  }
  if (lf == 0) {
    if (len >= kMaxV1HeaderBytes) return invalid(1, "v1: no CRLF within 107 bytes");
    return needMore(1, true);
  }
  if (data[lf - 1] != '\r') return invalid(1, "v1: line ends with LF, not CRLF");

  const std::string_view line(data + kV1Signature.size(), lf - 1 - kV1Signature.size());
  ProxyHeaderResult r;
  r.version = 1;
  r.signature_seen = true;
  r.consumed = lf + 1;
  if (line.substr(0, 7) == "UNKNOWN" && (line.size() == 7 || line[7] == ' ')) {
    // The spec: the receiver ignores whatever follows UNKNOWN and keeps the real addresses.
    r.status = ProxyHeaderStatus::Done;
    return r;
  }
  std::string_view fields[5];
  if (splitFields(line, fields, 5) != 5) return invalid(1, "v1: expected 5 fields after PROXY");
  int family;
  if (fields[0] == "TCP4") {
    family = AF_INET;
  } else if (fields[0] == "TCP6") {
    family = AF_INET6;
  } else {
    return invalid(1, "v1: protocol is not TCP4, TCP6 or UNKNOWN");
  }
  uint8_t destination[16];
  uint16_t destination_port = 0;
  if (!parseAddress(fields[1], family, r.source.address) ||
      !parseAddress(fields[2], family, destination)) {
    return invalid(1, "v1: address does not match the protocol");
  }
  if (!parsePort(fields[3], &r.source.port) || !parsePort(fields[4], &destination_port)) {
    return invalid(1, "v1: invalid port");
  }
  r.source.present = true;
  r.source.family = family;
  r.status = ProxyHeaderStatus::Done;
  return r;
}

uint16_t readBe16(const char* p) {
  return static_cast<uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                               static_cast<unsigned char>(p[1]));
}

ProxyHeaderResult parseV2(const char* data, size_t len) {
  constexpr size_t kSigLen = sizeof kV2Signature;
  if (len < kSigLen + 1) return needMore(2, len >= kSigLen);
  const unsigned char version_command = static_cast<unsigned char>(data[12]);
  if ((version_command >> 4) != 2) return invalid(2, "v2: version is not 2");
  const unsigned command = version_command & 0x0F;
  if (command > 1) return invalid(2, "v2: command is neither LOCAL nor PROXY");
  if (len < kSigLen + 2) return needMore(2, true);
  const unsigned char family_transport = static_cast<unsigned char>(data[13]);
  // The spec's list of valid combinations; anything else must be rejected.
  switch (family_transport) {
    case 0x00: case 0x11: case 0x21: case 0x31: break;  // UNSPEC, TCP4, TCP6, UNIX stream
    case 0x12: case 0x22: case 0x32: return invalid(2, "v2: datagram transport");
    default: return invalid(2, "v2: unknown address family or transport");
  }
  if (len < kV2FixedBytes) return needMore(2, true);
  const size_t payload = readBe16(data + 14);
  if (payload > kMaxV2PayloadBytes) return invalid(2, "v2: header longer than the cap");
  size_t address_bytes = 0;
  if (command == 1) {
    address_bytes = family_transport == 0x11 ? 12 : family_transport == 0x21 ? 36
                    : family_transport == 0x31 ? 216 : 0;
  }
  if (payload < address_bytes) return invalid(2, "v2: length shorter than the addresses");
  if (len < kV2FixedBytes + payload) return needMore(2, true);

  ProxyHeaderResult r;
  r.version = 2;
  r.signature_seen = true;
  r.consumed = kV2FixedBytes + payload;
  r.status = ProxyHeaderStatus::Done;
  // LOCAL: the balancer's own connection; UNSPEC: a protocol it could not describe. Either
  // way what follows has no defined layout and is skipped whole.
  if (command == 0 || family_transport == 0x00) return r;

  // TLVs (type, 16-bit length, value) fill the rest: checked for framing, then skipped.
  const char* tlv = data + kV2FixedBytes + address_bytes;
  const char* end = data + kV2FixedBytes + payload;
  while (tlv < end) {
    if (end - tlv < 3) return invalid(2, "v2: truncated TLV");
    const size_t value_len = readBe16(tlv + 1);
    if (static_cast<size_t>(end - tlv - 3) < value_len) return invalid(2, "v2: TLV overruns");
    tlv += 3 + value_len;
  }

  const char* addresses = data + kV2FixedBytes;
  if (family_transport == 0x11) {
    r.source.present = true;
    r.source.family = AF_INET;
    std::memcpy(r.source.address, addresses, 4);
    r.source.port = readBe16(addresses + 8);
  } else if (family_transport == 0x21) {
    r.source.present = true;
    r.source.family = AF_INET6;
    std::memcpy(r.source.address, addresses, 16);
    r.source.port = readBe16(addresses + 32);
  }
  // UNSPEC and UNIX: the socket's own addresses stay (source.present false).
  return r;
}

}  // namespace

std::string ProxySource::ip() const {
  if (!present) return std::string();
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, address, text, sizeof text);
  return text;
}

ProxyHeaderResult parseProxyHeader(const char* data, size_t len) {
  if (len == 0) return needMore(0, false);
  if (data[0] == kV1Signature[0]) {
    if (!matchesPrefix(data, len, kV1Signature.data(), kV1Signature.size())) {
      return notProxy();
    }
    if (len < kV1Signature.size()) return needMore(1, false);
    return parseV1(data, len);
  }
  if (static_cast<unsigned char>(data[0]) == kV2Signature[0]) {
    if (!matchesPrefix(data, len, kV2Signature, sizeof kV2Signature)) {
      return notProxy();
    }
    return parseV2(data, len);
  }
  return notProxy();
}

}  // namespace foundry::router
