#include "router/http/message_parser.h"

#include <strings.h>

#include <cstring>

// Exported by libhttp_parser 2.9 but missing from its header.
extern "C" int http_message_needs_eof(const http_parser* parser);

namespace foundry::router {

void MessageHead::clear() {
  method = {};
  target = {};
  status = 0;
  http_major = 1;
  http_minor = 1;
  headers.clear();
  keep_alive = false;
  upgrade = false;
  chunked = false;
  has_content_length = false;
  content_length = 0;
}

std::string_view MessageHead::find(std::string_view name, bool* found) const {
  for (const HeaderField& h : headers) {
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
      if (found) *found = true;
      return h.value;
    }
  }
  if (found) *found = false;
  return {};
}

size_t findHeadEnd(const char* data, size_t len, size_t from) {
  size_t i = from;
  while (i < len) {
    const void* nl = memchr(data + i, '\n', len - i);
    if (nl == nullptr) return 0;
    size_t pos = static_cast<const char*>(nl) - data;
    if (pos + 1 < len && data[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < len && data[pos + 1] == '\r' && data[pos + 2] == '\n') return pos + 3;
    i = pos + 1;
  }
  return 0;
}

const http_parser_settings MessageParser::kSettings = [] {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = &MessageParser::onMessageBegin;
  s.on_url = &MessageParser::onUrl;
  s.on_status = &MessageParser::onStatus;
  s.on_header_field = &MessageParser::onHeaderField;
  s.on_header_value = &MessageParser::onHeaderValue;
  s.on_headers_complete = &MessageParser::onHeadersComplete;
  s.on_message_complete = &MessageParser::onMessageComplete;
  return s;
}();

void MessageParser::reset(Type type, bool skip_body) {
  http_parser_init(&parser_, type == Type::Request ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_.data = this;
  skip_body_ = skip_body;
  complete_ = false;
  in_value_ = false;
  malformed_ = false;
  began_ = false;
  headers_done_ = false;
  until_eof_ = false;
  head_ = nullptr;
}

int MessageParser::onMessageBegin(http_parser* p) {
  static_cast<MessageParser*>(p->data)->began_ = true;
  return 0;
}

int MessageParser::onUrl(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<MessageParser*>(p->data);
  if (!self->head_) return 0;
  // The whole head is parsed in one call, so the target arrives in one piece.
  self->head_->target = std::string_view(at, len);
  return 0;
}

int MessageParser::onStatus(http_parser*, const char*, size_t) { return 0; }

int MessageParser::onHeaderField(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<MessageParser*>(p->data);
  if (!self->head_) return 0;
  self->head_->headers.push_back(HeaderField{std::string_view(at, len), {}});
  self->in_value_ = false;
  return 0;
}

int MessageParser::onHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<MessageParser*>(p->data);
  if (!self->head_ || self->head_->headers.empty()) return 0;
  if (self->in_value_) {
    // A second value callback for one header means an obsolete line folding (RFC 7230 3.2.4):
    // rejected with 400, as the RFC allows.
    self->malformed_ = true;
    return 1;
  }
  self->head_->headers.back().value = std::string_view(at, len);
  self->in_value_ = true;
  return 0;
}

int MessageParser::onHeadersComplete(http_parser* p) {
  auto* self = static_cast<MessageParser*>(p->data);
  self->headers_done_ = true;
  if (self->head_) {
    MessageHead* h = self->head_;
    h->http_major = p->http_major;
    h->http_minor = p->http_minor;
    h->status = p->status_code;
    h->keep_alive = http_should_keep_alive(p) != 0;
    h->upgrade = p->upgrade != 0;
    h->chunked = (p->flags & F_CHUNKED) != 0;
    h->has_content_length = (p->flags & F_CONTENTLENGTH) != 0 && (p->flags & F_CHUNKED) == 0;
    h->content_length = h->has_content_length ? p->content_length : 0;
    if (p->type == HTTP_REQUEST) {
      h->method = http_method_str(static_cast<http_method>(p->method));
    }
  }
  // 1xx, 204 and 304 responses never have a body, whatever Content-Length says (RFC 9112
  // 6.3); http-parser would otherwise wait for a 304's announced length.
  const unsigned status = p->status_code;
  const bool bodiless_status = p->type == HTTP_RESPONSE &&
                               (status == 204 || status == 304 || (status / 100 == 1 && status != 101));
  return (self->skip_body_ || bodiless_status) ? 1 : 0;
}

int MessageParser::onMessageComplete(http_parser* p) {
  auto* self = static_cast<MessageParser*>(p->data);
  self->complete_ = true;
  // Stop right after this message: whatever follows belongs to the next one.
  http_parser_pause(p, 1);
  return 0;
}

namespace {

// A CR not followed by LF: http-parser (not built strict) takes CR + any byte as a line end,
// which would end the head earlier than findHeadEnd did and turn header bytes into "body" --
// a framing desync a smuggler could use. Such heads are rejected, as Go's server does.
bool hasLoneCr(const char* data, size_t len) {
  for (const char* p = static_cast<const char*>(memchr(data, '\r', len)); p != nullptr;
       p = static_cast<const char*>(memchr(p + 1, '\r', len - (p + 1 - data)))) {
    if (p + 1 >= data + len || p[1] != '\n') return true;
  }
  return false;
}

}  // namespace

bool MessageParser::parseHead(const char* data, size_t len, MessageHead* head) {
  head->clear();
  if (hasLoneCr(data, len)) return false;
  head_ = head;
  size_t n = http_parser_execute(&parser_, &kSettings, data, len);
  head_ = nullptr;
  // A "head" of empty lines only is no message at all: reject it rather than treat it as one
  // without a start line.
  if (malformed_ || !began_ || !headers_done_) return false;
  http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
    // Paused at message end: the head must have been consumed whole.
    return n == len;
  }
  if (err != HPE_OK) return false;
  if (parser_.upgrade && !complete_) {
    // http-parser stops at the end of an upgrade request's head without completing it.
    complete_ = true;
  }
  // Whether the body runs until EOF is a property of the head; trailers parsed later (a
  // "Transfer-Encoding" trailer field) must not change it.
  until_eof_ = !complete_ && parser_.type == HTTP_RESPONSE && http_message_needs_eof(&parser_) != 0;
  return n == len;
}

long MessageParser::feedBody(const char* data, size_t len) {
  if (complete_ || len == 0) return 0;
  size_t n = http_parser_execute(&parser_, &kSettings, data, len);
  http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
    return static_cast<long>(n);
  }
  if (err != HPE_OK) return -1;
  return static_cast<long>(n);
}

bool MessageParser::bodyUntilEof() const {
  return !complete_ && until_eof_;
}

void MessageParser::finishAtEof() {
  if (complete_) return;
  http_parser_execute(&parser_, &kSettings, nullptr, 0);
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
}

uint64_t MessageParser::remainingContentLength() const {
  if (complete_ || (parser_.flags & F_CHUNKED) != 0 || (parser_.flags & F_CONTENTLENGTH) == 0) {
    return 0;
  }
  return parser_.content_length;
}

const char* MessageParser::errorName() const {
  return http_errno_name(HTTP_PARSER_ERRNO(&parser_));
}

}  // namespace foundry::router
