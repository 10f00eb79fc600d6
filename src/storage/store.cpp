#include "storage/store.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <tuple>

#include "common/assert.h"
#include "common/ids.h"
#include "common/log.h"
#include "storage/sql_values.h"

namespace issuerd::storage {

using domain::Account;
using domain::AccountKind;
using domain::Transfer;

Result<std::vector<Row>> Store::query(std::string_view sql, std::initializer_list<SqlValue> params) {
  return run_query(db_, sql, params);
}

Result<std::int64_t> Store::execute(std::string_view sql, std::initializer_list<SqlValue> params) {
  return run_execute(db_, sql, params);
}

namespace {

constexpr const char* merchant_columns =
    "merchant_id, name, api_key_hash, public_key, webhook_url, status, created_at_ms";

MerchantRecord merchant_from(const Row& row) {
  return MerchantRecord{row.text(0), row.text(1), row.text(2), row.optional_text(3),
                        row.optional_text(4), row.text(5), row.integer(6)};
}

constexpr const char* account_columns =
    "account_id, kind, owner_id, currency, balance_minor, held_minor, may_go_negative";

Account account_from(const Row& row) {
  auto kind = domain::parse_account_kind(row.text(1));
  ISSUERD_ASSERT(kind.has_value());
  return Account{row.text(0), *kind, row.text(2), row.text(3), row.integer(4), row.integer(5), row.integer(6) != 0};
}

std::optional<domain::TransferStatus> parse_transfer_status(const std::string& name) {
  for (auto status : {domain::TransferStatus::posted, domain::TransferStatus::pending, domain::TransferStatus::voided}) {
    if (name == domain::transfer_status_name(status)) return status;
  }
  return std::nullopt;
}

}  // namespace

// ---- merchants ----

Status Store::insert_merchant(const MerchantRecord& m) {
  ISSUERD_TRY(execute("INSERT INTO merchants (merchant_id, name, api_key_hash, public_key, webhook_url, status, "
                      "created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      {m.merchant_id, m.name, m.api_key_hash, nullable(m.public_key),
                       nullable(m.webhook_url), m.status, m.created_at_ms}));
  return Status::success();
}

Result<std::optional<MerchantRecord>> Store::find_merchant(const std::string& merchant_id) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + merchant_columns + " FROM merchants WHERE merchant_id = ?",
                                  {merchant_id}));
  if (rows.empty()) return std::optional<MerchantRecord>();
  return std::optional<MerchantRecord>(merchant_from(rows[0]));
}

Result<std::optional<MerchantRecord>> Store::find_merchant_by_api_key_hash(const std::string& api_key_hash) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + merchant_columns + " FROM merchants WHERE api_key_hash = ?",
                                  {api_key_hash}));
  if (rows.empty()) return std::optional<MerchantRecord>();
  return std::optional<MerchantRecord>(merchant_from(rows[0]));
}

Result<std::vector<MerchantRecord>> Store::list_merchants(std::int64_t offset, std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + merchant_columns +
                                      " FROM merchants ORDER BY created_at_ms, merchant_id LIMIT ? OFFSET ?",
                                  {limit, offset}));
  std::vector<MerchantRecord> merchants;
  for (const Row& row : rows) merchants.push_back(merchant_from(row));
  return merchants;
}

Result<std::int64_t> Store::count_merchants() {
  ISSUERD_ASSIGN(auto rows, query("SELECT COUNT(*) FROM merchants", {}));
  return rows[0].integer(0);
}

Status Store::set_merchant_webhook(const std::string& merchant_id, const std::string& url) {
  if (write_behind_ != nullptr) write_behind_->forget_merchant(merchant_id);
  ISSUERD_TRY(execute("UPDATE merchants SET webhook_url = ? WHERE merchant_id = ?", {url, merchant_id}));
  return Status::success();
}

