#include "api/shared/merchant_cache.h"

namespace issuerd::api {

std::optional<storage::MerchantRecord> MerchantCache::find(const std::string& api_key_hash) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(api_key_hash);
  if (found == entries_.end()) return std::nullopt;
  if (found->second.expires_at <= std::chrono::steady_clock::now()) {
    entries_.erase(found);
    return std::nullopt;
  }
  return found->second.merchant;
}

void MerchantCache::remember(const std::string& api_key_hash, const storage::MerchantRecord& merchant) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= entries_max) entries_.clear();  // bounded; refilled on use
  entries_[api_key_hash] = Entry{merchant, std::chrono::steady_clock::now() + ttl};
}

}  // namespace issuerd::api
