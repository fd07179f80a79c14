#pragma once
// What a broker implements: one method per OSB endpoint (A.3). The server has already checked
// auth, the API version and the REQUIRED fields (validate.h) when a method runs.
//
// Threading: methods run on the server's worker threads, several at once; an implementation
// guards its own state.

#include "brokers/osb/types.h"

namespace foundry::osb {

class Handler {
 public:
  virtual ~Handler() = default;
  virtual OsbResponse catalog(const OsbRequest& req) = 0;
  virtual OsbResponse provision(const OsbRequest& req) = 0;
  virtual OsbResponse fetchInstance(const OsbRequest& req) = 0;
  virtual OsbResponse update(const OsbRequest& req) = 0;
  virtual OsbResponse deprovision(const OsbRequest& req) = 0;
  virtual OsbResponse instanceLastOperation(const OsbRequest& req) = 0;
  virtual OsbResponse bind(const OsbRequest& req) = 0;
  virtual OsbResponse fetchBinding(const OsbRequest& req) = 0;
  virtual OsbResponse unbind(const OsbRequest& req) = 0;
  virtual OsbResponse bindingLastOperation(const OsbRequest& req) = 0;
};

// Calls the method of req.endpoint.
OsbResponse dispatch(Handler& handler, const OsbRequest& req);

}  // namespace foundry::osb
