// Moving a worker's listeners to a new address (a SIGHUP reload changed ip, port or ssl_port).
//
// The main thread opens the new sockets first (so a port that cannot be bound refuses the
// reload before anything changes) and hands one to each worker through a mailbox and the
// worker's eventfd. The worker, on its own thread, starts accepting on the new socket, accepts
// what already waits in the old one's queue (those clients finished their handshake and would
// otherwise be reset), then closes the old listener. Connections accepted before are sessions
// like any other and finish on their own.

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log/log.h"
#include "router/proxy/client_session.h"
#include "router/proxy/listen_socket.h"
#include "router/proxy/worker.h"

namespace foundry::router {

int Worker::openReplacementListener(const std::string& ip, uint16_t port,
                                    std::string* error) const {
  // epoll (libevent) accepts on a non-blocking socket; io_uring's accepts want a blocking one.
  return openListenSocket(ip, port, backend_ == EventBackend::Epoll, error);
}

void Worker::replaceListener(bool tls, int fd) {
  {
    std::lock_guard<std::mutex> lock(listener_mutex_);
    // Two reloads before the worker woke: the newer socket wins.
    int& pending = pending_listen_fds_[tls ? 1 : 0];
    if (pending >= 0) ::close(pending);
    pending = fd;
  }
  uint64_t four = 4;
  ssize_t ignored = ::write(stop_fd_, &four, sizeof four);
  (void)ignored;
}

void Worker::adoptPendingListener() {
  int fds[2];
  {
    std::lock_guard<std::mutex> lock(listener_mutex_);
    for (int i = 0; i < 2; ++i) {
      fds[i] = pending_listen_fds_[i];
      pending_listen_fds_[i] = -1;
    }
  }
  liveConfig();  // the reload published the settings before handing over the sockets
  for (int i = 0; i < 2; ++i) {
    if (fds[i] < 0) continue;
    Listener* listener = nullptr;
    for (auto& l : listeners_) {
      if (l->tls == (i == 1)) listener = l.get();
    }
    if (listener == nullptr || draining_ || stop_requested_) {
      ::close(fds[i]);  // a draining worker accepts nothing new, on any port
      continue;
    }
    moveListener(listener, fds[i]);
  }
}

void Worker::moveListener(Listener* listener, int fd) {
  if (uring_ != nullptr) {
    const int old = listener->fd;
    listener->fd = fd;
    // The accepts queued on the old socket come back cancelled and re-arm on the new one.
    if (old >= 0) {
      takeBacklog(old, listener->tls);
      queueListenerClose(old);
    }
    return;
  }
  evconnlistener* old = listener->ev;
  listener->ev = evconnlistener_new(base_, &onAccept, listener, LEV_OPT_CLOSE_ON_FREE, 0, fd);
  if (listener->ev == nullptr) {
    log::error("worker", "listener-move-failed", {{"id", std::to_string(id_)}});
    ::close(fd);
    listener->ev = old;
    return;
  }
  if (old != nullptr) {
    takeBacklog(evconnlistener_get_fd(old), listener->tls);
    evconnlistener_free(old);
  }
}

void Worker::takeBacklog(int listen_fd, bool tls) {
  // The io_uring listener is blocking; this loop must not be.
  const int flags = fcntl(listen_fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
  while (true) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      addSession(fd, reinterpret_cast<const sockaddr*>(&peer), tls);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      log::warn("worker", "accept-failed", {{"error", strerror(errno)}});
    }
    return;
  }
}

}  // namespace foundry::router
