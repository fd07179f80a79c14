#include "router/registry/table_publisher.h"

namespace foundry::router {

TablePublisher::TablePublisher() : table_(std::make_shared<RouteTable>()) {}

void TablePublisher::publish(RouteTableConstSharedPtr table) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    retired_.push_back(std::move(table_));
    table_ = std::move(table);
    ++published_generation_;
    generation_.store(published_generation_, std::memory_order_release);
  }
  collect();
}

void TablePublisher::collect() {
  // Nobody can take a new reference to a retired table, so a use count of 1 (ours) stays 1.
  std::erase_if(retired_, [](const RouteTableConstSharedPtr& old) { return old.use_count() == 1; });
}

}  // namespace foundry::router
