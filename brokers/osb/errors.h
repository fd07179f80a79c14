#pragma once
// OSB error bodies (A.2): {"error":"CamelCaseCode","description":"..."}.

#include <string>

#include "brokers/osb/types.h"

namespace foundry::osb {

OsbResponse errorResponse(int status, const std::string& error, const std::string& description);

// The reserved codes of A.2, so that every broker spells them the same way.
OsbResponse asyncRequired();     // 422: this plan needs accepts_incomplete=true
OsbResponse concurrencyError();  // 422: another operation is in flight on that instance

}  // namespace foundry::osb