Result<bool> Store::merchant_has_webhook(const std::string& merchant_id) {
  WriteBehind* cache = hot();
  if (cache != nullptr) {
    if (auto known = cache->merchant_has_webhook.find(merchant_id); known != cache->merchant_has_webhook.end()) {
      return known->second;
    }
  }
  ISSUERD_ASSIGN(auto rows, query("SELECT webhook_url FROM merchants WHERE merchant_id = ?", {merchant_id}));
  const bool has_webhook = !rows.empty() && !rows[0].is_null(0) && !rows[0].text(0).empty();
  if (cache != nullptr) cache->merchant_has_webhook.emplace(merchant_id, has_webhook);
  return has_webhook;
}

// ---- ledger ----

Result<std::optional<Account>> Store::load_account(AccountKind kind, const std::string& owner_id,
                                                   const std::string& currency) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + account_columns +
                                      " FROM accounts WHERE kind = ? AND owner_id = ? AND currency = ?",
                                  {domain::account_kind_name(kind), owner_id, currency}));
  if (rows.empty()) return std::optional<Account>();
  return std::optional<Account>(account_from(rows[0]));
}

Result<std::optional<Account>> Store::find_account(AccountKind kind, const std::string& owner_id,
                                                   const std::string& currency) {
  WriteBehind* cache = hot();
  if (cache == nullptr) return load_account(kind, owner_id, currency);
  const std::string key = account_key(kind, owner_id, currency);
  if (auto cached = cache->accounts.find(key); cached != cache->accounts.end()) {
    return std::optional<Account>(cached->second);
  }
  ISSUERD_ASSIGN(auto loaded, load_account(kind, owner_id, currency));
  if (loaded) cache->accounts.emplace(key, *loaded);
  return loaded;
}

Result<Account> Store::find_or_create_account(AccountKind kind, const std::string& owner_id,
                                              const std::string& currency, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto existing, find_account(kind, owner_id, currency));
  if (existing) return std::move(*existing);
  // Created at once even while hot: an empty account changes no balance, and the batch's
  // own transaction still decides whether it stays.
  Account account{next_id(), kind, owner_id, currency, 0, 0, domain::kind_may_go_negative(kind)};
  ISSUERD_TRY(execute("INSERT INTO accounts (account_id, kind, owner_id, currency, balance_minor, held_minor, "
                      "may_go_negative, created_at_ms) VALUES (?, ?, ?, ?, 0, 0, ?, ?)",
                      {account.account_id, domain::account_kind_name(kind), owner_id, currency,
                       std::int64_t{account.may_go_negative ? 1 : 0}, now_ms}));
  if (WriteBehind* cache = hot()) cache->accounts.emplace(account_key(kind, owner_id, currency), account);
  return account;
}

Result<std::vector<Account>> Store::accounts_of_owner(AccountKind kind, const std::string& owner_id) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + account_columns +
                                      " FROM accounts WHERE kind = ? AND owner_id = ? ORDER BY currency",
                                  {domain::account_kind_name(kind), owner_id}));
  std::vector<Account> accounts;
  for (const Row& row : rows) accounts.push_back(account_from(row));
  return accounts;
}

Status Store::write_account(const Account& account) {
  ISSUERD_ASSIGN(std::int64_t changed,
                 execute("UPDATE accounts SET balance_minor = ?, held_minor = ? WHERE account_id = ?",
                         {account.balance_minor, account.held_minor, account.account_id}));
  ISSUERD_ASSERT(changed == 1);
  return Status::success();
}

Status Store::save_account(const Account& account) {
  WriteBehind* cache = hot();
  if (cache == nullptr) {
    if (write_behind_ != nullptr) write_behind_->forget_account(account.kind, account.owner_id, account.currency);
    return write_account(account);
  }
  const std::string key = account_key(account.kind, account.owner_id, account.currency);
  auto cached = cache->accounts.find(key);
  // A hot command saves only accounts it loaded through the cache.
  ISSUERD_ASSERT(cached != cache->accounts.end() && cached->second.account_id == account.account_id);
  cached->second = account;
  cache->dirty_accounts.insert(key);
  ++cache->mutations;
  return Status::success();
}

