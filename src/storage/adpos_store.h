// AdPos tables (migration 0005): bulk issuing tasks and their per-card items, bearer
// access tokens (only their SHA-256), the merchant's webhook signing secret, and the
// listing of the cards AdPos issued. Lookups an API exposes take the merchant, so another
// merchant's task is simply not found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::storage {

struct AdposTaskRecord {
  std::int64_t task_id = 0;
  std::string merchant_id;
  std::optional<std::string> request_id;
  std::string status;        // pending | processing | completed | partially_failed | failed
  std::string request_json;  // the validated request, normalised (the job reads it back)
  std::int64_t requested = 0;
  std::int64_t created_count = 0;
  std::int64_t failed_count = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct AdposTaskItemRecord {
  std::int64_t task_id = 0;
  std::int64_t item_index = 0;  // 0 .. requested-1
  std::string status;           // created | failed
  std::optional<std::string> card_id;
  std::optional<std::string> fail_reason;
  std::int64_t created_at_ms = 0;
};

struct AccessTokenRecord {
  std::string token_hash;  // SHA-256 hex of the bearer token
  std::string merchant_id;
  std::int64_t expires_at_ms = 0;
  std::int64_t created_at_ms = 0;
};

class AdposStore {
 public:
  explicit AdposStore(Connection& connection) : db_(connection) {}

  // Tasks. Ids are a plain sequence (the seed shows 12001), drawn by the single writer.
  Result<std::int64_t> next_task_id();
  Status insert_task(const AdposTaskRecord& task);
  Status update_task(const AdposTaskRecord& task);  // status, counts, updated_at
  Result<std::optional<AdposTaskRecord>> find_task(std::int64_t task_id);  // for the job only
  Result<std::optional<AdposTaskRecord>> find_task(const std::string& merchant_id, std::int64_t task_id);
  Result<std::vector<AdposTaskRecord>> list_tasks(const std::string& merchant_id, std::int64_t offset,
                                                  std::int64_t limit);  // newest first
  Result<std::int64_t> count_tasks(const std::string& merchant_id);

  // Items, in index order.
  Status insert_item(const AdposTaskItemRecord& item);
  Result<std::vector<AdposTaskItemRecord>> list_items(std::int64_t task_id);

  // Access tokens.
  Status insert_access_token(const AccessTokenRecord& token);
  Result<std::optional<AccessTokenRecord>> find_access_token(const std::string& token_hash);
  // Removes the merchant's tokens that expired before now_ms (keeps the table bounded).
  Status delete_expired_access_tokens(const std::string& merchant_id, std::int64_t now_ms);

  // The merchant's webhook signing secret (hex); nullopt until one is set.
  Result<std::optional<std::string>> webhook_secret(const std::string& merchant_id);
  Status set_webhook_secret(const std::string& merchant_id, const std::string& secret_hex);


  // Card ids of the cards AdPos issued for the merchant, newest first.
  Result<std::vector<std::string>> list_card_ids(const std::string& merchant_id, std::int64_t offset,
                                                 std::int64_t limit);
  Result<std::int64_t> count_cards(const std::string& merchant_id);

 private:
  Connection& db_;
};

}  // namespace issuerd::storage
