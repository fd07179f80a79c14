// InternalCredentials (common/auth/internal_credentials.h): the --secrets folder (modes, the
// lock that makes concurrent first starts agree on one key, refusing folders and key files
// others can read) and the request tokens (bound to caller, time, method and target).
#include "common/auth/internal_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "common/net/http_client.h"
#include "tests/test_common/files.h"

namespace foundry::auth {
namespace {
using test::readFile;

namespace fs = std::filesystem;

constexpr int64_t kCredentialsNow = 1'800'000'000;

mode_t credentialsModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// What two credentials agree on iff they hold the same key.
std::string fingerprint(const InternalCredentials& c) {
  return c.sign("probe", "GET", "/fingerprint", kCredentialsNow);
}

class InternalCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/internal-creds-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/secrets";  // absent: loadOrCreate makes it
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, ec);
    fs::remove_all(root_, ec);
  }
  std::string root_, dir_;
};

TEST_F(InternalCredentialsTest, SecondLoadFindsTheSameKey) {
  auto first = InternalCredentials::loadOrCreate(dir_);
  auto second = InternalCredentials::loadOrCreate(dir_);
  EXPECT_EQ(fingerprint(first), fingerprint(second));
  EXPECT_EQ(first.dir(), dir_);
  std::string why;
  EXPECT_TRUE(second.verify(first.sign("cell:z1", "POST", "/work", kCredentialsNow), "POST", "/work", kCredentialsNow,
                            &why))
      << why;
  // Another folder, another key.
  auto other = InternalCredentials::loadOrCreate(root_ + "/other");
  EXPECT_NE(fingerprint(first), fingerprint(other));
  EXPECT_FALSE(other.verify(first.sign("x", "GET", "/state", kCredentialsNow), "GET", "/state", kCredentialsNow, &why));
}

