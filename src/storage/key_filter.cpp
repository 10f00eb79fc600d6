#include "storage/key_filter.h"

#include <algorithm>
#include <bit>

namespace issuerd::storage {

namespace {

// 10 bits a key at least (a level's size is rounded up to a power of two: 16 for these
// sizes, so 3.3 bytes a key when the newest level has just begun) and 7 probes: under 1 % of
// unknown keys pass a full level.
constexpr std::size_t bits_per_key = 10;
constexpr std::size_t first_level_keys = 1 << 16;  // 128 KiB

// FNV-1a over the three parts, each ended by 0xff (never in UTF-8 text) so that ("ab", "c")
// and ("a", "bc") hash apart; a part holding that byte only risks a false "maybe".
std::uint64_t fnv1a(std::uint64_t hash, std::string_view part) {
  for (const char c : part) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  hash ^= 0xffU;
  return hash * 0x100000001b3ULL;
}

// splitmix64's finaliser: a second hash, independent enough of the first for double hashing.
std::uint64_t mixed(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

KeyFilter::Hashes KeyFilter::hashes_of(std::string_view scope, std::string_view route, std::string_view key) {
  const std::uint64_t first = mixed(fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, scope), route), key));
  return {first, mixed(first ^ 0x9e3779b97f4a7c15ULL) | 1U};
}

KeyFilter::Bits KeyFilter::bits_of(const Level& level, Hashes hashes) {
  const std::uint64_t bit_mask = level.words.size() * 64 - 1;
  Bits bits;
  std::uint64_t position = hashes.first;
  for (Bit& bit : bits) {
    bit = {static_cast<std::size_t>((position & bit_mask) / 64), std::uint64_t{1} << (position % 64)};
    position += hashes.step;
  }
  return bits;
}

void KeyFilter::add(std::string_view scope, std::string_view route, std::string_view key) {
  if (levels_.empty() || levels_.back().keys == levels_.back().capacity_keys) {
    Level level;
    level.capacity_keys = levels_.empty() ? first_level_keys : levels_.back().capacity_keys * 2;
    level.words.assign(std::bit_ceil(level.capacity_keys * bits_per_key) / 64, 0);
    levels_.push_back(std::move(level));
  }
  Level& level = levels_.back();
  for (const Bit& bit : bits_of(level, hashes_of(scope, route, key))) level.words[bit.word] |= bit.mask;
  ++level.keys;
  ++keys_added_;
}

bool KeyFilter::may_contain(std::string_view scope, std::string_view route, std::string_view key) const {
  if (levels_.empty()) return false;
  const Hashes hashes = hashes_of(scope, route, key);
  for (const Level& level : levels_) {
    const Bits bits = bits_of(level, hashes);
    if (std::all_of(bits.begin(), bits.end(), [&level](const Bit& bit) { return (level.words[bit.word] & bit.mask) != 0; })) {
      return true;
    }
  }
  return false;
}

std::size_t KeyFilter::memory_bytes() const {
  std::size_t bytes = 0;
  for (const Level& level : levels_) bytes += level.words.size() * sizeof(std::uint64_t);
  return bytes;
}

}  // namespace issuerd::storage