Status Store::insert_transfer(const Transfer& t) {
  if (WriteBehind* cache = hot()) {
    cache->transfers.add(transfer_row(t));
    ++cache->mutations;
    return Status::success();
  }
  return insert_row(db_, transfers_table, transfer_row(t));
}

Status Store::set_transfer_status(const std::string& transfer_id, domain::TransferStatus status) {
  ISSUERD_ASSERT(hot() == nullptr);  // hot commands only add transfers
  ISSUERD_ASSIGN(std::int64_t changed, execute("UPDATE transfers SET status = ? WHERE transfer_id = ?",
                                               {domain::transfer_status_name(status), transfer_id}));
  ISSUERD_ASSERT(changed == 1);
  return Status::success();
}

Result<std::optional<Transfer>> Store::find_transfer(const std::string& transfer_id) {
  ISSUERD_ASSIGN(auto rows, query("SELECT transfer_id, debit_account_id, credit_account_id, amount_minor, currency, "
                                  "kind, status, reference, created_at_ms FROM transfers WHERE transfer_id = ?",
                                  {transfer_id}));
  if (rows.empty()) return std::optional<Transfer>();
  const Row& row = rows[0];
  auto status = parse_transfer_status(row.text(6));
  ISSUERD_ASSERT(status.has_value());
  return std::optional<Transfer>(Transfer{row.text(0), row.text(1), row.text(2), row.integer(3), row.text(4),
                                          row.text(5), *status, row.text(7), row.integer(8)});
}

Result<std::vector<CurrencyTotal>> Store::balance_totals_by_currency() {
  ISSUERD_ASSIGN(auto rows, query("SELECT currency, SUM(balance_minor) FROM accounts GROUP BY currency ORDER BY currency", {}));
  std::vector<CurrencyTotal> totals;
  for (const Row& row : rows) totals.push_back({row.text(0), row.integer(1)});
  return totals;
}

Result<std::int64_t> Store::count_forbidden_negative_accounts() {
  ISSUERD_ASSIGN(auto rows, query("SELECT COUNT(*) FROM accounts WHERE held_minor < 0 OR "
                                  "(may_go_negative = 0 AND balance_minor - held_minor < 0)", {}));
  return rows[0].integer(0);
}

Result<std::int64_t> Store::count_accounts_disagreeing_with_transfers() {
  // Recomputes every balance from the posted transfers and every hold from the pending ones,
  // in one pass over the transfers (holds have no index by account: migration 0006).
  ISSUERD_ASSIGN(auto rows, query(
      "SELECT COUNT(*) FROM accounts a LEFT JOIN ("
      "  SELECT account_id, SUM(posted_minor) AS balance_minor, SUM(pending_minor) AS held_minor FROM ("
      "    SELECT credit_account_id AS account_id, CASE WHEN status = 'posted' THEN amount_minor ELSE 0 END "
      "      AS posted_minor, 0 AS pending_minor FROM transfers"
      "    UNION ALL"
      "    SELECT debit_account_id, CASE WHEN status = 'posted' THEN -amount_minor ELSE 0 END, "
      "      CASE WHEN status = 'pending' THEN amount_minor ELSE 0 END FROM transfers"
      "  ) moves GROUP BY account_id"
      ") sums ON sums.account_id = a.account_id "
      "WHERE a.balance_minor <> COALESCE(sums.balance_minor, 0) OR a.held_minor <> COALESCE(sums.held_minor, 0)",
      {}));
  return rows[0].integer(0);
}

Result<std::int64_t> Store::count_transfers_with_unknown_accounts() {
  ISSUERD_ASSIGN(auto rows, query(
      "SELECT COUNT(*) FROM transfers t "
      "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = t.debit_account_id) "
      "OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = t.credit_account_id)",
      {}));
  return rows[0].integer(0);
}

// ---- card products ----

