// The typed store: every table's reads and writes, written once in SQL that SQLite and
// PostgreSQL both accept, over one Connection. It does no business checks: domain/ and
// engine/ decide, the Store persists. A Store is used by one thread at a time, like its
// Connection.
//
// Lookups return Result<std::optional<T>>: nullopt on a miss, an Error only when the
// database failed. Writers return Status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ledger.h"
#include "storage/connection.h"
#include "storage/adpos_store.h"
#include "storage/authorization_store.h"
#include "storage/card_store.h"
#include "storage/job_store.h"
#include "storage/outbox_store.h"
#include "storage/quota_store.h"
#include "storage/write_behind.h"

namespace issuerd::storage {

struct MerchantRecord {
  std::string merchant_id;
  std::string name;
  std::string api_key_hash;
  std::optional<std::string> public_key;  // Base64 DER
  std::optional<std::string> webhook_url;
  std::string status;                     // "active"
  std::int64_t created_at_ms = 0;
};

struct CardProductRecord {
  std::string card_product_id;
  std::string name;
  std::string bin;
  std::string network;     // visa | mastercard
  std::string currency;
  std::string card_level;
  std::string form;        // virtual | physical
  std::string over_limit_fee_rate_daily;  // decimal text
  std::int64_t expiry_years = 3;
  std::vector<std::string> merchant_ids;  // empty: open to every merchant
  std::int64_t created_at_ms = 0;
  std::string capture_tolerance_rate = "0";  // decimal text: a capture may exceed the hold by this share
  std::string fx_fee_rate = "0";             // decimal text: charged on converted amounts
};

struct CurrencyTotal {
  std::string currency;
  std::int64_t balance_sum_minor = 0;
};

class Store {
 public:
  // `write_behind`: the writer's cache of hot rows (write_behind.h); readers have none.
  explicit Store(Connection& connection, WriteBehind* write_behind = nullptr)
      : db_(connection), write_behind_(write_behind) {}
  Connection& connection() { return db_; }

  // Tables of one area each, on the same connection (and so the same transaction).
  AdposStore adpos() { return AdposStore(db_); }
  AuthorizationStore authorizations() { return AuthorizationStore(db_, write_behind_); }
  CardStore cards() { return CardStore(db_, write_behind_); }
  JobStore jobs() { return JobStore(db_); }
  OutboxStore outbox() { return OutboxStore(db_, write_behind_); }
  QuotaStore quotas() { return QuotaStore(db_, write_behind_); }

  // ---- the writer's cache (write_behind.h) ----
  // While hot, the cached tables are served from memory and their inserts are buffered.
  void set_hot(bool hot);
  // Writes the buffered inserts.
  Status flush_buffered_inserts();
  // Writes the buffered inserts and the dirty cached rows; the cache stays valid.
  Status write_back();
  // The same, then commits (Connection::send_commit: on PostgreSQL without waiting; the
  // outcome comes from the connection's finish_commit()). If the commit fails, the caller
  // must drop the cache, which holds what the transaction wrote.
  void write_back_and_send_commit();
  // Forgets the cache (when the transaction failed, or to bound memory).
  void drop_cache();
  // Loads every card, spend control, budget quota, account and merchant's webhook flag at
  // once (a few queries instead of several per card on first use); once after each drop.
  Status warm_cache();
  // Looks the keys up in one query per scope and route, for find_idempotent_response while
  // hot; on `from` when given (a connection that sees only committed rows: keys the previous
  // batch looked up or stored are taken from the cache instead). For a new batch the cache
  // then knows only these keys (and keeps the previous batch's aside); with
  // `joining_batch`, for commands that join the batch being applied, it adds them to those
  // it knows.
  Status prefetch_idempotent_responses(std::vector<IdempotencyKeyRef> keys, Connection* from = nullptr,
                                       bool joining_batch = false);
  // Changes made through the cache so far (a hot command that fails must have made none).
  std::uint64_t cache_mutations() const { return write_behind_ ? write_behind_->mutations : 0; }
  // Deliverable callbacks this writer's Store has inserted so far (0 for readers).
  std::uint64_t deliverable_callbacks_inserted() const {
    return write_behind_ ? write_behind_->deliverable_callbacks_inserted : 0;
  }
  std::size_t cached_card_count() const { return write_behind_ ? write_behind_->cards.size() : 0; }

