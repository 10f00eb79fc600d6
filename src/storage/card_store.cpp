#include "storage/card_store.h"

#include "common/assert.h"
#include "storage/buffered_tables.h"
#include "storage/sql_values.h"
#include "storage/write_behind.h"

namespace issuerd::storage {

namespace {

constexpr const char* holder_columns =
    "user_id, merchant_id, user_xid, email, first_name, last_name, details_json, kyc_status, status, created_at_ms";

CardHolderRecord holder_from(const Row& r) {
  return CardHolderRecord{r.text(0), r.text(1), r.text(2), r.optional_text(3), r.optional_text(4),
                          r.optional_text(5), r.text(6), r.text(7), r.text(8), r.integer(9)};
}

constexpr const char* application_columns =
    "apply_id, merchant_id, request_id, kind, user_id, card_product_id, card_level, phone_number, phone_area_code, "
    "embossed_name, share_quota_id, original_card_id, replace_reason, apply_status, card_id, refuse_reason, "
    "created_at_ms, updated_at_ms";

CardApplicationRecord application_from(const Row& r) {
  return CardApplicationRecord{r.text(0),          r.text(1),          r.text(2),          r.text(3),
                               r.text(4),          r.text(5),          r.text(6),          r.text(7),
                               r.text(8),          r.optional_text(9), r.optional_text(10), r.optional_text(11),
                               r.optional_text(12), r.text(13),        r.optional_text(14), r.optional_text(15),
                               r.integer(16),      r.integer(17)};
}

constexpr const char* card_columns =
    "card_id, merchant_id, user_id, card_product_id, card_level, network, form, currency, pan_sealed, "
    "pan_lookup_hash, pan_first6, pan_last4, expiry_month, expiry_year, embossed_name, phone_number, "
    "phone_area_code, card_status, status_reason, replaced_by_card_id, replaces_card_id, "
    "enable_present_transaction, enable_no_present_transaction, pin_block_sealed, funding_kind, share_quota_id, "
    "issued_at_ms, updated_at_ms, cap_limit_minor, cap_used_minor, origin, auto_topup_min_minor, "
    "auto_topup_amount_minor";

CardRecord card_from(const Row& r) {
  CardRecord c;
  c.card_id = r.text(0);
  c.merchant_id = r.text(1);
  c.user_id = r.text(2);
  c.card_product_id = r.text(3);
  c.card_level = r.text(4);
  c.network = r.text(5);
  c.form = r.text(6);
  c.currency = r.text(7);
  c.pan_sealed = r.text(8);
  c.pan_lookup_hash = r.text(9);
  c.pan_first6 = r.text(10);
  c.pan_last4 = r.text(11);
  c.expiry_month = r.integer(12);
  c.expiry_year = r.integer(13);
  c.embossed_name = r.optional_text(14);
  c.phone_number = r.text(15);
  c.phone_area_code = r.text(16);
  c.card_status = r.text(17);
  c.status_reason = r.optional_text(18);
  c.replaced_by_card_id = r.optional_text(19);
  c.replaces_card_id = r.optional_text(20);
  c.enable_present_transaction = r.integer(21) != 0;
  c.enable_no_present_transaction = r.integer(22) != 0;
  c.pin_block_sealed = r.optional_text(23);
  c.funding_kind = r.text(24);
  c.share_quota_id = r.optional_text(25);
  c.issued_at_ms = r.integer(26);
  c.updated_at_ms = r.integer(27);
  c.cap_limit_minor = r.optional_integer(28);
  c.cap_used_minor = r.integer(29);
  c.origin = r.text(30);
  c.auto_topup_min_minor = r.optional_integer(31);
  c.auto_topup_amount_minor = r.optional_integer(32);
  return c;
}

constexpr const char* control_columns =
    "card_id, transaction_type, period, amount_limit_minor, currency, active, created_at_ms, updated_at_ms";

SpendControlRecord control_from(const Row& r) {
  return SpendControlRecord{r.text(0), r.text(1), r.text(2), r.integer(3), r.text(4), r.integer(5) != 0,
                            r.integer(6), r.integer(7)};
}

constexpr const char* order_columns =
    "order_no, merchant_id, card_id, request_id, kind, amount_minor, fee_minor, currency, status, transfer_id, "
    "created_at_ms";

CardTransactionRecord transaction_from(const Row& r) {
  return CardTransactionRecord{r.text(0),           r.text(1),           r.text(2),           r.text(3),
                               r.text(4),           r.text(5),           r.integer(6),        r.text(7),
                               r.optional_text(8),  r.optional_text(9),  r.optional_text(10), r.optional_text(11),
                               r.optional_text(12), r.optional_integer(13), r.optional_text(14), r.integer(15),
                               r.optional_integer(16)};
}

// A card's transactions: its own rows, and its authorizations as the CHARGE each shows as
// (migration 0009), the status following the authorization's state. The merchant and card
// are the first four parameters.
constexpr const char* transactions_of_card =
    " FROM (SELECT detail_id, merchant_id, card_id, user_id, tx_type, tx_status, amount_minor, currency, order_no, "
    "merchant_name, merchant_mcc, merchant_country, merchant_category, auth_amount_minor, auth_currency, "
    "created_at_ms, posted_at_ms FROM card_transactions WHERE merchant_id = ? AND card_id = ? "
    "UNION ALL SELECT a.detail_id, a.merchant_id, a.card_id, c.user_id, 'CHARGE', "
    "CASE a.state WHEN 'pending' THEN 'PENDING' WHEN 'captured' THEN 'POSTED' WHEN 'declined' THEN 'REJECT' "
    "ELSE 'CANCELED' END, a.charge_minor, a.currency, NULL, a.merchant_name, a.merchant_mcc, a.merchant_country, "
    "NULL, a.original_amount_minor, a.original_currency, a.created_at_ms, a.posted_at_ms "
    "FROM authorizations a JOIN cards c ON c.card_id = a.card_id WHERE a.merchant_id = ? AND a.card_id = ?) AS t";

// The WHERE clause of the other filters. Unused filters compare against themselves
// ('' = '' / 0 = 0) so one prepared statement serves every combination.
constexpr const char* transaction_where =
    " WHERE (? = '' OR order_no = ?) AND (? = '' OR detail_id = ?) "
    "AND (? = '' OR tx_status = ?) AND (? = '' OR tx_type = ?) AND (? = CAST(0 AS BIGINT) OR created_at_ms >= ?) "
    "AND (? = CAST(0 AS BIGINT) OR created_at_ms <= ?)";

std::vector<SqlValue> transaction_params(const CardTransactionFilter& f) {
  return {f.merchant_id, f.card_id, f.merchant_id, f.card_id, f.order_no, f.order_no, f.detail_id, f.detail_id,
          f.tx_status, f.tx_status, f.tx_type, f.tx_type, f.created_from_ms, f.created_from_ms, f.created_to_ms,
          f.created_to_ms};
}

}  // namespace

CardTransactionRecord top_up_transaction(const std::string& detail_id, const CardRecord& card,
                                         std::int64_t amount_minor, bool posted, std::optional<std::string> order_no,
                                         std::int64_t now_ms) {
  CardTransactionRecord tx;
  tx.detail_id = detail_id;
  tx.merchant_id = card.merchant_id;
  tx.card_id = card.card_id;
  tx.user_id = card.user_id;
  tx.tx_type = "TOP_UP";
  tx.tx_status = posted ? "POSTED" : "REJECT";
  tx.amount_minor = amount_minor;
  tx.currency = card.currency;
  tx.order_no = std::move(order_no);
  tx.created_at_ms = now_ms;
  if (posted) tx.posted_at_ms = now_ms;
  return tx;
}

// ---- holders ----

Status CardStore::insert_holder(const CardHolderRecord& h) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO card_holders (") + holder_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {h.user_id, h.merchant_id, h.user_xid, nullable(h.email), nullable(h.first_name),
                           nullable(h.last_name), h.details_json, h.kyc_status, h.status, h.created_at_ms}));
  return Status::success();
}

