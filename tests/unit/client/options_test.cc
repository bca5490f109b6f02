// Tests for dfs-mount's command line: addresses, volumes, -o options, errors.
#include <gtest/gtest.h>
#include "client/mount/options.h"

namespace dfs {
namespace {

kj::Maybe<kj::String> parse(std::initializer_list<const char*> args, MountOptions& out) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("dfs-mount"));
  for (auto a : args) argv.push_back(const_cast<char*>(a));
  return parseMountOptions(int(argv.size()), argv.data(), out);
}

TEST(MountOptions, DefaultsPortAndVolume) {
  MountOptions o;
  ASSERT_TRUE(parse({"127.0.0.1", "/mnt/x"}, o) == nullptr);
  EXPECT_EQ(o.masterAddress, "127.0.0.1:9400");
  EXPECT_EQ(o.volume, "default");
  EXPECT_EQ(o.mountpoint, "/mnt/x");
  EXPECT_FALSE(o.foreground);
}

TEST(MountOptions, PortVolumeAndOptions) {
  MountOptions o;
  ASSERT_TRUE(parse({"127.0.0.1:1234/vol1", "/m", "-o", "rpc_timeout=2.5,attr_timeout=1,cache_size=64M,ro", "-f"}, o) == nullptr);
  EXPECT_EQ(o.masterAddress, "127.0.0.1:1234");
  EXPECT_EQ(o.volume, "vol1");
  EXPECT_EQ(o.rpcTimeout, 2500 * kj::MILLISECONDS);
  EXPECT_EQ(o.attrTimeout, 1.0);
  EXPECT_EQ(o.cacheBytes, 64ull << 20);
  EXPECT_TRUE(o.foreground);
  ASSERT_EQ(o.fuseOptions.size(), 1u);
  EXPECT_EQ(o.fuseOptions[0], "ro");
}

TEST(MountOptions, DiskCacheAndReadahead) {
  MountOptions o;
  EXPECT_EQ(o.cacheDir, "");
  EXPECT_TRUE(o.readahead);
  ASSERT_TRUE(parse({"h", "/m", "-o", "cache_dir=/var/cache/dfs,cache_dir_size=2G,noreadahead"}, o) == nullptr);
  EXPECT_EQ(o.cacheDir, "/var/cache/dfs");
  EXPECT_EQ(o.cacheDirBytes, 2ull << 30);
  EXPECT_FALSE(o.readahead);
  EXPECT_TRUE(parse({"h", "/m", "-o", "cache_dir="}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "cache_dir_size=0"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "cache_dir_size=12X"}, o) != nullptr);
}

TEST(MountOptions, BusyPoll) {
  MountOptions o;
  ASSERT_TRUE(parse({"h", "/m"}, o) == nullptr);
  EXPECT_EQ(o.busyPoll, 50 * kj::MICROSECONDS);
  ASSERT_TRUE(parse({"h", "/m", "-o", "busy_poll_us=0"}, o) == nullptr);
  EXPECT_EQ(o.busyPoll, 0 * kj::MICROSECONDS);
  ASSERT_TRUE(parse({"h", "/m", "-o", "busy_poll_us=200"}, o) == nullptr);
  EXPECT_EQ(o.busyPoll, 200 * kj::MICROSECONDS);
  EXPECT_TRUE(parse({"h", "/m", "-o", "busy_poll_us=-1"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "busy_poll_us=2000000"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "busy_poll_us="}, o) != nullptr);
}

TEST(MountOptions, HandleKillPriv) {
  MountOptions o;
  ASSERT_TRUE(parse({"h", "/m"}, o) == nullptr);
  EXPECT_TRUE(o.handleKillPriv);
  ASSERT_TRUE(parse({"h", "/m", "-o", "handle_killpriv=0"}, o) == nullptr);
  EXPECT_FALSE(o.handleKillPriv);
  ASSERT_TRUE(parse({"h", "/m", "-o", "handle_killpriv=1"}, o) == nullptr);
  EXPECT_TRUE(o.handleKillPriv);
  EXPECT_TRUE(parse({"h", "/m", "-o", "handle_killpriv=yes"}, o) != nullptr);
}

TEST(MountOptions, DropBehind) {
  MountOptions o;
  ASSERT_TRUE(parse({"h", "/m"}, o) == nullptr);
  EXPECT_TRUE(o.dropBehind);
  ASSERT_TRUE(parse({"h", "/m", "-o", "drop_behind=0"}, o) == nullptr);
  EXPECT_FALSE(o.dropBehind);
  EXPECT_TRUE(parse({"h", "/m", "-o", "drop_behind=2"}, o) != nullptr);
}

TEST(MountOptions, MaxReadGoesToTheKernelAndToInit) {
  MountOptions o;
  ASSERT_TRUE(parse({"h", "/m"}, o) == nullptr);
  EXPECT_EQ(o.maxRead, 0u);
  ASSERT_TRUE(parse({"h", "/m", "-o", "max_read=256K"}, o) == nullptr);
  EXPECT_EQ(o.maxRead, 262144u);
  ASSERT_EQ(o.fuseOptions.size(), 1u);
  EXPECT_EQ(o.fuseOptions[0], "max_read=262144");
  EXPECT_TRUE(parse({"h", "/m", "-o", "max_read=100"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "max_read=2M"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "max_read=x"}, o) != nullptr);
}

TEST(MountOptions, RejectsBadInput) {
  MountOptions o;
  EXPECT_TRUE(parse({}, o) != nullptr);
  EXPECT_TRUE(parse({"127.0.0.1"}, o) != nullptr);
  EXPECT_TRUE(parse({"127.0.0.1:99999", "/m"}, o) != nullptr);
  EXPECT_TRUE(parse({"127.0.0.1:x", "/m"}, o) != nullptr);
  EXPECT_TRUE(parse({"127.0.0.1/", "/m"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "rpc_timeout=0"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "rpc_timeout=abc"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "nonsense"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o", "consistency=sometimes"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "-o"}, o) != nullptr);
  EXPECT_TRUE(parse({"h", "/m", "--bogus"}, o) != nullptr);
}

}  // namespace
}  // namespace dfs
