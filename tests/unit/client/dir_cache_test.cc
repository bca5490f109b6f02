// DirCache: answers from complete listings, own changes, stale slots, generations, bounds.
#include "client/cache/dir_cache.h"

#include <gtest/gtest.h>
#include <string>

namespace dfs {
namespace {

kj::ArrayPtr<const kj::byte> n(const char* s) {
  return kj::StringPtr(s).asBytes();
}

AttrCopy attr(uint64_t ino, uint32_t nlink = 1) {
  AttrCopy a;
  a.ino = ino;
  a.nlink = nlink;
  a.mode = 0100644;
  return a;
}

DirCache::Listing listing(std::initializer_list<std::pair<const char*, uint64_t>> entries) {
  auto out = kj::heapArrayBuilder<std::pair<std::string, AttrCopy>>(entries.size());
  for (auto& e : entries) out.add(std::string(e.first), attr(e.second));
  return out.finish();
}

TEST(DirCache, AnswersFromAnInstalledListingOnly) {
  DirCache cache(1000);
  AttrCopy out;
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
  EXPECT_FALSE(cache.wantListing(1));
  EXPECT_FALSE(cache.wantListing(1));
  EXPECT_TRUE(cache.wantListing(1));  // looked up in repeatedly
  cache.install(1, cache.generation(1), listing({{"a", 10}, {"b", 11}}));
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(out.ino, 10u);
  EXPECT_EQ(cache.find(1, n("zz"), out), DirCache::Answer::MISSING);
  EXPECT_EQ(cache.entries(), 2u);
}

// An eventual mount's listings last its entry_timeout at most (nobody waits for its
// invalidations), its own new directories' too.
TEST(DirCache, ListingsOlderThanTheMaxAgeAreForgotten) {
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  DirCache cache(1000);
  cache.setMaxAge(timer, 1 * kj::SECONDS);
  cache.install(1, cache.generation(1), listing({{"a", 10}}));
  cache.created(2);
  timer.advanceTo(timer.now() + 900 * kj::MILLISECONDS);
  AttrCopy out;
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(cache.find(2, n("new"), out), DirCache::Answer::MISSING);
  timer.advanceTo(timer.now() + 200 * kj::MILLISECONDS);
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.find(2, n("new"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.listings(), 0u);
  EXPECT_EQ(cache.entries(), 0u);
  cache.install(1, cache.generation(1), listing({{"a", 10}}));  // fetched afresh
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::FOUND);
}

// A listing the mount holds the lease of does not age; released, it ages from then.
TEST(DirCache, AHeldListingDoesNotAge) {
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  DirCache cache(1000);
  cache.setMaxAge(timer, 1 * kj::SECONDS);
  EXPECT_FALSE(cache.listed(2));
  cache.created(2);
  EXPECT_TRUE(cache.listed(2));
  cache.hold(2, true);
  timer.advanceTo(timer.now() + 5 * kj::SECONDS);
  AttrCopy out;
  EXPECT_EQ(cache.find(2, n("new"), out), DirCache::Answer::MISSING);
  cache.hold(2, false);
  timer.advanceTo(timer.now() + 900 * kj::MILLISECONDS);
  EXPECT_TRUE(cache.listed(2));
  timer.advanceTo(timer.now() + 200 * kj::MILLISECONDS);
  EXPECT_FALSE(cache.listed(2));
  EXPECT_EQ(cache.find(2, n("new"), out), DirCache::Answer::UNKNOWN);
}

TEST(DirCache, AChangeDuringAFetchDiscardsIt) {
  DirCache cache(1000);
  uint64_t gen = cache.generation(1);
  cache.nameChanged(1, n("c"));  // e.g. an invalidation from the master meanwhile
  cache.install(1, gen, listing({{"a", 10}}));
  AttrCopy out;
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);

