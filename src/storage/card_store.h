// Card holders, applications, cards, spend controls, card orders, card transactions and
// one-time sensitive-info tokens. Every lookup that an API exposes takes the calling
// merchant, so another merchant's object is simply not found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::storage {

struct WriteBehind;  // write_behind.h

struct CardHolderRecord {
  std::string user_id;
  std::string merchant_id;
  std::string user_xid;
  std::optional<std::string> email;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::string details_json = "{}";
  std::string kyc_status;  // PASSED | PENDING | REJECTED
  std::string status;      // ACTIVE | DISABLED
  std::int64_t created_at_ms = 0;
};

struct CardApplicationRecord {
  std::string apply_id;
  std::string merchant_id;
  std::string request_id;
  std::string kind;  // apply | replace
  std::string user_id;
  std::string card_product_id;
  std::string card_level;
  std::string phone_number;
  std::string phone_area_code;
  std::optional<std::string> embossed_name;
  std::optional<std::string> share_quota_id;
  std::optional<std::string> original_card_id;
  std::optional<std::string> replace_reason;
  std::string apply_status;  // APPLYING | AUDIT_PASS | AUDIT_REFUSE
  std::optional<std::string> card_id;
  std::optional<std::string> refuse_reason;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct CardRecord {
  std::string card_id;
  std::string merchant_id;
  std::string user_id;
  std::string card_product_id;
  std::string card_level;
  std::string network;
  std::string form;  // virtual | physical
  std::string currency;
  std::string pan_sealed;
  std::string pan_lookup_hash;
  std::string pan_first6;
  std::string pan_last4;
  std::int64_t expiry_month = 0;
  std::int64_t expiry_year = 0;
  std::optional<std::string> embossed_name;
  std::string phone_number;
  std::string phone_area_code;
  std::string card_status;
  std::optional<std::string> status_reason;
  std::optional<std::string> replaced_by_card_id;
  std::optional<std::string> replaces_card_id;
  bool enable_present_transaction = true;
  bool enable_no_present_transaction = true;
  std::optional<std::string> pin_block_sealed;
  std::string funding_kind;  // card_balance | budget_quota | merchant_main
  std::optional<std::string> share_quota_id;
  std::int64_t issued_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // The card's spending cap (shared-quota and shared cards): nullopt means no cap.
  std::optional<std::int64_t> cap_limit_minor;
  std::int64_t cap_used_minor = 0;
  std::string origin = "musepay";  // the dialect that issued it: musepay | hashdt | adpos
  // Auto top-up (AdPos): below `min`, a standard card receives `amount` from the main
  // account; a capped card's remaining cap is reset to `amount`. nullopt: off.
  std::optional<std::int64_t> auto_topup_min_minor;
  std::optional<std::int64_t> auto_topup_amount_minor;
};

struct SpendControlRecord {
  std::string card_id;
  std::string transaction_type;  // PURCHASE | ATM_CASH_WITHDRAWAL
  std::string period;            // DAY | WEEK | MONTH | YEAR | LIFETIME | TRANSACTION
  std::int64_t amount_limit_minor = 0;
  std::string currency;
  bool active = true;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct CardOrderRecord {
  std::string order_no;
  std::string merchant_id;
  std::string card_id;
  std::string request_id;
  std::string kind;  // TOP_UP
  std::int64_t amount_minor = 0;
  std::int64_t fee_minor = 0;
  std::string currency;
  std::string status;  // PENDING | SUCCESS | FAILED
  std::optional<std::string> transfer_id;
  std::int64_t created_at_ms = 0;
};

struct CardTransactionRecord {
  std::string detail_id;
  std::string merchant_id;
  std::string card_id;
  std::string user_id;
  std::string tx_type;    // CHARGE | REFUND | TOP_UP | FEE | ...
  std::string tx_status;  // INIT | PENDING | POSTED | REJECT | CANCELED
  std::int64_t amount_minor = 0;
  std::string currency;
  std::optional<std::string> order_no;
  std::optional<std::string> merchant_name;
  std::optional<std::string> merchant_mcc;
  std::optional<std::string> merchant_country;
  std::optional<std::string> merchant_category;
  std::optional<std::int64_t> auth_amount_minor;
  std::optional<std::string> auth_currency;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> posted_at_ms;
};

// A TOP_UP card transaction (POSTED, or REJECT for a top-up that could not be made).
CardTransactionRecord top_up_transaction(const std::string& detail_id, const CardRecord& card,
                                         std::int64_t amount_minor, bool posted, std::optional<std::string> order_no,
                                         std::int64_t now_ms);

// Filters of /v1/cardaccount/transactions; empty strings and zero times are "any".
struct CardTransactionFilter {
  std::string merchant_id;  // required
  std::string card_id;      // required
  std::string order_no;
  std::string detail_id;
  std::string tx_status;
  std::string tx_type;
  std::int64_t created_from_ms = 0;
  std::int64_t created_to_ms = 0;
};

struct SensitiveTokenRecord {
  std::string token_hash;
  std::string merchant_id;
  std::string card_id;
  std::string ip_address;
  std::int64_t expires_at_ms = 0;
  std::optional<std::int64_t> used_at_ms;
};

class CardStore {
 public:
  // `cache`: the writer's hot rows (write_behind.h): served while it is hot, and forgotten
  // when written otherwise; nullptr for readers.
  explicit CardStore(Connection& connection, WriteBehind* cache = nullptr) : db_(connection), cache_(cache) {}

