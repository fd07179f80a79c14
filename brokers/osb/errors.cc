#include "brokers/osb/errors.h"

namespace foundry::osb {

OsbResponse errorResponse(int status, const std::string& error, const std::string& description) {
  OsbResponse r;
  r.status = status;
  r.body = {{"error", error}, {"description", description}};
  return r;
}

OsbResponse asyncRequired() {
  return errorResponse(422, "AsyncRequired",
                       "This service plan requires client support for asynchronous service "
                       "operations (accepts_incomplete=true).");
}

OsbResponse concurrencyError() {
  return errorResponse(422, "ConcurrencyError",
                       "Another operation for this service instance is in progress.");
}

}  // namespace foundry::osb
