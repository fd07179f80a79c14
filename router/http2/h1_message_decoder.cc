#include "router/http2/h1_message_decoder.h"

#include <strings.h>

#include <cstring>

// Exported by libhttp_parser 2.9 but missing from its header.
extern "C" int http_message_needs_eof(const http_parser* parser);

namespace foundry::router {

std::string_view DecodedHead::find(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), name.size()) == 0) {
      return v;
    }
  }
  return {};
}

const http_parser_settings H1MessageDecoder::kSettings = [] {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = &H1MessageDecoder::onMessageBegin;
  s.on_url = &H1MessageDecoder::onUrl;
  s.on_status = &H1MessageDecoder::onStatus;
  s.on_header_field = &H1MessageDecoder::onHeaderField;
  s.on_header_value = &H1MessageDecoder::onHeaderValue;
  s.on_headers_complete = &H1MessageDecoder::onHeadersComplete;
  s.on_body = &H1MessageDecoder::onBody;
  s.on_message_complete = &H1MessageDecoder::onMessageComplete;
  return s;
}();

H1MessageDecoder::H1MessageDecoder(Type type, bool head_request)
    : type_(type), head_request_(head_request) {
  restart();
}

void H1MessageDecoder::restart() {
  http_parser_init(&parser_, type_ == Type::Request ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_.data = this;
  head_ = DecodedHead{};
  trailers_.clear();
  head_bytes_ = 0;
  in_value_ = false;
  interim_ = false;
}

bool H1MessageDecoder::grow(size_t len) {
  head_bytes_ += len;
  if (head_bytes_ > kMaxHeadBytes) {
    failed_ = true;
    return false;
  }
  return true;
}

int H1MessageDecoder::onMessageBegin(http_parser*) { return 0; }

int H1MessageDecoder::onUrl(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (!self->grow(len)) return 1;
  self->head_.target.append(at, len);
  return 0;
}

int H1MessageDecoder::onStatus(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (!self->grow(len)) return 1;
  self->head_.reason.append(at, len);
  return 0;
}

int H1MessageDecoder::onHeaderField(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (!self->grow(len + 4)) return 1;
  OwnedHeaders& list = self->head_done_ ? self->trailers_ : self->head_.headers;
  if (list.empty() || self->in_value_) list.emplace_back();
  list.back().first.append(at, len);
  self->in_value_ = false;
  return 0;
}

int H1MessageDecoder::onHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (!self->grow(len)) return 1;
  OwnedHeaders& list = self->head_done_ ? self->trailers_ : self->head_.headers;
  if (list.empty()) return 1;
  list.back().second.append(at, len);
  self->in_value_ = true;
  return 0;
}

int H1MessageDecoder::onHeadersComplete(http_parser* p) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  DecodedHead& h = self->head_;
  self->in_value_ = false;
  if (self->type_ == Type::Request) {
    h.method = http_method_str(static_cast<http_method>(p->method));
  } else {
    h.status = p->status_code;
    if (h.status >= 100 && h.status < 200 && h.status != 101) {
      self->interim_ = true;  // skipped: the final response follows
      return 0;
    }
  }
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.has_content_length = (p->flags & F_CONTENTLENGTH) != 0;
  h.content_length = h.has_content_length ? p->content_length : 0;
  self->head_done_ = true;
  // A response to HEAD, a 204 and a 304 have no body whatever their head says (RFC 9110 6.3).
  const bool skip = self->type_ == Type::Response &&
                    (self->head_request_ || h.status == 204 || h.status == 304);
  if (self->type_ == Type::Request) {
    self->body_expected_ = h.chunked || h.content_length > 0;
  } else {
    self->body_expected_ = !skip &&
                           !(h.has_content_length && h.content_length == 0 && !h.chunked);
    self->until_eof_ = !skip && http_message_needs_eof(p) != 0;
  }
  return skip ? 1 : 0;
}

int H1MessageDecoder::onBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (self->body_ != nullptr) {
    std::memcpy(self->body_->writable(len), at, len);
    self->body_->commit(len);
  }
  return 0;
}

int H1MessageDecoder::onMessageComplete(http_parser* p) {
  auto* self = static_cast<H1MessageDecoder*>(p->data);
  if (!self->interim_) self->complete_ = true;
  // Stop right after this message: bytes behind it are not ours (or start the final response).
  http_parser_pause(p, 1);
  return 0;
}

long H1MessageDecoder::feed(const char* data, size_t len, IoBuffer* body) {
  if (failed_) return -1;
  body_ = body;
  size_t off = 0;
  while (off < len && !complete_) {
    const size_t n = http_parser_execute(&parser_, &kSettings, data + off, len - off);
    off += n;
    if (failed_) return -1;
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      if (interim_) {
        restart();  // an interim response ended; decode the final one
        continue;
      }
      break;
    }
    if (err != HPE_OK) {
      failed_ = true;
      return -1;
    }
    if (parser_.upgrade) {
      complete_ = head_done_;  // a 101: nothing more is HTTP
      break;
    }
    if (n == 0) break;
  }
  body_ = nullptr;
  return static_cast<long>(off);
}

bool H1MessageDecoder::finish() {
  if (complete_) return true;
  if (failed_ || !head_done_ || !until_eof_) return false;
  http_parser_execute(&parser_, &kSettings, nullptr, 0);  // EOF completes the body
  return complete_;
}

}  // namespace foundry::router