  // Holders
  Status insert_holder(const CardHolderRecord& holder);
  Result<std::optional<CardHolderRecord>> find_holder(const std::string& merchant_id, const std::string& user_id);
  Result<std::optional<CardHolderRecord>> find_holder_by_xid(const std::string& merchant_id, const std::string& user_xid);
  Result<std::vector<CardHolderRecord>> find_holders_by_email(const std::string& merchant_id, const std::string& email);

  // Applications
  Status insert_application(const CardApplicationRecord& application);
  Status update_application(const CardApplicationRecord& application);  // status, card_id, refuse_reason, updated_at
  Result<std::optional<CardApplicationRecord>> find_application(const std::string& apply_id);
  Result<std::optional<CardApplicationRecord>> find_application_by_request(const std::string& merchant_id,
                                                                           const std::string& kind,
                                                                           const std::string& request_id);

  // Cards
  Status insert_card(const CardRecord& card);
  Status update_card(const CardRecord& card);  // every mutable column
  Result<std::optional<CardRecord>> find_card(const std::string& merchant_id, const std::string& card_id);
  Result<std::optional<CardRecord>> find_card_by_pan_hash(const std::string& pan_lookup_hash);
  // Any merchant's card: for the operator and the network, never for a merchant's request.
  Result<std::optional<CardRecord>> find_card_by_id(const std::string& card_id);
  // Cards of this holder and product that are not CANCELED (the one-card-per-product rule).
  Result<std::int64_t> count_live_cards(const std::string& merchant_id, const std::string& user_id,
                                        const std::string& card_product_id);

  // Spend controls
  Result<std::optional<SpendControlRecord>> find_control(const std::string& card_id, const std::string& transaction_type,
                                                         const std::string& period);
  Result<std::vector<SpendControlRecord>> list_controls(const std::string& card_id);
  // Loads every card and spend control into the writer's cache (see Store::warm_cache).
  Status warm(WriteBehind& cache);
  // Inserts, or replaces amount/currency/active of the existing (card, type, period).
  Status upsert_control(const SpendControlRecord& control);
  Status delete_control(const std::string& card_id, const std::string& transaction_type, const std::string& period);

  // Orders and transactions
  Status insert_order(const CardOrderRecord& order);
  Result<std::optional<CardOrderRecord>> find_order(const std::string& merchant_id, const std::string& order_no);
  Status insert_transaction(const CardTransactionRecord& transaction);
  Result<std::vector<CardTransactionRecord>> list_transactions(const CardTransactionFilter& filter, std::int64_t offset,
                                                               std::int64_t limit);
  Result<std::int64_t> count_transactions(const CardTransactionFilter& filter);

  // One-time tokens
  Status insert_sensitive_token(const SensitiveTokenRecord& token);
  Result<std::optional<SensitiveTokenRecord>> find_sensitive_token(const std::string& token_hash);
  // Marks it used; false when it was already used (so two concurrent fetches cannot both win).
  Result<bool> use_sensitive_token(const std::string& token_hash, std::int64_t now_ms);

 private:
  Connection& db_;
  WriteBehind* cache_;
};

}  // namespace issuerd::storage
