// The AdPos bulk issuing task (POST /cards/apply): the validated request is stored with the
// task, and this durable job issues its cards one by one in the writer's transaction.
//
// Per card, inside its own savepoint: issue the card (origin "adpos"), fund a standard card
// with every_card_top_up_amount from the main account (or give a shared card its cap over
// the main account), set the auto top-up rule and the single-transaction limit (a
// TRANSACTION/PURCHASE spend control). A card that cannot be completed (the main account
// ran short since the request was accepted, no unused PAN) is rolled back alone and recorded
// as a failed item with its reason; the others go on. Then the task's status: completed,
// partially_failed or failed. A database error fails the whole run, which the JobRunner
// retries; nothing of it stays, so a card is never issued twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/keys.h"
#include "storage/store.h"

namespace issuerd::jobs {

inline constexpr const char* adpos_task_job = "adpos_task";

// The request as validated by the API, stored in adpos_tasks.request_json.
struct AdposCardRequest {
  std::int64_t num = 0;
  std::string card_type;  // standard | shared
  std::string card_product_id;
  std::string card_bin;  // "N:BIN" as sent
  std::string currency;  // the product's
  std::int64_t every_card_top_up_minor = 0;  // standard cards only
  std::optional<std::string> username;
  // Auto top-up (nullopt: off): below min, a standard card gets amount from the main
  // account; a shared card's remaining cap is reset to amount (require_balance).
  std::optional<std::int64_t> auto_topup_min_minor;
  std::optional<std::int64_t> auto_topup_amount_minor;
  std::optional<std::int64_t> shared_cap_minor;  // shared cards; nullopt: unlimited
  std::optional<std::int64_t> single_transaction_limit_minor;  // nullopt: unlimited
};

std::string to_json_text(const AdposCardRequest& request);
Result<AdposCardRequest> adpos_request_from_json(std::string_view text);

// The user_xid of the holder that receives cards applied for without a username: empty, so
// that no holder created through another dialect (which requires a user_xid) can be it.
inline constexpr const char* adpos_default_user_xid = "";

Status process_adpos_task(storage::Store& store, const crypto::PlatformKeys& keys, const storage::JobRecord& job,
                          std::int64_t now_ms);

}  // namespace issuerd::jobs
