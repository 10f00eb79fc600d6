#include "storage/authorization_store.h"

#include "common/assert.h"
#include "storage/buffered_tables.h"
#include "storage/sql_values.h"
#include "storage/write_behind.h"

namespace issuerd::storage {

namespace {

constexpr const char* columns = authorizations_table.columns;

AuthorizationRecord from_row(const Row& r) {
  AuthorizationRecord a;
  a.authorization_id = r.text(0);
  a.merchant_id = r.text(1);
  a.card_id = r.text(2);
  a.status = r.text(3);
  a.state = r.text(4);
  a.transaction_type = r.text(5);
  a.currency = r.text(6);
  a.amount_minor = r.integer(7);
  a.fx_fee_minor = r.integer(8);
  a.original_amount_minor = r.integer(9);
  a.original_currency = r.text(10);
  a.fx_rate = r.optional_text(11);
  a.held_minor = r.integer(12);
  a.captured_minor = r.integer(13);
  a.refunded_minor = r.integer(14);
  a.counted_minor = r.integer(15);
  a.response_code = r.text(16);
  a.decline_reason = r.optional_text(17);
  a.merchant_name = r.optional_text(18);
  a.merchant_mcc = r.optional_text(19);
  a.merchant_country = r.optional_text(20);
  a.card_present = r.integer(21) != 0;
  a.funding_kind = r.text(22);
  a.funding_owner_id = r.text(23);
  a.hold_transfer_id = r.optional_text(24);
  a.detail_id = r.text(25);
  a.created_at_ms = r.integer(26);
  a.updated_at_ms = r.integer(27);
  a.charge_minor = r.integer(28);
  a.posted_at_ms = r.optional_integer(29);
  if (!r.is_null(31)) a.idempotency = IdempotencyStamp{r.text(30), r.text(31), r.text(32)};
  a.available_after_minor = r.optional_integer(33);
  return a;
}

}  // namespace

Status AuthorizationStore::insert(const AuthorizationRecord& a) {
  if (cache_ != nullptr && a.idempotency) cache_->stored_keys.add(a.idempotency->scope, authorization_key_route, a.idempotency->key);
  if (cache_ == nullptr || !cache_->serving()) {
    if (cache_ != nullptr) cache_->forget_windows(a.card_id, a.transaction_type);
    return insert_row(db_, authorizations_table, authorization_row(a));
  }
  cache_->authorizations.add(authorization_row(a));
  ++cache_->mutations;
  // Keep the cached usage of every window this authorization falls in.
  if (auto windows = cache_->windows.find(window_key(a.card_id, a.transaction_type)); windows != cache_->windows.end()) {
    for (WindowUsage& window : windows->second) {
      if (a.created_at_ms >= window.start_ms && a.created_at_ms < window.end_ms) window.used_minor += a.counted_minor;
    }
  }
  return Status::success();
}

Status AuthorizationStore::update(const AuthorizationRecord& a) {
  if (cache_ != nullptr) {
    ISSUERD_ASSERT(!cache_->serving());  // hot commands only add authorizations
    cache_->forget_windows(a.card_id, a.transaction_type);
  }
  ISSUERD_TRY(run_execute(db_,
                          "UPDATE authorizations SET state = ?, held_minor = ?, captured_minor = ?, refunded_minor = ?, "
                          "counted_minor = ?, hold_transfer_id = ?, updated_at_ms = ?, charge_minor = ?, posted_at_ms = ? "
                          "WHERE authorization_id = ?",
                          {a.state, a.held_minor, a.captured_minor, a.refunded_minor, a.counted_minor,
                           nullable(a.hold_transfer_id), a.updated_at_ms, a.charge_minor, nullable(a.posted_at_ms),
                           a.authorization_id}));
  return Status::success();
}

Result<std::optional<AuthorizationRecord>> AuthorizationStore::find(const std::string& authorization_id) {
  if (cache_ != nullptr && cache_->serving()) ISSUERD_TRY(cache_->authorizations.flush(db_));
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + columns +
                                               " FROM authorizations WHERE authorization_id = ?",
                                      {authorization_id}));
  if (rows.empty()) return std::optional<AuthorizationRecord>();
  return std::optional<AuthorizationRecord>(from_row(rows[0]));
}

Result<std::int64_t> AuthorizationStore::counted_in_window(const std::string& card_id,
                                                           const std::string& transaction_type, std::int64_t from_ms,
                                                           std::int64_t to_ms) {
  std::vector<WindowUsage>* cached = nullptr;
  if (cache_ != nullptr && cache_->serving()) {
    cached = &cache_->windows[window_key(card_id, transaction_type)];
    for (const WindowUsage& window : *cached) {
      if (window.start_ms == from_ms && window.end_ms == to_ms) return window.used_minor;
    }
    // Windows over before this one starts are not asked for again (and if a test clock goes
    // back, they are summed again): forgetting them keeps the cache from growing by a window
    // a day per card.
    std::erase_if(*cached, [from_ms](const WindowUsage& window) { return window.end_ms <= from_ms; });
    // The sum must see this batch's authorizations of the card.
    ISSUERD_TRY(cache_->authorizations.flush(db_));
  }
  ISSUERD_ASSIGN(auto rows, run_query(db_,
                                      "SELECT COALESCE(SUM(counted_minor), 0) FROM authorizations WHERE card_id = ? "
                                      "AND created_at_ms >= ? AND created_at_ms < ? AND transaction_type = ?",
                                      {card_id, from_ms, to_ms, transaction_type}));
  const std::int64_t used_minor = rows[0].integer(0);
  if (cached != nullptr) cached->push_back(WindowUsage{from_ms, to_ms, used_minor});
  return used_minor;
}

Result<std::optional<std::string>> AuthorizationStore::fx_rate(const std::string& base, const std::string& quote) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT rate FROM fx_rates WHERE base_currency = ? AND quote_currency = ?",
                                      {base, quote}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].text(0));
}

Status AuthorizationStore::upsert_fx_rate(const std::string& base, const std::string& quote, const std::string& rate,
                                          std::int64_t now_ms) {
  ISSUERD_TRY(run_execute(db_,
                          "INSERT INTO fx_rates (base_currency, quote_currency, rate, updated_at_ms) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (base_currency, quote_currency) DO UPDATE SET rate = excluded.rate, "
                          "updated_at_ms = excluded.updated_at_ms",
                          {base, quote, rate, now_ms}));
  return Status::success();
}

}  // namespace issuerd::storage