Result<std::optional<CardHolderRecord>> CardStore::find_holder(const std::string& merchant_id, const std::string& user_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + holder_columns +
                                               " FROM card_holders WHERE merchant_id = ? AND user_id = ?",
                                      {merchant_id, user_id}));
  if (rows.empty()) return std::optional<CardHolderRecord>();
  return std::optional<CardHolderRecord>(holder_from(rows[0]));
}

Result<std::optional<CardHolderRecord>> CardStore::find_holder_by_xid(const std::string& merchant_id,
                                                                      const std::string& user_xid) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + holder_columns +
                                               " FROM card_holders WHERE merchant_id = ? AND user_xid = ?",
                                      {merchant_id, user_xid}));
  if (rows.empty()) return std::optional<CardHolderRecord>();
  return std::optional<CardHolderRecord>(holder_from(rows[0]));
}

Result<std::vector<CardHolderRecord>> CardStore::find_holders_by_email(const std::string& merchant_id,
                                                                       const std::string& email) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + holder_columns +
                                               " FROM card_holders WHERE merchant_id = ? AND email = ? "
                                               "ORDER BY created_at_ms, user_id LIMIT 100",
                                      {merchant_id, email}));
  std::vector<CardHolderRecord> holders;
  for (const Row& row : rows) holders.push_back(holder_from(row));
  return holders;
}