TEST_F(InternalCredentialsTest, FolderIs0700AndKeyFile0600EvenUnderARestrictiveUmask) {
  mode_t old = umask(0277);  // mkdir alone would give 0500: unusable
  auto creds = InternalCredentials::loadOrCreate(dir_);
  umask(old);
  EXPECT_EQ(credentialsModeOf(dir_), 0700u);
  EXPECT_EQ(credentialsModeOf(dir_ + "/internal-key"), 0600u);
  // 32 random bytes, base64url without padding: 43 characters (and a newline).
  std::string text = readFile(dir_ + "/internal-key");
  ASSERT_FALSE(text.empty());
  if (text.back() == '\n') text.pop_back();
  EXPECT_EQ(text.size(), 43u);
  EXPECT_EQ(text.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  // No temp file left behind.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(InternalCredentialsTest, RefusesAFolderOthersCanEnter) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0750), 0);
  try {
    InternalCredentials::loadOrCreate(dir_);
    FAIL() << "a 0750 folder was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0750"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/internal-key"));  // nothing written into it
  ASSERT_EQ(chmod(dir_.c_str(), 0701), 0);
  EXPECT_THROW(InternalCredentials::loadOrCreate(dir_), std::runtime_error);
}

TEST_F(InternalCredentialsTest, RefusesAKeyFileOthersCanReadOrThatIsNotAKey) {
  InternalCredentials::loadOrCreate(dir_);
  const std::string key = dir_ + "/internal-key";
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  try {
    InternalCredentials::loadOrCreate(dir_);
    FAIL() << "a 0644 key file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  std::ofstream(key, std::ios::trunc) << "not*base64url\n";
  EXPECT_THROW(InternalCredentials::loadOrCreate(dir_), std::runtime_error);
  std::ofstream(key, std::ios::trunc) << "c2hvcnQ\n";  // valid base64url, 5 bytes
  EXPECT_THROW(InternalCredentials::loadOrCreate(dir_), std::runtime_error);
}

TEST_F(InternalCredentialsTest, RefusesAPathThatIsAFileOrCannotBeMade) {
  std::ofstream(root_ + "/plain") << "x";
  EXPECT_THROW(InternalCredentials::loadOrCreate(root_ + "/plain"), std::runtime_error);
  EXPECT_THROW(InternalCredentials::loadOrCreate(root_ + "/plain/sub"), std::runtime_error);
  EXPECT_THROW(InternalCredentials::loadOrCreate(""), std::runtime_error);
}

TEST_F(InternalCredentialsTest, ThreadsStartingTogetherAgreeOnOneKey) {
  constexpr int kThreads = 8;
  std::atomic<bool> go{false};
  std::vector<std::string> prints(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      try {
        prints[i] = fingerprint(InternalCredentials::loadOrCreate(dir_));
      } catch (const std::exception& e) {
        prints[i] = std::string("error: ") + e.what();
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(prints.begin(), prints.end()).size(), 1u) << prints[0];
  EXPECT_EQ(prints[0], fingerprint(InternalCredentials::loadOrCreate(dir_)));
}

TEST_F(InternalCredentialsTest, ProcessesStartingTogetherAgreeOnOneKey) {
  constexpr int kProcs = 6;
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  std::vector<pid_t> pids;
  std::vector<int> outputs;
  for (int i = 0; i < kProcs; ++i) {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate[1]);
      close(out[0]);
      char c;
      (void)!read(gate[0], &c, 1);  // returns 0 when the parent closes the gate: all start
      std::string print;
      try {
        print = fingerprint(InternalCredentials::loadOrCreate(dir_));
      } catch (const std::exception& e) {
        print = std::string("error: ") + e.what();
      }
      (void)!write(out[1], print.data(), print.size());
      _exit(0);
    }
    close(out[1]);
    pids.push_back(pid);
    outputs.push_back(out[0]);
  }
  close(gate[0]);
  close(gate[1]);  // go
  std::set<std::string> prints;
  for (int fd : outputs) {
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fd);
    prints.insert(text);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_EQ(prints.size(), 1u) << *prints.begin() << " / " << *prints.rbegin();
  EXPECT_EQ(*prints.begin(), fingerprint(InternalCredentials::loadOrCreate(dir_)));
}

TEST(InternalTokenTest, SignedRequestVerifiesAndNamesItsCaller) {
  InternalCredentials creds{Secret(std::string(32, 'k'))};
  std::string token = creds.sign("controller", "PUT", "/v1/desired_lrps/web-1", kCredentialsNow);
  EXPECT_EQ(token.rfind("FoundryInternal caller=controller,ts=1800000000,sig=", 0), 0u) << token;
  std::string why, caller;
  EXPECT_TRUE(creds.verify(token, "PUT", "/v1/desired_lrps/web-1", kCredentialsNow, &why, &caller)) << why;
  EXPECT_EQ(caller, "controller");
  // Inside the window on both sides.
  EXPECT_TRUE(creds.verify(token, "PUT", "/v1/desired_lrps/web-1", kCredentialsNow + 300, &why)) << why;
  EXPECT_TRUE(creds.verify(token, "PUT", "/v1/desired_lrps/web-1", kCredentialsNow - 300, &why)) << why;
  // A caller name with characters the format reserves is made safe, and still verifies.
  std::string odd = creds.sign("cell one,x=y", "GET", "/state", kCredentialsNow);
  EXPECT_TRUE(creds.verify(odd, "GET", "/state", kCredentialsNow, &why, &caller)) << why;
  EXPECT_EQ(caller, "cell_one_x_y");
  // The key never shows in the header.
  EXPECT_EQ(token.find(std::string(32, 'k')), std::string::npos);
}

TEST(InternalTokenTest, EveryMismatchIsRefused) {
  InternalCredentials creds{Secret(std::string(32, 'k'))};
  InternalCredentials other{Secret(std::string(32, 'q'))};
  const std::string target = "/v1/actual_lrps?process_guid=web-1";
  const std::string token = creds.sign("controller", "GET", target, kCredentialsNow);
  std::string why;

  EXPECT_FALSE(other.verify(token, "GET", target, kCredentialsNow, &why));
  EXPECT_EQ(why, "bad signature");
  EXPECT_FALSE(creds.verify(token, "DELETE", target, kCredentialsNow, &why));
  EXPECT_EQ(why, "bad signature");
  EXPECT_FALSE(creds.verify(token, "GET", "/v1/actual_lrps?process_guid=web-2", kCredentialsNow, &why));
  EXPECT_FALSE(creds.verify(token, "GET", "/v1/actual_lrps", kCredentialsNow, &why));
  EXPECT_FALSE(creds.verify(token, "GET", "/v1/desired_lrps?process_guid=web-1", kCredentialsNow, &why));
  EXPECT_FALSE(creds.verify(token, "GET", target, kCredentialsNow + 301, &why));
  EXPECT_EQ(why, "token timestamp outside the allowed window");
  EXPECT_FALSE(creds.verify(token, "GET", target, kCredentialsNow - 301, &why));

  // Tampering: another caller or time with the same sig, one changed sig character.
  std::string as_cell = token;
  as_cell.replace(as_cell.find("controller"), 10, "cell:z1000");
  EXPECT_FALSE(creds.verify(as_cell, "GET", target, kCredentialsNow, &why));
  EXPECT_EQ(why, "bad signature");
  std::string later = token;
  later.replace(later.find("ts=1800000000"), 13, "ts=1800000001");
  EXPECT_FALSE(creds.verify(later, "GET", target, kCredentialsNow, &why));
  std::string flipped = token;
  char& last = flipped[flipped.size() - 2];
  last = last == 'A' ? 'B' : 'A';
  EXPECT_FALSE(creds.verify(flipped, "GET", target, kCredentialsNow, &why));
}

TEST(InternalTokenTest, MalformedHeadersAreRefused) {
  InternalCredentials creds{Secret(std::string(32, 'k'))};
  const std::string good = creds.sign("controller", "GET", "/state", kCredentialsNow);
  const std::string sig = good.substr(good.find("sig=") + 4);
  std::string why;
  auto refused = [&](const std::string& header) {
    return !creds.verify(header, "GET", "/state", kCredentialsNow, &why);
  };
  EXPECT_TRUE(refused(""));
  EXPECT_EQ(why, "no Authorization header");
  EXPECT_TRUE(refused("Bearer abc"));
  EXPECT_EQ(why, "not a FoundryInternal token");
  EXPECT_TRUE(refused("FoundryInternal"));
  EXPECT_TRUE(refused("FoundryInternalcaller=controller,ts=1800000000,sig=" + sig));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=1800000000"));
  EXPECT_EQ(why, "malformed token");
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=1800000000,sig=" + sig + ",x=1"));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,caller=controller,ts=1800000000,sig=" +
                      sig));
  EXPECT_TRUE(refused("FoundryInternal caller=,ts=1800000000,sig=" + sig));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=18e8,sig=" + sig));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=-1,sig=" + sig));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=99999999999999999999,sig=" + sig));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=1800000000,sig=" + sig + "="));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=1800000000,sig=" + sig.substr(1)));
  EXPECT_TRUE(refused("FoundryInternal caller=controller,ts=1800000000,sig=***"));
  // The fields in another order are the same token.
  EXPECT_FALSE(refused("FoundryInternal sig=" + sig + ",ts=1800000000,caller=controller")) << why;
  EXPECT_FALSE(refused(good)) << why;
}

TEST(InternalTokenTest, SignerCarriesItsOwnCopyOfTheKey) {
  auto creds = std::make_unique<InternalCredentials>(Secret(std::string(32, 'k')));
  auto sign = creds->signer("scheduler");
  InternalCredentials same{Secret(std::string(32, 'k'))};
  creds.reset();
  std::string why, caller;
  EXPECT_TRUE(same.verify(sign("POST", "/work"), "POST", "/work", &why, &caller)) << why;
  EXPECT_EQ(caller, "scheduler");
}

TEST(InternalTokenTest, RequestTargetIsPathAndQueryAsCurlSendsThem) {
  EXPECT_EQ(net::requestTarget("http://127.0.0.1:9023/v1/desired_lrps/web-1"),
            "/v1/desired_lrps/web-1");
  EXPECT_EQ(net::requestTarget("http://127.0.0.1:9023/v1/actual_lrps?process_guid=a%2Fb&x=1"),
            "/v1/actual_lrps?process_guid=a%2Fb&x=1");
  EXPECT_EQ(net::requestTarget("http://127.0.0.1:9100"), "/");
  EXPECT_EQ(net::requestTarget("http://h:1/a/b#frag"), "/a/b");
}

}  // namespace
}  // namespace foundry::auth