Status Store::insert_card_product(const CardProductRecord& p) {
  ISSUERD_TRY(execute("INSERT INTO card_products (card_product_id, name, bin, network, currency, card_level, form, "
                      "over_limit_fee_rate_daily, expiry_years, restricted, created_at_ms, capture_tolerance_rate, "
                      "fx_fee_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      {p.card_product_id, p.name, p.bin, p.network, p.currency, p.card_level, p.form,
                       p.over_limit_fee_rate_daily, p.expiry_years, std::int64_t{p.merchant_ids.empty() ? 0 : 1},
                       p.created_at_ms, p.capture_tolerance_rate, p.fx_fee_rate}));
  for (const std::string& merchant_id : p.merchant_ids) {
    ISSUERD_TRY(execute("INSERT INTO card_product_merchants (card_product_id, merchant_id) VALUES (?, ?)",
                        {p.card_product_id, merchant_id}));
  }
  return Status::success();
}

namespace {
constexpr const char* product_columns =
    "card_product_id, name, bin, network, currency, card_level, form, over_limit_fee_rate_daily, expiry_years, "
    "created_at_ms, capture_tolerance_rate, fx_fee_rate";

CardProductRecord product_from(const Row& row) {
  CardProductRecord p;
  p.card_product_id = row.text(0);
  p.name = row.text(1);
  p.bin = row.text(2);
  p.network = row.text(3);
  p.currency = row.text(4);
  p.card_level = row.text(5);
  p.form = row.text(6);
  p.over_limit_fee_rate_daily = row.text(7);
  p.expiry_years = row.integer(8);
  p.created_at_ms = row.integer(9);
  p.capture_tolerance_rate = row.text(10);
  p.fx_fee_rate = row.text(11);
  return p;
}
}  // namespace

Result<std::vector<CardProductRecord>> Store::list_card_products() {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + product_columns +
                                      " FROM card_products ORDER BY created_at_ms, card_product_id", {}));
  ISSUERD_ASSIGN(auto links, query("SELECT card_product_id, merchant_id FROM card_product_merchants "
                                   "ORDER BY card_product_id, merchant_id", {}));
  std::vector<CardProductRecord> products;
  for (const Row& row : rows) {
    products.push_back(product_from(row));
    for (const Row& link : links) {
      if (link.text(0) == products.back().card_product_id) products.back().merchant_ids.push_back(link.text(1));
    }
  }
  return products;
}

Result<std::optional<CardProductRecord>> Store::find_card_product(const std::string& card_product_id) {
  ISSUERD_ASSIGN(auto rows, query(std::string("SELECT ") + product_columns +
                                      " FROM card_products WHERE card_product_id = ?", {card_product_id}));
  if (rows.empty()) return std::optional<CardProductRecord>();
  CardProductRecord product = product_from(rows[0]);
  ISSUERD_ASSIGN(auto links, query("SELECT merchant_id FROM card_product_merchants WHERE card_product_id = ? "
                                   "ORDER BY merchant_id", {card_product_id}));
  for (const Row& link : links) product.merchant_ids.push_back(link.text(0));
  return std::optional<CardProductRecord>(std::move(product));
}

// ---- idempotency and nonces ----

