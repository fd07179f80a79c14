#include "router/registry/table_publisher.h"

namespace foundry::router {

TablePublisher::TablePublisher() : table_(std::make_shared<RouteTable>()) {}

void TablePublisher::publish(RouteTableConstSharedPtr table) {
  std::lock_guard<std::mutex> lock(mutex_);
  table_ = std::move(table);
  ++published_generation_;
  generation_.store(published_generation_, std::memory_order_release);
}

}  // namespace foundry::router
