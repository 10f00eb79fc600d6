#include "storage/write_behind.h"

#include <iterator>
#include <span>

#include "common/assert.h"

namespace issuerd::storage {

void InsertBuffer::add_values(std::span<SqlValue> row) {
  ISSUERD_ASSERT(row.size() == shape_.column_count);
  values_.insert(values_.end(), std::make_move_iterator(row.begin()), std::make_move_iterator(row.end()));
  ++rows_;
}

void InsertBuffer::append_statements(std::vector<Statement>& out) const {
  if (rows_ == 0) return;
  append_chunk_statements(out, values_, shape_.column_count,
                          [this](std::size_t rows) { return multi_row_insert_sql(shape_, rows); });
}

Status InsertBuffer::flush(Connection& db) {
  InsertBuffer* const self[] = {this};
  return flush_buffers(db, self);
}

void run_on_generic_plans(Dialect dialect, std::vector<Statement>& statements) {
  if (dialect != Dialect::postgres || statements.empty()) return;
  statements.insert(statements.begin(), Statement{"SET LOCAL plan_cache_mode = force_generic_plan", {}});
  statements.push_back(Statement{"SET LOCAL plan_cache_mode = force_custom_plan", {}});
}

Status flush_buffers(Connection& db, std::span<InsertBuffer* const> buffers) {
  std::vector<Statement> statements;
  for (const InsertBuffer* buffer : buffers) buffer->append_statements(statements);
  run_on_generic_plans(db.dialect(), statements);
  ISSUERD_TRY(db.execute_all(statements));
  for (InsertBuffer* buffer : buffers) buffer->clear();
  return Status::success();
}

std::vector<SqlValue> InsertBuffer::take_values() {
  std::vector<SqlValue> values = std::move(values_);
  clear();
  // The next batch is likely about as large: one allocation, not a doubling series that moves
  // every value buffered so far each time.
  values_.reserve(values.size());
  return values;
}

void InsertBuffer::clear() {
  values_.clear();
  rows_ = 0;
}

WriteBehind::WriteBehind()
    : transfers(transfers_table),
      authorizations(authorizations_table),
      card_transactions(card_transactions_table),
      outbox(outbox_table),
      idempotency_keys(idempotency_keys_table) {}

bool WriteBehind::buffers_empty() const {
  return transfers.empty() && authorizations.empty() && card_transactions.empty() && outbox.empty() &&
         idempotency_keys.empty();
}

void WriteBehind::drop() {
  for (InsertBuffer* buffer : {&transfers, &authorizations, &card_transactions, &outbox, &idempotency_keys}) {
    buffer->clear();
  }
  accounts.clear();
  dirty_accounts.clear();
  cards.clear();
  card_id_by_pan_hash.clear();
  dirty_cards.clear();
  controls.clear();
  windows.clear();
  quotas.clear();
  merchant_has_webhook.clear();
  controls_complete = false;
  controls_stale.clear();
  warmed = false;
  idempotency.clear();
  idempotency_of_previous_batch.clear();
}

void WriteBehind::forget_controls(const std::string& card_id) {
  controls.erase(card_id);
  if (controls_complete) controls_stale.insert(card_id);
}

void WriteBehind::forget_windows(const std::string& card_id, const std::string& transaction_type) {
  windows.erase(window_key(card_id, transaction_type));
}

void WriteBehind::forget_account(domain::AccountKind kind, const std::string& owner_id, const std::string& currency) {
  accounts.erase(account_key(kind, owner_id, currency));
}

void WriteBehind::forget_idempotency_key(const std::string& scope, const std::string& route, const std::string& key) {
  const std::string cache_key = idempotency_cache_key(scope, route, key);
  idempotency.erase(cache_key);
  idempotency_of_previous_batch.erase(cache_key);
}

std::string account_key(domain::AccountKind kind, const std::string& owner_id, const std::string& currency) {
  std::string key(domain::account_kind_name(kind));
  key.append(1, '\x1f').append(owner_id).append(1, '\x1f').append(currency);
  return key;
}

std::string window_key(const std::string& card_id, const std::string& transaction_type) {
  return card_id + '\x1f' + transaction_type;
}

std::string idempotency_cache_key(const std::string& scope, const std::string& route, const std::string& key) {
  std::string joined = scope;
  joined.append(1, '\x1f').append(route).append(1, '\x1f').append(key);
  return joined;
}

}  // namespace issuerd::storage