namespace {

// Where a lookup finds the stored responses of one scope and route: one or both of these,
// as rows of (key, request hash, status, content type, body, authorization id). Each ends
// where the key's condition goes, which the dialect appends ("= k.idempotency_key" on
// PostgreSQL, "= ?" on SQLite).
struct LookupArm {
  const char* select;  // up to the key's condition
  bool takes_route;    // a parameter for the route after the scope's
};
constexpr LookupArm stored_keys_arm{
    "SELECT idempotency_key, request_hash, http_status, content_type, response_body, CAST(NULL AS TEXT) FROM "
    "idempotency_keys WHERE scope = ? AND route = ? AND idempotency_key ",
    true};
constexpr LookupArm authorization_keys_arm{
    "SELECT idempotency_key, request_hash, 201, '', '', authorization_id FROM authorizations "
    "WHERE idempotency_scope = ? AND idempotency_key ",
    false};

// The stored responses of some keys of one scope and route, found key by key in the
// primary key (or, for the route authorizations keep, in their key index, and in
// idempotency_keys only if it held keys of that route from before). On PostgreSQL an IN
// list was planned as a scan of the whole scope and route (28,537 rows, 18 ms) whenever
// the statistics still thought that range small; the lateral lookup of each key of an
// array cannot be planned so, and its text does not change with the number of keys.
// SQLite takes one key per statement: an IN list of 64 (padded) cost more per key, for
// the ephemeral table SQLite builds of the list (11,200 against 10,400 instructions per
// authorization in the whole lookup, bench/instructions.py).
Result<std::vector<Row>> stored_responses(Connection& db, const std::string& scope, const std::string& route,
                                          const std::vector<std::string>& keys, bool reads_stored_keys) {
  std::vector<LookupArm> arms;
  if (reads_stored_keys) arms.push_back(stored_keys_arm);
  if (keys_kept_on_authorizations(route)) arms.push_back(authorization_keys_arm);
  ISSUERD_ASSERT(!arms.empty());
  auto arm_params = [&](const LookupArm& arm, std::vector<SqlValue>& params) {
    params.emplace_back(scope);
    if (arm.takes_route) params.emplace_back(route);
  };
  if (db.dialect() == Dialect::postgres) {
    // On a generic plan: it has only one (a probe of the index per key), and planning it
    // for each batch took half of its time.
    std::string sql = "SELECT i.* FROM unnest(?::text[]) AS k(idempotency_key) CROSS JOIN LATERAL (";
    std::vector<SqlValue> params{array_literal(std::vector<SqlValue>(keys.begin(), keys.end()))};
    for (const LookupArm& arm : arms) {
      if (&arm != &arms.front()) sql += " UNION ALL ";
      sql += std::string(arm.select) + "= k.idempotency_key";
      arm_params(arm, params);
    }
    sql += " LIMIT 1) i";
    std::vector<Statement> statements{Statement{std::move(sql), std::move(params)}};
    run_on_generic_plans(db.dialect(), statements);
    return db.query_all(statements, 1);
  }
  std::string sql;
  for (const LookupArm& arm : arms) {
    if (!sql.empty()) sql += " UNION ALL ";
    sql += std::string(arm.select) + "= ?";
  }
  std::vector<Row> found;
  std::vector<SqlValue> params;
  for (const std::string& key : keys) {
    params.clear();
    for (const LookupArm& arm : arms) {
      arm_params(arm, params);
      params.emplace_back(key);
    }
    ISSUERD_ASSIGN(auto rows, db.query(sql, params));
    for (Row& row : rows) found.push_back(std::move(row));
  }
  return found;
}

// Visits `columns` of every row of `table` matching `where` (none: every row), in the
// order of those columns (an index's), a page at a time: a table of millions of keys is
// never held whole.
Status scan_in_order(Connection& db, std::string_view table, const std::vector<std::string_view>& columns,
                     std::string_view where, const std::function<void(const Row&)>& visit) {
  constexpr std::size_t page_rows = 10'000;
  std::string list;
  std::string placeholders;
  for (std::string_view column : columns) {
    list += list.empty() ? "" : ", ";
    list += column;
    placeholders += placeholders.empty() ? "?" : ", ?";
  }
  const std::string select = "SELECT " + list + " FROM " + std::string(table) + " WHERE " +
                             (where.empty() ? std::string("1 = 1") : std::string(where));
  const std::string order = " ORDER BY " + list + " LIMIT " + std::to_string(page_rows);
  const std::string first_page = select + order;
  const std::string next_page = select + " AND (" + list + ") > (" + placeholders + ")" + order;
  std::vector<SqlValue> after;
  for (;;) {
    ISSUERD_ASSIGN(auto rows, after.empty() ? db.query(first_page, {}) : db.query(next_page, after));
    for (const Row& row : rows) visit(row);
    if (rows.size() < page_rows) return Status::success();
    after.clear();
    for (std::size_t column = 0; column < columns.size(); ++column) after.emplace_back(rows.back().text(column));
  }
}

StoredResponse stored_response_from(const Row& row) {
  return StoredResponse{row.text(1), static_cast<int>(row.integer(2)), row.text(3), row.text(4), row.optional_text(5)};
}

}  // namespace


