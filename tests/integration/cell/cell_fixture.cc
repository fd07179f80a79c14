// FakeScheduler of the cell tests (cell_fixture.h).
#include "tests/integration/cell/cell_fixture.h"

namespace foundry::test {




FakeScheduler::FakeScheduler(const TestSecrets& secrets) : secrets_(secrets) {
  loop_.run([&] {
    http_ = evhttp_new(loop_.base());
    evhttp_set_gencb(http_, &FakeScheduler::onRequest, this);
    evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    if (bound != nullptr) {
      sockaddr_in addr{};
      socklen_t len = sizeof(addr);
      getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    }
  });
}

FakeScheduler::~FakeScheduler() {
  loop_.run([&] { evhttp_free(http_); });
}

void FakeScheduler::addDroplet(const std::string& name, std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  droplets_[name] = std::move(bytes);
}

void FakeScheduler::setStatus(const std::string& kind, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  statuses_[kind] = status;
}

std::optional<FakeScheduler::Call> FakeScheduler::waitFor(const std::string& kind,
                                                          const std::string& instance_guid,
                                                          std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::optional<Call> found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& call : calls_) {
      if (call.kind == kind &&
          (instance_guid.empty() || call.body.value("instance_guid", "") == instance_guid)) {
        found = call;
        return true;
      }
    }
    return false;
  });
  return found;
}

int FakeScheduler::unauthorized() {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}

std::set<std::string> FakeScheduler::callers() {
  std::lock_guard<std::mutex> lock(mutex_);
  return callers_;
}

std::vector<FakeScheduler::Call> FakeScheduler::calls(const std::string& kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Call> out;
  for (const auto& call : calls_) {
    if (call.kind == kind) out.push_back(call);
  }
  return out;
}

void FakeScheduler::onRequest(evhttp_request* req, void* arg) {
  auto* self = static_cast<FakeScheduler*>(arg);
  std::string path = evhttp_request_get_uri(req);
  evbuffer* in = evhttp_request_get_input_buffer(req);
  std::string body(evbuffer_get_length(in), '\0');
  if (!body.empty()) evbuffer_copyout(in, body.data(), body.size());
  evbuffer* out = evbuffer_new();
  int status = 404;
  std::string why, caller;
  bool signed_ok = self->secrets_.verify(req, &why, &caller);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    std::string kind;
    if (signed_ok) self->callers_.insert(caller);
    if (!signed_ok) {
      ++self->unauthorized_;
      status = 401;
    } else if (path.rfind("/droplets/", 0) == 0) {
      auto it = self->droplets_.find(path.substr(10));
      if (it != self->droplets_.end()) {
        evbuffer_add(out, it->second.data(), it->second.size());
        status = 200;
      }
    } else if (path.rfind("/v1/cells/", 0) == 0) {
      kind = "presence";
    } else if (path.rfind("/v1/actual_lrps/", 0) == 0) {
      kind = path.substr(16);
    }
    if (!kind.empty()) {
      auto it = self->statuses_.find(kind);
      status = it != self->statuses_.end() ? it->second : 200;
      nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
      self->calls_.push_back({kind, parsed});
      evbuffer_add(out, "{}", 2);
    }
  }
  self->changed_.notify_all();
  evhttp_send_reply(req, status, nullptr, out);
  evbuffer_free(out);
}

}  // namespace foundry::test