// ---- applications ----

Status CardStore::insert_application(const CardApplicationRecord& a) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO card_applications (") + application_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {a.apply_id, a.merchant_id, a.request_id, a.kind, a.user_id, a.card_product_id,
                           a.card_level, a.phone_number, a.phone_area_code, nullable(a.embossed_name),
                           nullable(a.share_quota_id), nullable(a.original_card_id), nullable(a.replace_reason),
                           a.apply_status, nullable(a.card_id), nullable(a.refuse_reason), a.created_at_ms,
                           a.updated_at_ms}));
  return Status::success();
}

Status CardStore::update_application(const CardApplicationRecord& a) {
  ISSUERD_TRY(run_execute(db_, "UPDATE card_applications SET apply_status = ?, card_id = ?, refuse_reason = ?, "
                               "updated_at_ms = ? WHERE apply_id = ?",
                          {a.apply_status, nullable(a.card_id), nullable(a.refuse_reason), a.updated_at_ms, a.apply_id}));
  return Status::success();
}

Result<std::optional<CardApplicationRecord>> CardStore::find_application(const std::string& apply_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + application_columns +
                                               " FROM card_applications WHERE apply_id = ?",
                                      {apply_id}));
  if (rows.empty()) return std::optional<CardApplicationRecord>();
  return std::optional<CardApplicationRecord>(application_from(rows[0]));
}

Result<std::optional<CardApplicationRecord>> CardStore::find_application_by_request(const std::string& merchant_id,
                                                                                    const std::string& kind,
                                                                                    const std::string& request_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + application_columns +
                                               " FROM card_applications WHERE merchant_id = ? AND kind = ? AND "
                                               "request_id = ?",
                                      {merchant_id, kind, request_id}));
  if (rows.empty()) return std::optional<CardApplicationRecord>();
  return std::optional<CardApplicationRecord>(application_from(rows[0]));
}

// ---- cards ----

Status CardStore::insert_card(const CardRecord& c) {
  ISSUERD_TRY(run_execute(
      db_, std::string("INSERT INTO cards (") + card_columns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
               "?)",
      {c.card_id, c.merchant_id, c.user_id, c.card_product_id, c.card_level, c.network, c.form, c.currency,
       c.pan_sealed, c.pan_lookup_hash, c.pan_first6, c.pan_last4, c.expiry_month, c.expiry_year,
       nullable(c.embossed_name), c.phone_number, c.phone_area_code, c.card_status, nullable(c.status_reason),
       nullable(c.replaced_by_card_id), nullable(c.replaces_card_id), flag(c.enable_present_transaction),
       flag(c.enable_no_present_transaction), nullable(c.pin_block_sealed), c.funding_kind, nullable(c.share_quota_id),
       c.issued_at_ms, c.updated_at_ms, nullable(c.cap_limit_minor), c.cap_used_minor, c.origin,
       nullable(c.auto_topup_min_minor), nullable(c.auto_topup_amount_minor)}));
  return Status::success();
}

