#include "tests/test_common/internal_auth.h"

#include <event2/keyvalq_struct.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace foundry::test {

TestSecrets::TestSecrets() {
  char tmpl[] = "/tmp/foundry-secrets-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  credentials_ =
      std::make_unique<auth::InternalCredentials>(auth::InternalCredentials::loadOrCreate(dir_));
}

TestSecrets::~TestSecrets() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

const char* evhttpMethodName(evhttp_request* req) {
  switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_HEAD: return "HEAD";
    default: return "OTHER";
  }
}

bool TestSecrets::verify(evhttp_request* req, std::string* why, std::string* caller) const {
  const char* header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
  const char* target = evhttp_request_get_uri(req);
  return credentials_->verify(header ? header : "", evhttpMethodName(req), target ? target : "",
                              why, caller);
}

}  // namespace foundry::test