  cache.install(1, cache.generation(1), listing({{"a", 10}}));
  gen = cache.generation(1);
  cache.attrsChanged(10);
  cache.learned(1, gen, n("a"), attr(10, 5));  // fetched before the change: ignored
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
  cache.learned(1, cache.generation(1), n("a"), attr(10, 2));
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(out.nlink, 2u);
}

TEST(DirCache, OwnChangesKeepTheListingRight) {
  DirCache cache(1000);
  cache.created(5);  // a new directory is empty: complete at once
  AttrCopy out;
  EXPECT_EQ(cache.find(5, n("x"), out), DirCache::Answer::MISSING);
  cache.added(5, n("x"), attr(20));
  EXPECT_EQ(cache.find(5, n("x"), out), DirCache::Answer::FOUND);
  cache.added(5, n("y"), attr(20, 2));  // a hard link: the other name's nlink is stale
  EXPECT_EQ(cache.find(5, n("x"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.find(5, n("y"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(cache.removed(5, n("y")), 20u);
  EXPECT_EQ(cache.find(5, n("y"), out), DirCache::Answer::MISSING);
  cache.nameChanged(5, n("y"));  // created elsewhere, say: ask the master
  EXPECT_EQ(cache.find(5, n("y"), out), DirCache::Answer::UNKNOWN);
  cache.learned(5, cache.generation(5), n("y"), nullptr);
  EXPECT_EQ(cache.find(5, n("y"), out), DirCache::Answer::MISSING);
}

TEST(DirCache, AttributeChangesReachEveryName) {
  DirCache cache(1000);
  cache.install(1, cache.generation(1), listing({{"a", 10}}));
  cache.install(2, cache.generation(2), listing({{"b", 10}, {"c", 11}}));
  cache.attrsChanged(10);
  AttrCopy out;
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.find(2, n("b"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.find(2, n("c"), out), DirCache::Answer::FOUND);
}

TEST(DirCache, BoundedByEntriesAndOffAtZero) {
  DirCache cache(3);
  cache.install(1, cache.generation(1), listing({{"a", 10}, {"b", 11}}));
  AttrCopy out;
  cache.find(1, n("a"), out);
  cache.install(2, cache.generation(2), listing({{"c", 12}, {"d", 13}}));
  EXPECT_LE(cache.entries(), 3u);
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);  // least recently used
  EXPECT_EQ(cache.find(2, n("c"), out), DirCache::Answer::FOUND);

  DirCache off(0);
  EXPECT_FALSE(off.wantListing(1));
  off.created(1);
  EXPECT_EQ(off.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
}

TEST(DirCache, ClearForgetsListingsAndFetchesInFlight) {
  DirCache cache(1000);
  cache.install(1, cache.generation(1), listing({{"a", 10}}));
  uint64_t gen = cache.generation(2);  // a fetch of dir 2 started before the clear
  cache.clear();
  AttrCopy out;
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::UNKNOWN);
  EXPECT_EQ(cache.entries(), 0u);
  cache.install(2, gen, listing({{"b", 11}}));
  EXPECT_EQ(cache.find(2, n("b"), out), DirCache::Answer::UNKNOWN);
}

// A file changed here while a listing or lookup naming it was on its way (the directory
// itself unchanged, the file not listed yet): the result goes in, the file's slot stale.
TEST(DirCache, InodesChangedWhileAResultWasOnItsWayGoInStale) {
  DirCache cache(1000);
  AttrCopy out;
  uint64_t gen = cache.generation(1);
  cache.attrsChanged(11);  // e.g. a commit of "b", whose listing is being fetched
  cache.install(1, gen, listing({{"a", 10}, {"b", 11}}));
  EXPECT_EQ(cache.find(1, n("a"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(cache.find(1, n("b"), out), DirCache::Answer::UNKNOWN);
  gen = cache.generation(1);
  cache.attrsChanged(11);
  cache.learned(1, gen, n("b"), attr(11, 5));  // a lookup answered before the change
  EXPECT_EQ(cache.find(1, n("b"), out), DirCache::Answer::UNKNOWN);
  cache.learned(1, cache.generation(1), n("b"), attr(11, 6));  // asked after it
  ASSERT_EQ(cache.find(1, n("b"), out), DirCache::Answer::FOUND);
  EXPECT_EQ(out.nlink, 6u);
}

TEST(DirCache, TooBigDirectoriesAreNotFetchedAgain) {
  DirCache cache(1000);
  cache.tooBig(7);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(cache.wantListing(7));
}

}  // namespace
}  // namespace dfs
