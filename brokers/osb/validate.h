#pragma once
// Request checks every broker needs before its handler runs (A.2, A.3): the API version, the
// body (a JSON object with the REQUIRED fields as strings) and the REQUIRED query parameters.

#include <optional>

#include "brokers/osb/types.h"

namespace foundry::osb {

// nullopt when the version header names major version 2; else the 412 to send.
std::optional<OsbResponse> checkApiVersion(const std::string& header, bool present);

// Parses req->raw_body into req->body for PUT/PATCH endpoints and checks the REQUIRED fields
// of req->endpoint; nullopt when the request may go to the handler, else the 400 to send.
std::optional<OsbResponse> validateRequest(OsbRequest* req);

}  // namespace foundry::osb