Result<std::optional<StoredResponse>> Store::find_idempotent_response(const std::string& scope,
                                                                      const std::string& route,
                                                                      const std::string& key) {
  if (WriteBehind* cache = hot()) {
    auto known = cache->idempotency.find(idempotency_cache_key(scope, route, key));
    if (known != cache->idempotency.end()) return known->second;
  }
  ISSUERD_TRY(complete_key_filter(db_));
  if (surely_unstored(scope, route, key)) return std::optional<StoredResponse>();
  // Authorizations keep their keys (keys_kept_on_authorizations): the lookup must see the
  // batch's own.
  if (WriteBehind* cache = hot(); cache != nullptr && keys_kept_on_authorizations(route)) {
    ISSUERD_TRY(cache->authorizations.flush(db_));
  }
  ISSUERD_ASSIGN(bool reads_stored_keys, stored_keys_possible(db_, route));
  ISSUERD_ASSIGN(auto rows, stored_responses(db_, scope, route, {key}, reads_stored_keys));
  if (rows.empty()) return std::optional<StoredResponse>();
  return std::optional<StoredResponse>(stored_response_from(rows[0]));
}

Status Store::complete_key_filter(Connection& db) {
  if (write_behind_ == nullptr || write_behind_->stored_keys_complete) return Status::success();
  const auto started = std::chrono::steady_clock::now();
  KeyFilter& filter = write_behind_->stored_keys;
  ISSUERD_TRY(scan_in_order(db, "authorizations", {"idempotency_scope", "idempotency_key"}, "idempotency_key IS NOT NULL",
                            [&filter](const Row& row) { filter.add(row.text(0), authorization_key_route, row.text(1)); }));
  ISSUERD_TRY(scan_in_order(db, "idempotency_keys", {"scope", "route", "idempotency_key"}, "",
                            [&filter](const Row& row) { filter.add(row.text(0), row.text(1), row.text(2)); }));
  write_behind_->stored_keys_complete = true;
  const auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  log::info("idempotency_key_filter_built", {{"keys", std::to_string(filter.keys_added())},
                                             {"bytes", std::to_string(filter.memory_bytes())},
                                             {"took_ms", std::to_string(took_ms)}});
  return Status::success();
}

bool Store::surely_unstored(const std::string& scope, const std::string& route, const std::string& key) const {
  return write_behind_ != nullptr && write_behind_->stored_keys_complete &&
         !write_behind_->stored_keys.may_contain(scope, route, key);
}

Result<bool> Store::stored_keys_possible(Connection& db, const std::string& route) {
  if (!keys_kept_on_authorizations(route)) return true;
  if (write_behind_ != nullptr && write_behind_->legacy_authorization_keys) return *write_behind_->legacy_authorization_keys;
  ISSUERD_ASSIGN(auto rows, run_query(db, "SELECT COUNT(*) FROM legacy_idempotency_routes WHERE route = ?", {route}));
  const bool legacy = rows[0].integer(0) > 0;
  if (write_behind_ != nullptr) write_behind_->legacy_authorization_keys = legacy;
  return legacy;
}

Status Store::insert_idempotent_response(const std::string& scope, const std::string& route, const std::string& key,
                                         const StoredResponse& r, std::int64_t now_ms) {
  ISSUERD_ASSERT(!keys_kept_on_authorizations(route));  // their authorizations keep them
  if (write_behind_ != nullptr) write_behind_->stored_keys.add(scope, route, key);
  if (WriteBehind* cache = hot()) {
    cache->idempotency_keys.add(idempotency_key_row(scope, route, key, r, now_ms));
    cache->idempotency[idempotency_cache_key(scope, route, key)] = r;
    ++cache->mutations;
    return Status::success();
  }
  if (write_behind_ != nullptr) write_behind_->forget_idempotency_key(scope, route, key);
  return insert_row(db_, idempotency_keys_table, idempotency_key_row(scope, route, key, r, now_ms));
}