namespace {

bool only_cap_differs(const CardRecord& a, const CardRecord& b) {
  return a.card_status == b.card_status && a.status_reason == b.status_reason &&
         a.replaced_by_card_id == b.replaced_by_card_id && a.phone_number == b.phone_number &&
         a.phone_area_code == b.phone_area_code && a.enable_present_transaction == b.enable_present_transaction &&
         a.enable_no_present_transaction == b.enable_no_present_transaction &&
         a.pin_block_sealed == b.pin_block_sealed && a.auto_topup_min_minor == b.auto_topup_min_minor &&
         a.auto_topup_amount_minor == b.auto_topup_amount_minor;
}

}  // namespace

Status CardStore::update_card(const CardRecord& c) {
  if (cache_ != nullptr && cache_->serving()) {
    auto cached = cache_->cards.find(c.card_id);
    ISSUERD_ASSERT(cached != cache_->cards.end());  // a hot command updates only cards it found
    ISSUERD_ASSERT(only_cap_differs(cached->second, c));  // all that write_back writes
    cached->second = c;
    cache_->dirty_cards.insert(c.card_id);
    ++cache_->mutations;
    return Status::success();
  }
  if (cache_ != nullptr) cache_->forget_card(c.card_id);
  ISSUERD_TRY(run_execute(db_,
                          "UPDATE cards SET card_status = ?, status_reason = ?, replaced_by_card_id = ?, "
                          "phone_number = ?, phone_area_code = ?, enable_present_transaction = ?, "
                          "enable_no_present_transaction = ?, pin_block_sealed = ?, updated_at_ms = ?, "
                          "cap_limit_minor = ?, cap_used_minor = ?, auto_topup_min_minor = ?, "
                          "auto_topup_amount_minor = ? WHERE card_id = ?",
                          {c.card_status, nullable(c.status_reason), nullable(c.replaced_by_card_id), c.phone_number,
                           c.phone_area_code, flag(c.enable_present_transaction),
                           flag(c.enable_no_present_transaction), nullable(c.pin_block_sealed), c.updated_at_ms,
                           nullable(c.cap_limit_minor), c.cap_used_minor, nullable(c.auto_topup_min_minor),
                           nullable(c.auto_topup_amount_minor), c.card_id}));
  return Status::success();
}

namespace {

// A card found while hot is remembered, with its PAN hash.
std::optional<CardRecord> remember(WriteBehind* cache, std::optional<CardRecord> card) {
  if (cache != nullptr && cache->serving() && card) {
    cache->card_id_by_pan_hash[card->pan_lookup_hash] = card->card_id;
    cache->cards.emplace(card->card_id, *card);
  }
  return card;
}

}  // namespace

Result<std::optional<CardRecord>> CardStore::find_card(const std::string& merchant_id, const std::string& card_id) {
  Result<std::optional<CardRecord>> card = find_card_by_id(card_id);  // returned as it is: no more moves of the record
  if (card.ok() && card->has_value() && (*card)->merchant_id != merchant_id) return std::optional<CardRecord>();
  return card;
}

Result<std::optional<CardRecord>> CardStore::find_card_by_id(const std::string& card_id) {
  if (cache_ != nullptr && cache_->serving()) {
    if (auto cached = cache_->cards.find(card_id); cached != cache_->cards.end()) {
      return std::optional<CardRecord>(cached->second);
    }
  }
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + card_columns + " FROM cards WHERE card_id = ?",
                                      {card_id}));
  if (rows.empty()) return std::optional<CardRecord>();
  return remember(cache_, card_from(rows[0]));
}

