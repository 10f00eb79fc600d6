// The writer's hot rows (issue #8). An authorization used to cost about 17 statements;
// with this cache it costs none until the end of its batch. While the Store is "hot" (the
// writer sets it for simulator authorizations only):
// - cards, spend controls, window usage, budget quotas and ledger accounts are served from
//   memory once loaded, and changes to accounts and cards are kept as dirty rows;
// - inserts into transfers, authorizations, card_transactions, outbox and idempotency_keys
//   are buffered and written as multi-row INSERTs;
// - idempotency keys of the batch were looked up in one query before it started.
// Before the batch commits, the writer writes back the buffers and the dirty rows. Any other
// command first gets the buffers written (outside its savepoint, so its rollback cannot
// take them along) and, unless it declares that it touches none of these rows, the dirty
// rows too: it then reads and writes the database itself, and each row it writes through
// the Store is forgotten here (forget_*), to be read again by the next hot command.
// The first hot command after a drop warms the cache in bulk (Store::warm_cache).
// The cache is only trusted while every change to its rows goes through the Store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/ledger.h"
#include "storage/buffered_tables.h"
#include "storage/card_store.h"
#include "storage/connection.h"
#include "storage/key_filter.h"
#include "storage/quota_store.h"

namespace issuerd::storage {

struct IdempotencyKeyRef {
  std::string scope;
  std::string route;
  std::string key;
};

// Rows for one table, written with as few statements as possible (append_chunk_statements).
class InsertBuffer {
 public:
  explicit InsertBuffer(const TableShape& shape) : shape_(shape) {}
  // Moves the row's values in (a row of the buffer's table: buffered_tables.h).
  template <std::size_t columns>
  void add(std::array<SqlValue, columns>&& row) {
    add_values(row);
  }
  bool empty() const { return rows_ == 0; }
  // The INSERTs of every buffered row; valid until the buffer changes.
  void append_statements(std::vector<Statement>& out) const;
  // Hands the buffered values over (the statements above point into them) and empties the buffer.
  std::vector<SqlValue> take_values();
  Status flush(Connection& db);  // empties the buffer when every row was written
  void clear();

 private:
  void add_values(std::span<SqlValue> row);

  TableShape shape_;
  std::size_t rows_ = 0;
  std::vector<SqlValue> values_;
};

// On PostgreSQL, brackets the statements with SET LOCAL plan_cache_mode so that they run on
// generic plans (the session otherwise forces custom ones); nothing on SQLite. For the
// write-back's statements, whose plans never depend on their values: a multi-row INSERT has
// only one plan, and planning its hundreds of parameters each time was a large part of the
// server's time.
void run_on_generic_plans(Dialect dialect, std::vector<Statement>& statements);

// Writes the buffers' rows (one round trip on PostgreSQL) and empties them once written.
Status flush_buffers(Connection& db, std::span<InsertBuffer* const> buffers);

// What a card has used of one transaction type in one window.
struct WindowUsage {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::int64_t used_minor = 0;
};

struct WriteBehind {
  WriteBehind();

  bool hot = false;             // the Store serves the cached tables from here
  std::uint64_t mutations = 0;  // changes made through the cache: a failing hot command must make none
  // Callbacks inserted as deliverable (a merchant with a webhook), ever, cached or not: the
  // writer wakes the deliverer after a batch that added some. Kept by drop().
  std::uint64_t deliverable_callbacks_inserted = 0;

  // Buffered inserts, flushed in this order.
  InsertBuffer transfers;
  InsertBuffer authorizations;
  InsertBuffer card_transactions;
  InsertBuffer outbox;
  InsertBuffer idempotency_keys;

  std::unordered_map<std::string, domain::Account> accounts;  // account_key()
  std::unordered_set<std::string> dirty_accounts;
  std::unordered_map<std::string, CardRecord> cards;  // card_id
  std::unordered_map<std::string, std::string> card_id_by_pan_hash;
  std::unordered_set<std::string> dirty_cards;
  std::unordered_map<std::string, std::vector<SpendControlRecord>> controls;  // card_id
  // After warm-up every card's controls are here, so a card missing from `controls` has
  // none, unless a change made them stale.
  bool controls_complete = false;
  std::unordered_set<std::string> controls_stale;
  bool warmed = false;  // warm_cache() ran since the last drop
  std::unordered_map<std::string, std::vector<WindowUsage>> windows;          // window_key()
  std::unordered_map<std::string, BudgetQuotaRecord> quotas;                  // share_quota_id
  std::unordered_map<std::string, bool> merchant_has_webhook;                 // merchant_id
  // This batch's idempotency keys: looked up before it started (or as commands joined it),
  // or stored during it.
  std::unordered_map<std::string, std::optional<StoredResponse>> idempotency;
  // The previous batch's, kept until the next batch's lookup: while that batch's commit is in
  // flight (PostgreSQL) this is all there is of its keys, for commands that join this one.
  std::unordered_map<std::string, std::optional<StoredResponse>> idempotency_of_previous_batch;
  // Whether idempotency_keys holds keys of the route authorizations keep, from before they
  // kept them (migration 0010): asked once, as it can only stay as it is. Kept by drop().
  std::optional<bool> legacy_authorization_keys;
  // Every idempotency key this Store wrote (buffered or not, committed or not), and once
  // stored_keys_complete, every key the database held when the Store first looked one up
  // (Store::complete_key_filter): a key it rules out needs no lookup. Kept by drop().
  KeyFilter stored_keys;
  bool stored_keys_complete = false;

  bool buffers_empty() const;
  bool serving() const { return hot; }

  // Outside hot commands the database is written directly; each write forgets what the
  // cache held of that row (forgetting is right whether or not the write is rolled back).
  void forget_card(const std::string& card_id) { cards.erase(card_id); }
  void forget_controls(const std::string& card_id);
  void forget_windows(const std::string& card_id, const std::string& transaction_type);
  void forget_account(domain::AccountKind kind, const std::string& owner_id, const std::string& currency);
  void forget_quota(const std::string& share_quota_id) { quotas.erase(share_quota_id); }
  void forget_merchant(const std::string& merchant_id) { merchant_has_webhook.erase(merchant_id); }
  void forget_idempotency_key(const std::string& scope, const std::string& route, const std::string& key);
  // Forgets every cached row and buffered insert (after write-back, or after a failed
  // transaction whose writes are gone anyway).
  void drop();
  // Rows cached beyond this are dropped at the end of a batch, to bound memory.
  static constexpr std::size_t cached_cards_max = 200'000;
};

std::string account_key(domain::AccountKind kind, const std::string& owner_id, const std::string& currency);
std::string window_key(const std::string& card_id, const std::string& transaction_type);
std::string idempotency_cache_key(const std::string& scope, const std::string& route, const std::string& key);

}  // namespace issuerd::storage
