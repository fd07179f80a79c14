#pragma once
// The test broker's admin API (same basic auth as the OSB API; JSON):
//   PUT    /admin/catalog     body = the catalog to serve from now on, as-is (may be malformed)
//   GET    /admin/catalog     the catalog served
//   POST   /admin/behaviors   one canned answer (behaviors.h); DELETE clears them all, GET lists
//   GET    /admin/requests    every OSB request received, in order; DELETE clears
//   GET    /admin/state       {"instances":{...},"bindings":{...}}
//   PUT    /admin/config      {"async_polls":N}: polls an async operation stays "in progress"

#include <optional>

#include "brokers/osb/server.h"
#include "brokers/test/behaviors.h"
#include "brokers/test/fake_broker.h"
#include "brokers/test/request_log.h"

namespace foundry::testbroker {

// nullopt for paths outside /admin/ (the server then answers 404).
std::optional<osb::OsbResponse> handleAdmin(const osb::RawRequest& req, FakeBroker& broker,
                                            Behaviors& behaviors, RequestLog& log);

}  // namespace foundry::testbroker