Result<std::optional<CardRecord>> CardStore::find_card_by_pan_hash(const std::string& pan_lookup_hash) {
  if (cache_ != nullptr && cache_->serving()) {
    if (auto known = cache_->card_id_by_pan_hash.find(pan_lookup_hash); known != cache_->card_id_by_pan_hash.end()) {
      return find_card_by_id(known->second);
    }
  }
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + card_columns + " FROM cards WHERE pan_lookup_hash = ?",
                                      {pan_lookup_hash}));
  if (rows.empty()) return std::optional<CardRecord>();
  return remember(cache_, card_from(rows[0]));
}

Result<std::int64_t> CardStore::count_live_cards(const std::string& merchant_id, const std::string& user_id,
                                                 const std::string& card_product_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT COUNT(*) FROM cards WHERE merchant_id = ? AND user_id = ? AND "
                                           "card_product_id = ? AND card_status <> 'CANCELED'",
                                      {merchant_id, user_id, card_product_id}));
  return rows[0].integer(0);
}

// ---- spend controls ----

Result<std::optional<SpendControlRecord>> CardStore::find_control(const std::string& card_id,
                                                                  const std::string& transaction_type,
                                                                  const std::string& period) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + control_columns +
                                               " FROM spend_controls WHERE card_id = ? AND transaction_type = ? "
                                               "AND period = ?",
                                      {card_id, transaction_type, period}));
  if (rows.empty()) return std::optional<SpendControlRecord>();
  return std::optional<SpendControlRecord>(control_from(rows[0]));
}

Status CardStore::warm(WriteBehind& cache) {
  ISSUERD_ASSIGN(auto card_rows, run_query(db_, std::string("SELECT ") + card_columns + " FROM cards", {}));
  if (card_rows.size() > WriteBehind::cached_cards_max) return Status::success();  // too many: loaded on use
  for (const Row& row : card_rows) {
    CardRecord card = card_from(row);
    cache.card_id_by_pan_hash[card.pan_lookup_hash] = card.card_id;
    cache.cards.emplace(card.card_id, std::move(card));
  }
  ISSUERD_ASSIGN(auto control_rows, run_query(db_, std::string("SELECT ") + control_columns +
                                                       " FROM spend_controls ORDER BY card_id, transaction_type, "
                                                       "created_at_ms, period",
                                              {}));
  for (const Row& row : control_rows) {
    SpendControlRecord control = control_from(row);
    cache.controls[control.card_id].push_back(std::move(control));
  }
  cache.controls_complete = true;
  cache.controls_stale.clear();
  return Status::success();
}

Result<std::vector<SpendControlRecord>> CardStore::list_controls(const std::string& card_id) {
  const bool serving = cache_ != nullptr && cache_->serving();
  if (serving) {
    if (auto cached = cache_->controls.find(card_id); cached != cache_->controls.end()) return cached->second;
    if (cache_->controls_complete && !cache_->controls_stale.contains(card_id)) return std::vector<SpendControlRecord>();
  }
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + control_columns +
                                               " FROM spend_controls WHERE card_id = ? ORDER BY transaction_type, "
                                               "created_at_ms, period",
                                      {card_id}));
  std::vector<SpendControlRecord> controls;
  for (const Row& row : rows) controls.push_back(control_from(row));
  if (serving) {
    cache_->controls.emplace(card_id, controls);
    cache_->controls_stale.erase(card_id);
  }
  return controls;
}

Status CardStore::upsert_control(const SpendControlRecord& c) {
  if (cache_ != nullptr) cache_->forget_controls(c.card_id);
  ISSUERD_TRY(run_execute(db_,
                          std::string("INSERT INTO spend_controls (") + control_columns +
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (card_id, transaction_type, period) "
                              "DO UPDATE SET amount_limit_minor = excluded.amount_limit_minor, "
                              "currency = excluded.currency, active = excluded.active, "
                              "updated_at_ms = excluded.updated_at_ms",
                          {c.card_id, c.transaction_type, c.period, c.amount_limit_minor, c.currency, flag(c.active),
                           c.created_at_ms, c.updated_at_ms}));
  return Status::success();
}

