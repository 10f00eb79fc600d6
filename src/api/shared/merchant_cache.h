// Merchants found by api key hash, kept for a few seconds. Reading the merchant for every
// request blocked an I/O thread for a database round trip (226 us on average on PostgreSQL
// under the #8 benchmark). A merchant's key and status never change yet; when they can
// (key rotation), a change takes effect within `ttl`.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/store.h"

namespace issuerd::api {

class MerchantCache {
 public:
  static constexpr std::chrono::seconds ttl{5};
  static constexpr std::size_t entries_max = 10'000;

  std::optional<storage::MerchantRecord> find(const std::string& api_key_hash);
  // Only merchants that were found: an unknown key is looked up every time.
  void remember(const std::string& api_key_hash, const storage::MerchantRecord& merchant);

 private:
  struct Entry {
    storage::MerchantRecord merchant;
    std::chrono::steady_clock::time_point expires_at;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace issuerd::api
