#include "router/http2/h2_upstream.h"

#include <errno.h>

#include <vector>

#include "router/http2/h2_client_connection.h"
#include "router/http2/h2_upstream_stream.h"
#include "router/proxy/upstream_pool.h"
#include "router/proxy/worker.h"

namespace foundry::router {
namespace {

// What a session may write toward a stream before the stream takes it (the request side's
// share of a stream's memory; the stream's receive window bounds the response side).
constexpr size_t kLinkCapacity = 64 * 1024;

}  // namespace

H2UpstreamPool::H2UpstreamPool(Worker& worker) : worker_(worker) {}

H2UpstreamPool::~H2UpstreamPool() { closeAll(); }

bool H2UpstreamPool::openStream(UpstreamConn* conn, int* err) {
  const std::string& address = conn->endpoint->address();
  H2ClientConnection* connection = nullptr;
  auto it = current_.find(address);
  if (it != current_.end()) {
    connection = it->second;
  } else {
    connection = new H2ClientConnection(*this, conn->endpoint);
    all_.insert(connection);
    if (!connection->connect(err)) {
      delete connection;
      return false;
    }
    // connect() may have failed asynchronously already (and freed the connection).
    if (all_.count(connection) == 0) {
      *err = ECONNREFUSED;
      return false;
    }
    current_[address] = connection;
  }
  auto* stream = new H2UpstreamStream(*connection, worker_.localTasks(), kLinkCapacity);
  conn->ch.openLink(stream->link(), conn);
  connection->addStream(stream);
  return true;
}

void H2UpstreamPool::retire(H2ClientConnection* connection) {
  auto it = current_.find(connection->address());
  if (it != current_.end() && it->second == connection) current_.erase(it);
}

void H2UpstreamPool::destroyed(H2ClientConnection* connection) {
  retire(connection);
  all_.erase(connection);
}

void H2UpstreamPool::sweep(int64_t now_ns) {
  const int64_t before = now_ns - worker_.config().backend_idle_timeout_ns;
  std::vector<H2ClientConnection*> idle;
  for (H2ClientConnection* c : all_) {
    if (c->idleSince(before)) idle.push_back(c);
  }
  for (H2ClientConnection* c : idle) c->close(ECONNRESET);
}

void H2UpstreamPool::closeAll() {
  while (!all_.empty()) (*all_.begin())->close(ECONNRESET);
}

}  // namespace foundry::router
