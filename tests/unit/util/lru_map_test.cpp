// The one bounded LRU map (issue 16): the least recently used entry goes first, peek does not
// change the order (so an owner that only peeks drops the oldest insert first), erase_if drops
// by predicate, and the map never holds more than its capacity (at least one entry).
#include "util/lru_map.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pw::util {
namespace {

TEST(LruMap, TheLeastRecentlyUsedGoesFirst) {
  LruMap<int> map(2);
  map.insert_or_touch("a", 1);
  map.insert_or_touch("b", 2);
  ASSERT_NE(map.find("a"), nullptr);  // a is now the most recent
  map.insert_or_touch("c", 3);        // b goes
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.peek("b"), nullptr);
  EXPECT_EQ(*map.peek("a"), 1);
  EXPECT_EQ(*map.peek("c"), 3);
  // An existing key keeps its value: insert_or_touch only touches it.
  EXPECT_EQ(map.insert_or_touch("a", 9), 1);
}

TEST(LruMap, PeekKeepsTheInsertOrder) {
  LruMap<int> map(2);
  map.insert_or_touch("old", 1);
  map.insert_or_touch("new", 2);
  ASSERT_NE(map.peek("old"), nullptr);
  map.insert_or_touch("newest", 3);  // "old" goes although it was looked at last
  EXPECT_EQ(map.peek("old"), nullptr);
  EXPECT_NE(map.peek("new"), nullptr);
}

TEST(LruMap, EraseAndEraseIfAndTheSmallestCapacity) {
  LruMap<std::string> map(0);  // holds one
  map.insert_or_touch("x", "1");
  map.insert_or_touch("y", "2");
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.peek("x"), nullptr);
  map.erase("y");
  map.erase("missing");
  EXPECT_EQ(map.size(), 0u);

  LruMap<int> numbers(10);
  for (int i = 0; i < 6; ++i) numbers.insert_or_touch(std::to_string(i), i);
  numbers.erase_if([](const std::string&, int value) { return value % 2 == 0; });
  EXPECT_EQ(numbers.size(), 3u);
  EXPECT_EQ(numbers.peek("2"), nullptr);
  EXPECT_NE(numbers.peek("3"), nullptr);
  numbers.insert_or_touch("new", 7);
  EXPECT_EQ(numbers.size(), 4u);
}

}  // namespace
}  // namespace pw::util
