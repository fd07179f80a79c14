#include "router/proxy/memory_link.h"

#include <errno.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/uio.h>

#include <string>

#include "router/proxy/channel.h"

namespace foundry::router {
namespace {

struct LinkOwner : ChannelOwner {
  void onChannelEvent() override { ++events; }
  int events = 0;
};

struct Peer : LinkPeer {
  void onLinkEvent() override { ++events; }
  int events = 0;
};

class MemoryLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = event_base_new();
    tasks_ = std::make_unique<LocalTasks>(base_, nullptr);
  }
  void TearDown() override {
    tasks_.reset();
    event_base_free(base_);
  }
  void runLoop() { event_base_loop(base_, EVLOOP_NONBLOCK); }

  event_base* base_ = nullptr;
  std::unique_ptr<LocalTasks> tasks_;
};

ssize_t sendText(Channel& ch, const std::string& text) {
  iovec iov{const_cast<char*>(text.data()), text.size()};
  return ch.send(&iov, 1);
}

TEST_F(MemoryLinkTest, BytesFlowBothWaysAndEventsComeFromTheLoop) {
  LinkOwner owner;
  Peer peer;
  MemoryLink* link = MemoryLink::create(*tasks_, &peer, 8);
  Channel ch;
  ch.openLink(link, &owner);
  EXPECT_TRUE(ch.isLink());
  EXPECT_FALSE(ch.quiet());  // never spliced
  EXPECT_EQ(ch.fd(), -1);

  link->write("hello", 5);
  EXPECT_EQ(owner.events, 0);  // not from inside the writer
  runLoop();
  EXPECT_EQ(owner.events, 1);
  IoBuffer in;
  ASSERT_EQ(ch.read(in), Channel::Read::Progress);
  EXPECT_EQ(std::string(in.data(), in.size()), "hello");
  EXPECT_EQ(ch.read(in), Channel::Read::WouldBlock);
  EXPECT_FALSE(ch.readable);
  runLoop();
  EXPECT_EQ(peer.events, 1);  // the peer hears the bytes were taken

  // Sends stop at the link's capacity until the peer takes the bytes.
  EXPECT_EQ(sendText(ch, "0123456789"), 8);
  EXPECT_FALSE(ch.writable);
  EXPECT_EQ(sendText(ch, "89"), 0);
  EXPECT_EQ(std::string(link->fromChannel().data(), link->fromChannel().size()), "01234567");
  link->fromChannel().clear();
  link->consumed();
  runLoop();
  EXPECT_TRUE(ch.writable);
  EXPECT_EQ(sendText(ch, "89"), 2);

  // EOF after the bytes written before finish().
  link->write("z", 1);
  link->finish();
  in.clear();
  EXPECT_EQ(ch.read(in), Channel::Read::Progress);
  EXPECT_EQ(ch.read(in), Channel::Read::Eof);

  ch.shutdownWrite();
  EXPECT_TRUE(link->channelFinished());
  EXPECT_FALSE(link->channelClosed());
  ch.close();
  EXPECT_TRUE(link->channelClosed());
  link->detachPeer(0);  // the last reference: the link is freed (ASan would see a leak)
  runLoop();
}

TEST_F(MemoryLinkTest, APeerThatLetsGoFailsTheChannel) {
  LinkOwner owner;
  Peer peer;
  MemoryLink* link = MemoryLink::create(*tasks_, &peer, 64);
  Channel ch;
  ch.openLink(link, &owner);
  link->write("unread", 6);
  link->detachPeer(ECONNRESET);
  runLoop();
  IoBuffer in;
  EXPECT_EQ(ch.read(in), Channel::Read::Error);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_EQ(sendText(ch, "x"), -1);
  EXPECT_EQ(peer.events, 0);  // a detached peer hears nothing more
  ch.close();
}

TEST_F(MemoryLinkTest, ConnectResultIsReportedLater) {
  LinkOwner owner;
  Peer peer;
  MemoryLink* link = MemoryLink::create(*tasks_, &peer, 64, /*connected=*/false);
  Channel ch;
  ch.openLink(link, &owner);
  EXPECT_FALSE(ch.writable);
  EXPECT_EQ(ch.connectResult(), -1);
  link->setConnectResult(ECONNREFUSED);
  runLoop();
  EXPECT_EQ(owner.events, 1);
  EXPECT_EQ(ch.connectResult(), ECONNREFUSED);
  ch.close();
  runLoop();
  link->detachPeer(0);
}

TEST_F(MemoryLinkTest, ClosingWhileQueuedIsSafe) {
  LinkOwner owner;
  Peer peer;
  MemoryLink* link = MemoryLink::create(*tasks_, &peer, 64);
  {
    Channel ch;
    ch.openLink(link, &owner);
    link->write("a", 1);  // queued notification for the channel
  }                       // the channel closes with it pending
  EXPECT_FALSE(tasks_->empty());  // the peer's "channel closed" is queued
  runLoop();
  EXPECT_EQ(peer.events, 1);
  EXPECT_EQ(owner.events, 0);
  link->detachPeer(0);
  EXPECT_TRUE(tasks_->empty());
}

}  // namespace
}  // namespace foundry::router