void Store::remember_idempotent_response(const std::string& scope, const std::string& route, const std::string& key,
                                         const StoredResponse& r) {
  ISSUERD_ASSERT(keys_kept_on_authorizations(route));
  if (WriteBehind* cache = hot()) {
    cache->idempotency[idempotency_cache_key(scope, route, key)] = r;
    ++cache->mutations;
    return;
  }
  if (write_behind_ != nullptr) write_behind_->forget_idempotency_key(scope, route, key);
}

Result<bool> Store::claim_nonce(const std::string& merchant_id, const std::string& nonce, std::int64_t expires_at_ms,
                                std::int64_t now_ms) {
  // An expired claim may be taken again; the window check on timestamps refuses old requests anyway.
  ISSUERD_TRY(execute("DELETE FROM used_nonces WHERE merchant_id = ? AND nonce = ? AND expires_at_ms < ?",
                      {merchant_id, nonce, now_ms}));
  ISSUERD_ASSIGN(std::int64_t inserted,
                 execute("INSERT INTO used_nonces (merchant_id, nonce, expires_at_ms) VALUES (?, ?, ?) "
                         "ON CONFLICT DO NOTHING",
                         {merchant_id, nonce, expires_at_ms}));
  return inserted == 1;
}

// ---- the writer's cache ----

void Store::set_hot(bool hot) {
  ISSUERD_ASSERT(write_behind_ != nullptr || !hot);
  if (write_behind_ != nullptr) write_behind_->hot = hot;
}

namespace {

std::vector<InsertBuffer*> insert_buffers(WriteBehind& cache) {
  return {&cache.transfers, &cache.authorizations, &cache.card_transactions, &cache.outbox, &cache.idempotency_keys};
}

}  // namespace

Status Store::flush_buffered_inserts() {
  if (write_behind_ == nullptr) return Status::success();
  return flush_buffers(db_, insert_buffers(*write_behind_));
}

// The buffered inserts and the dirty rows in one go (one round trip on PostgreSQL): a hot
// command changes only an account's balances and a card's cap (engine/funding.h,
// engine/auto_top_up.h). SQLite updates them with multi-row UPDATEs. PostgreSQL takes one
// UPDATE over arrays per table (unnest_update_sql): it planned a multi-row UPDATE ... FROM
// (VALUES ...) as a hash join over a scan of the whole table once the batch grew (1,772
// scans and 3.5 million rows of accounts read in one engine_benchmark run).
StatementBatch Store::take_write_back() {
  ISSUERD_ASSERT(write_behind_ != nullptr);
  WriteBehind& cache = *write_behind_;
  StatementBatch batch;
  for (InsertBuffer* buffer : insert_buffers(cache)) {
    buffer->append_statements(batch.statements);
    batch.values.push_back(buffer->take_values());
  }
  std::vector<SqlValue> accounts;
  for (const std::string& key : cache.dirty_accounts) {
    const Account& account = cache.accounts.at(key);
    accounts.insert(accounts.end(), {account.account_id, account.balance_minor, account.held_minor});
  }
  append_update_statements(batch, std::move(accounts), "accounts", {"account_id", "balance_minor", "held_minor"});
  std::vector<SqlValue> cards;
  for (const std::string& card_id : cache.dirty_cards) {
    const CardRecord& card = cache.cards.at(card_id);
    cards.insert(cards.end(), {card.card_id, nullable(card.cap_limit_minor), card.cap_used_minor, card.updated_at_ms});
  }
  append_update_statements(batch, std::move(cards), "cards",
                           {"card_id", "cap_limit_minor", "cap_used_minor", "updated_at_ms"});
  run_on_generic_plans(db_.dialect(), batch.statements);
  cache.dirty_accounts.clear();
  cache.dirty_cards.clear();
  return batch;
}

Status Store::write_back() {
  if (write_behind_ == nullptr) return Status::success();
  return db_.execute_all(take_write_back().statements);
}

void Store::write_back_and_send_commit() { db_.send_commit(take_write_back()); }

