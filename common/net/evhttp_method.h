#pragma once
// The name of an evhttp request's method, for the platform's small evhttp servers (controller,
// scheduler, brokers): "GET", "POST", ...; "OTHER" for a method none of them serves. Header
// only, so foundry_net does not need libevent.
#include <event2/http.h>

namespace foundry::net {

inline const char* evhttpMethodName(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "OTHER";
  }
}

}  // namespace foundry::net
