// Which idempotency keys are surely not stored (issue #8): a Bloom filter over (scope,
// route, key) that grows in levels, so that a new key, nearly every key the writer sees,
// costs no probe of the database's key index. A key is never reported absent once added;
// a key never added is reported present less than 1 % of the time (about 0.07 % for each
// full level: 16 bits a key once rounded, 7 probes), and then the database is asked as
// before. Nothing is ever removed: a key added by a transaction that rolled back only costs
// such a probe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace issuerd::storage {

class KeyFilter {
 public:
  void add(std::string_view scope, std::string_view route, std::string_view key);
  bool may_contain(std::string_view scope, std::string_view route, std::string_view key) const;
  std::size_t keys_added() const { return keys_added_; }
  std::size_t memory_bytes() const;

 private:
  // One Bloom filter of a fixed size; a full one is kept and a level twice as large started.
  struct Level {
    std::vector<std::uint64_t> words;  // a power of two of them
    std::size_t capacity_keys = 0;
    std::size_t keys = 0;
  };
  struct Hashes {
    std::uint64_t first;
    std::uint64_t step;  // odd
  };
  struct Bit {
    std::size_t word;
    std::uint64_t mask;
  };
  static constexpr int probes = 7;
  using Bits = std::array<Bit, probes>;
  static Hashes hashes_of(std::string_view scope, std::string_view route, std::string_view key);
  static Bits bits_of(const Level& level, Hashes hashes);  // the key's bits in the level

  std::vector<Level> levels_;
  std::size_t keys_added_ = 0;
};

}  // namespace issuerd::storage
