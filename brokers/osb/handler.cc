#include "brokers/osb/handler.h"

namespace foundry::osb {

OsbResponse dispatch(Handler& handler, const OsbRequest& req) {
  switch (req.endpoint) {
    case Endpoint::Catalog:
      return handler.catalog(req);
    case Endpoint::Provision:
      return handler.provision(req);
    case Endpoint::FetchInstance:
      return handler.fetchInstance(req);
    case Endpoint::Update:
      return handler.update(req);
    case Endpoint::Deprovision:
      return handler.deprovision(req);
    case Endpoint::InstanceLastOperation:
      return handler.instanceLastOperation(req);
    case Endpoint::Bind:
      return handler.bind(req);
    case Endpoint::FetchBinding:
      return handler.fetchBinding(req);
    case Endpoint::Unbind:
      return handler.unbind(req);
    case Endpoint::BindingLastOperation:
      return handler.bindingLastOperation(req);
  }
  OsbResponse r;
  r.status = 500;
  return r;
}

}  // namespace foundry::osb