  // Merchants
  Status insert_merchant(const MerchantRecord& merchant);
  Result<std::optional<MerchantRecord>> find_merchant(const std::string& merchant_id);
  Result<std::optional<MerchantRecord>> find_merchant_by_api_key_hash(const std::string& api_key_hash);
  Result<std::vector<MerchantRecord>> list_merchants(std::int64_t offset, std::int64_t limit);
  Result<std::int64_t> count_merchants();
  Status set_merchant_webhook(const std::string& merchant_id, const std::string& url);
  // Whether callbacks to this merchant have somewhere to go (false for an unknown merchant).
  Result<bool> merchant_has_webhook(const std::string& merchant_id);

  // Ledger accounts: find one, or create it with zero balances.
  Result<std::optional<domain::Account>> find_account(domain::AccountKind kind, const std::string& owner_id,
                                                      const std::string& currency);
  Result<domain::Account> find_or_create_account(domain::AccountKind kind, const std::string& owner_id,
                                                 const std::string& currency, std::int64_t now_ms);
  Result<std::vector<domain::Account>> accounts_of_owner(domain::AccountKind kind, const std::string& owner_id);
  // Writes balance_minor and held_minor of an existing account.
  Status save_account(const domain::Account& account);
  Status insert_transfer(const domain::Transfer& transfer);
  Status set_transfer_status(const std::string& transfer_id, domain::TransferStatus status);
  Result<std::optional<domain::Transfer>> find_transfer(const std::string& transfer_id);

  // Ledger invariants, for tests and the operator: balances summed per currency (each must
  // be zero); accounts that may not go negative but are; and accounts whose stored balance
  // differs from the sum of their posted transfers.
  Result<std::vector<CurrencyTotal>> balance_totals_by_currency();
  Result<std::int64_t> count_forbidden_negative_accounts();
  Result<std::int64_t> count_accounts_disagreeing_with_transfers();
  // Transfers whose debit or credit account does not exist: the schema keeps no foreign key
  // there (migration 0008), the writer guarantees it and this checks it.
  Result<std::int64_t> count_transfers_with_unknown_accounts();

  // Card products
  Status insert_card_product(const CardProductRecord& product);
  Result<std::vector<CardProductRecord>> list_card_products();
  Result<std::optional<CardProductRecord>> find_card_product(const std::string& card_product_id);

  // Idempotency
  Result<std::optional<StoredResponse>> find_idempotent_response(const std::string& scope, const std::string& route,
                                                                 const std::string& key);
  Status insert_idempotent_response(const std::string& scope, const std::string& route, const std::string& key,
                                    const StoredResponse& response, std::int64_t now_ms);
  // For a key its authorization keeps (keys_kept_on_authorizations), stored with that row:
  // the rest of the batch learns the response, and nothing more is written.
  void remember_idempotent_response(const std::string& scope, const std::string& route, const std::string& key,
                                    const StoredResponse& response);

  // Nonces: false when (merchant, nonce) was already used and has not expired.
  Result<bool> claim_nonce(const std::string& merchant_id, const std::string& nonce, std::int64_t expires_at_ms,
                           std::int64_t now_ms);

 private:
  // Whether keys of `route` may be in idempotency_keys, asked on `db`: always for the routes
  // that store them there; for the one authorizations keep, only if an issuerd before
  // migration 0010 stored some (legacy_idempotency_routes).
  Result<bool> stored_keys_possible(Connection& db, const std::string& route);
  // With a cache: adds every key stored in the database to its filter, once (on `db`).
  Status complete_key_filter(Connection& db);
  // The cache's filter, once complete, rules the key out: it is stored nowhere.
  bool surely_unstored(const std::string& scope, const std::string& route, const std::string& key) const;
  Result<std::vector<Row>> query(std::string_view sql, std::initializer_list<SqlValue> params);
  Result<std::int64_t> execute(std::string_view sql, std::initializer_list<SqlValue> params);
  WriteBehind* hot() const { return write_behind_ != nullptr && write_behind_->hot ? write_behind_ : nullptr; }
  Result<std::optional<domain::Account>> load_account(domain::AccountKind kind, const std::string& owner_id,
                                                      const std::string& currency);
  Status write_account(const domain::Account& account);
  // The buffered inserts and the dirty cached rows as statements with their values; the
  // buffers and the dirty sets are empty afterwards.
  StatementBatch take_write_back();
  // Appends the UPDATEs of the dirty cached `rows` (key first, then BIGINT columns) and
  // moves the values they need into the batch: on PostgreSQL one statement whose
  // parameters are one array per column, on SQLite multi-row UPDATEs in chunks.
  void append_update_statements(StatementBatch& batch, std::vector<SqlValue> rows, const char* table,
                                const std::vector<const char*>& key_then_columns) const;
  Connection& db_;
  WriteBehind* write_behind_;
};

}  // namespace issuerd::storage