Status CardStore::delete_control(const std::string& card_id, const std::string& transaction_type,
                                 const std::string& period) {
  if (cache_ != nullptr) cache_->forget_controls(card_id);
  ISSUERD_TRY(run_execute(db_, "DELETE FROM spend_controls WHERE card_id = ? AND transaction_type = ? AND period = ?",
                          {card_id, transaction_type, period}));
  return Status::success();
}

// ---- orders and transactions ----

Status CardStore::insert_order(const CardOrderRecord& o) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO card_orders (") + order_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {o.order_no, o.merchant_id, o.card_id, o.request_id, o.kind, o.amount_minor, o.fee_minor,
                           o.currency, o.status, nullable(o.transfer_id), o.created_at_ms}));
  return Status::success();
}

Result<std::optional<CardOrderRecord>> CardStore::find_order(const std::string& merchant_id, const std::string& order_no) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + order_columns +
                                               " FROM card_orders WHERE merchant_id = ? AND order_no = ?",
                                      {merchant_id, order_no}));
  if (rows.empty()) return std::optional<CardOrderRecord>();
  const Row& r = rows[0];
  return std::optional<CardOrderRecord>(CardOrderRecord{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4),
                                                        r.integer(5), r.integer(6), r.text(7), r.text(8),
                                                        r.optional_text(9), r.integer(10)});
}

Status CardStore::insert_transaction(const CardTransactionRecord& t) {
  if (cache_ != nullptr && cache_->serving()) {
    cache_->card_transactions.add(card_transaction_row(t));
    ++cache_->mutations;
    return Status::success();
  }
  return insert_row(db_, card_transactions_table, card_transaction_row(t));
}

Result<std::vector<CardTransactionRecord>> CardStore::list_transactions(const CardTransactionFilter& filter,
                                                                        std::int64_t offset, std::int64_t limit) {
  std::vector<SqlValue> params = transaction_params(filter);
  params.emplace_back(limit);
  params.emplace_back(offset);
  ISSUERD_ASSIGN(auto rows, db_.query(std::string("SELECT ") + card_transactions_table.columns + transactions_of_card +
                                          transaction_where + " ORDER BY created_at_ms DESC, detail_id DESC LIMIT ? OFFSET ?",
                                      params));
  std::vector<CardTransactionRecord> transactions;
  for (const Row& row : rows) transactions.push_back(transaction_from(row));
  return transactions;
}

Result<std::int64_t> CardStore::count_transactions(const CardTransactionFilter& filter) {
  const std::vector<SqlValue> params = transaction_params(filter);
  ISSUERD_ASSIGN(auto rows, db_.query(std::string("SELECT COUNT(*)") + transactions_of_card + transaction_where, params));
  return rows[0].integer(0);
}

// ---- sensitive-info tokens ----

Status CardStore::insert_sensitive_token(const SensitiveTokenRecord& t) {
  ISSUERD_TRY(run_execute(db_, "INSERT INTO sensitive_info_tokens (token_hash, merchant_id, card_id, ip_address, "
                               "expires_at_ms, used_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                          {t.token_hash, t.merchant_id, t.card_id, t.ip_address, t.expires_at_ms,
                           nullable(t.used_at_ms)}));
  return Status::success();
}

Result<std::optional<SensitiveTokenRecord>> CardStore::find_sensitive_token(const std::string& token_hash) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT token_hash, merchant_id, card_id, ip_address, expires_at_ms, "
                                           "used_at_ms FROM sensitive_info_tokens WHERE token_hash = ?",
                                      {token_hash}));
  if (rows.empty()) return std::optional<SensitiveTokenRecord>();
  const Row& r = rows[0];
  return std::optional<SensitiveTokenRecord>(
      SensitiveTokenRecord{r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4), r.optional_integer(5)});
}

Result<bool> CardStore::use_sensitive_token(const std::string& token_hash, std::int64_t now_ms) {
  ISSUERD_ASSIGN(std::int64_t changed,
                 run_execute(db_, "UPDATE sensitive_info_tokens SET used_at_ms = ? WHERE token_hash = ? AND "
                                  "used_at_ms IS NULL",
                             {now_ms, token_hash}));
  return changed == 1;
}

}  // namespace issuerd::storage