void Store::append_update_statements(StatementBatch& batch, std::vector<SqlValue> rows, const char* table,
                                     const std::vector<const char*>& key_then_columns) const {
  if (rows.empty()) return;
  const std::size_t row_width = key_then_columns.size();
  if (db_.dialect() == Dialect::postgres) {
    std::vector<SqlValue> arrays;
    for (std::size_t column = 0; column < row_width; ++column) arrays.emplace_back(array_literal(rows, row_width, column));
    batch.statements.push_back(Statement{unnest_update_sql(table, key_then_columns), arrays});
    batch.values.push_back(std::move(arrays));
    return;
  }
  append_chunk_statements(batch.statements, rows, row_width, [&](std::size_t chunk) {
    return multi_row_update_sql(table, key_then_columns, chunk);
  });
  batch.values.push_back(std::move(rows));
}

void Store::drop_cache() {
  if (write_behind_ != nullptr) write_behind_->drop();
}

Status Store::warm_cache() {
  ISSUERD_ASSERT(write_behind_ != nullptr);
  WriteBehind& cache = *write_behind_;
  if (cache.warmed) return Status::success();
  ISSUERD_TRY(CardStore(db_).warm(cache));
  ISSUERD_TRY(QuotaStore(db_).warm(cache));
  ISSUERD_ASSIGN(auto accounts, query(std::string("SELECT ") + account_columns + " FROM accounts", {}));
  for (const Row& row : accounts) {
    Account account = account_from(row);
    cache.accounts.emplace(account_key(account.kind, account.owner_id, account.currency), std::move(account));
  }
  ISSUERD_ASSIGN(auto merchants, query("SELECT merchant_id, webhook_url FROM merchants", {}));
  for (const Row& row : merchants) {
    cache.merchant_has_webhook.emplace(row.text(0), !row.is_null(1) && !row.text(1).empty());
  }
  cache.warmed = true;
  return Status::success();
}

Status Store::prefetch_idempotent_responses(std::vector<IdempotencyKeyRef> keys, Connection* from,
                                           bool joining_batch) {
  ISSUERD_ASSERT(write_behind_ != nullptr);
  std::sort(keys.begin(), keys.end(), [](const IdempotencyKeyRef& a, const IdempotencyKeyRef& b) {
    return std::tie(a.scope, a.route) < std::tie(b.scope, b.route);
  });
  WriteBehind& cache = *write_behind_;
  // What the previous batch knew stays true (a failed batch dropped the cache), and it is
  // all there is of that batch's keys while its commit is in flight.
  if (!joining_batch) {
    cache.idempotency_of_previous_batch = std::move(cache.idempotency);
    cache.idempotency.clear();
  }
  const auto& previous = cache.idempotency_of_previous_batch;
  Connection& db = from != nullptr ? *from : db_;
  ISSUERD_TRY(complete_key_filter(db));
  std::size_t next = 0;
  while (next < keys.size()) {
    // One lookup per run of keys with the same scope and route (the primary key's prefix).
    const IdempotencyKeyRef& first = keys[next];
    std::vector<std::string> run;
    for (; next < keys.size() && keys[next].scope == first.scope && keys[next].route == first.route; ++next) {
      std::string cache_key = idempotency_cache_key(first.scope, first.route, keys[next].key);
      if (cache.idempotency.contains(cache_key)) continue;  // this batch knows it already
      if (auto known = previous.find(cache_key); known != previous.end()) {
        cache.idempotency.emplace(std::move(cache_key), known->second);
        continue;
      }
      const bool new_key = surely_unstored(first.scope, first.route, keys[next].key);
      cache.idempotency.emplace(std::move(cache_key), std::nullopt);
      if (!new_key) run.push_back(keys[next].key);
    }
    if (run.empty()) continue;
    ISSUERD_ASSIGN(bool reads_stored_keys, stored_keys_possible(db, first.route));
    ISSUERD_ASSIGN(auto rows, stored_responses(db, first.scope, first.route, run, reads_stored_keys));
    for (const Row& row : rows) {
      cache.idempotency[idempotency_cache_key(first.scope, first.route, row.text(0))] = stored_response_from(row);
    }
  }
  return Status::success();
}

}  // namespace issuerd::storage
