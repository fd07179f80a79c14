#pragma once
// Hands every finished request to several observers (metrics, access log) in order. The set is
// fixed before the workers start; wantsDetails() is computed once so the per-request check
// stays a load.

#include <vector>

#include "router/observe/request_record.h"

namespace foundry::router {

class ObserverChain : public RequestObserver {
 public:
  // Null entries are skipped. The observers must outlive the chain.
  explicit ObserverChain(std::vector<RequestObserver*> observers) {
    for (RequestObserver* observer : observers) {
      if (observer == nullptr) continue;
      observers_.push_back(observer);
      wants_details_ = wants_details_ || observer->wantsDetails();
    }
  }

  void onRequestDone(int worker_id, const RequestRecord& record) override {
    for (RequestObserver* observer : observers_) observer->onRequestDone(worker_id, record);
  }
  bool wantsDetails() const override { return wants_details_; }
  void onConnectionRejected(int worker_id, ConnectionRejection why) override {
    for (RequestObserver* observer : observers_) observer->onConnectionRejected(worker_id, why);
  }

 private:
  std::vector<RequestObserver*> observers_;
  bool wants_details_ = false;
};

}  // namespace foundry::router
