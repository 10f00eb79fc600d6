// The idempotency key filter (storage/key_filter.h): never a false "absent", few false
// "present", across the levels it grows.
#include "storage/key_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace issuerd::storage {
namespace {

TEST(KeyFilter, EmptyRulesEverythingOut) {
  const KeyFilter filter;
  EXPECT_FALSE(filter.may_contain("m1", "/r", "k"));
  EXPECT_FALSE(filter.may_contain("", "", ""));
  EXPECT_EQ(filter.memory_bytes(), 0u);
}

TEST(KeyFilter, EveryAddedKeyStaysFoundAcrossLevels) {
  KeyFilter filter;
  // 200,000 keys: past the first level's 65,536 and the second's 131,072.
  constexpr int added = 200'000;
  for (int i = 0; i < added; ++i) filter.add("merchant-" + std::to_string(i % 7), "/sim", "key-" + std::to_string(i));
  EXPECT_EQ(filter.keys_added(), static_cast<std::size_t>(added));
  EXPECT_GT(filter.memory_bytes(), 3 * 65'536 * 10 / 8u);  // three levels of 10 bits a key or more
  for (int i = 0; i < added; ++i) {
    ASSERT_TRUE(filter.may_contain("merchant-" + std::to_string(i % 7), "/sim", "key-" + std::to_string(i))) << i;
  }
}

TEST(KeyFilter, UnknownKeysPassRarely) {
  KeyFilter filter;
  for (int i = 0; i < 100'000; ++i) filter.add("m1", "/sim", "stored-" + std::to_string(i));
  int passed = 0;
  constexpr int asked = 100'000;
  for (int i = 0; i < asked; ++i) passed += filter.may_contain("m1", "/sim", "new-" + std::to_string(i)) ? 1 : 0;
  // Under 1 % a full level; two levels here, the second half full.
  EXPECT_LT(passed, asked / 50) << passed;
}

TEST(KeyFilter, TheThreePartsAreKeptApart) {
  KeyFilter filter;
  filter.add("ab", "c", "d");
  EXPECT_TRUE(filter.may_contain("ab", "c", "d"));
  int passed = 0;
  for (const auto& [scope, route, key] : {std::tuple{"a", "bc", "d"}, std::tuple{"abc", "", "d"},
                                          std::tuple{"ab", "cd", ""}, std::tuple{"", "abc", "d"}}) {
    passed += filter.may_contain(scope, route, key) ? 1 : 0;
  }
  EXPECT_EQ(passed, 0);
}

}  // namespace
}  // namespace issuerd::storage
