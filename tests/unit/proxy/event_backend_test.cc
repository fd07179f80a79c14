// Choosing the data plane's event backend: what the router does on a kernel or in a sandbox
// that refuses io_uring is tested by refusing it for real, with a seccomp filter in a child.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "router/proxy/uring_loop.h"
#include "router/proxy/worker.h"

namespace foundry::router {
namespace {

// Makes io_uring_setup fail with EPERM in this process, as container runtimes' default seccomp
// profiles do.
void forbidIoUring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    _exit(3);
  }
}

TEST(EventBackendTest, AutoPicksIoUringWhereTheKernelAllowsIt) {
  // These machines run kernel 6.x with io_uring enabled (see the issue): the probe must pass.
  std::string why;
  ASSERT_TRUE(UringLoop::probe(&why)) << why;
  EventBackend backend = EventBackend::Epoll;
  std::string note;
  ASSERT_TRUE(chooseEventBackend("auto", &backend, &note));
  EXPECT_EQ(backend, EventBackend::IoUring);
  EXPECT_EQ(note, "");
  ASSERT_TRUE(chooseEventBackend("epoll", &backend, &note));
  EXPECT_EQ(backend, EventBackend::Epoll);
  EXPECT_STREQ(eventBackendName(EventBackend::IoUring), "io_uring");
}

TEST(EventBackendTest, AutoFallsBackToEpollWhenSeccompForbidsIoUring) {
  EXPECT_EXIT(
      {
        forbidIoUring();
        EventBackend backend = EventBackend::IoUring;
        std::string note;
        bool ok = chooseEventBackend("auto", &backend, &note);
        // Exit code: 0 only when auto chose epoll and said why.
        _exit(ok && backend == EventBackend::Epoll &&
                      note.find("Operation not permitted") != std::string::npos
                  ? 0
                  : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(EventBackendTest, ForcedIoUringFailsWithTheReasonWhenForbidden) {
  EXPECT_EXIT(
      {
        forbidIoUring();
        EventBackend backend = EventBackend::Epoll;
        std::string note;
        bool ok = chooseEventBackend("io_uring", &backend, &note);
        _exit(!ok && note.find("not available") != std::string::npos &&
                      note.find("Operation not permitted") != std::string::npos
                  ? 0
                  : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace foundry::router
