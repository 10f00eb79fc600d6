// The tables whose inserts the writer buffers (write_behind.h): their column lists and
// how a record becomes a row, shared by the stores' own inserts and the buffers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ledger.h"
#include "storage/authorization_store.h"
#include "storage/card_store.h"
#include "storage/connection.h"
#include "storage/outbox_store.h"

namespace issuerd::storage {

struct StoredResponse {
  std::string request_hash;
  int http_status = 200;
  std::string content_type;
  std::string body;
  // Set instead of the body when the key is kept on an authorization
  // (keys_kept_on_authorizations): its answer is rebuilt from that row.
  std::optional<std::string> authorization_id;
};

struct TableShape {
  const char* table;
  const char* columns;
  std::size_t column_count;
};

inline constexpr TableShape transfers_table{
    "transfers",
    "transfer_id, debit_account_id, credit_account_id, amount_minor, currency, kind, status, reference, created_at_ms",
    9};

inline constexpr TableShape authorizations_table{
    "authorizations",
    "authorization_id, merchant_id, card_id, status, state, transaction_type, currency, amount_minor, fx_fee_minor, "
    "original_amount_minor, original_currency, fx_rate, held_minor, captured_minor, refunded_minor, counted_minor, "
    "response_code, decline_reason, merchant_name, merchant_mcc, merchant_country, card_present, funding_kind, "
    "funding_owner_id, hold_transfer_id, detail_id, created_at_ms, updated_at_ms, charge_minor, posted_at_ms, "
    "idempotency_scope, idempotency_key, request_hash, available_after_minor",
    34};

inline constexpr TableShape card_transactions_table{
    "card_transactions",
    "detail_id, merchant_id, card_id, user_id, tx_type, tx_status, amount_minor, currency, order_no, merchant_name, "
    "merchant_mcc, merchant_country, merchant_category, auth_amount_minor, auth_currency, created_at_ms, posted_at_ms",
    17};

inline constexpr TableShape outbox_table{
    "outbox",
    "event_id, merchant_id, event_type, payload, status, attempts, next_attempt_at_ms, last_error, created_at_ms, "
    "delivered_at_ms",
    10};

inline constexpr TableShape idempotency_keys_table{
    "idempotency_keys",
    "scope, route, idempotency_key, request_hash, http_status, content_type, response_body, created_at_ms", 8};

// "INSERT INTO table (columns) VALUES (?, ...), (?, ...)" for `rows` rows.
std::string multi_row_insert_sql(const TableShape& shape, std::size_t rows);

// One UPDATE for `rows` rows: "WITH v(key, a, b) AS (VALUES (?, CAST(? AS BIGINT), ...), ...)
// UPDATE table SET a = v.a, b = v.b FROM v WHERE table.key = v.key". The key is text, the
// other columns BIGINT. SQLite's write-back uses it; PostgreSQL's takes unnest_update_sql.
std::string multi_row_update_sql(const char* table, const std::vector<const char*>& key_then_columns,
                                 std::size_t rows);

// PostgreSQL: one UPDATE for any number of rows, each column a parameter holding an array
// (array_literal): "UPDATE table AS t SET a = v.a, ... FROM unnest(CAST(? AS TEXT[]),
// CAST(? AS BIGINT[]), ...) AS v (key, a, ...) WHERE t.key = v.key". One statement a batch,
// where single-row UPDATEs each cost the server a statement's start-up (a multi-row VALUES
// list was planned as a scan of the whole table); unnest of a parameter is estimated at ten
// rows, so its generic plan probes the primary key.
std::string unnest_update_sql(const char* table, const std::vector<const char*>& key_then_columns);

// A PostgreSQL array literal of one column of `values` (rows of `row_width`): numbers as
// they are, NULL for null, text in double quotes with its quotes and backslashes escaped.
std::string array_literal(const std::vector<SqlValue>& values, std::size_t row_width = 1, std::size_t column = 0);

// Appends the statements that write `values` (rows of `row_width` values each) in chunks of
// 256, 128, ..., 2 and 1 rows, none larger than `chunk_rows_max`: few statements per batch,
// few prepared texts. They point into `values`, which must outlive them.
void append_chunk_statements(std::vector<Statement>& out, const std::vector<SqlValue>& values, std::size_t row_width,
                             const std::function<std::string(std::size_t rows)>& sql_for_rows,
                             std::size_t chunk_rows_max = 256);

// A row: its columns' values in the order of the table's shape. Fixed-size arrays, so that a
// builder with a column too many or too few does not compile, and each value is copied from
// its record once (a vector built from a braced list copied every value twice).
using TransferRow = std::array<SqlValue, transfers_table.column_count>;
using AuthorizationRow = std::array<SqlValue, authorizations_table.column_count>;
using CardTransactionRow = std::array<SqlValue, card_transactions_table.column_count>;
using OutboxRow = std::array<SqlValue, outbox_table.column_count>;
using IdempotencyKeyRow = std::array<SqlValue, idempotency_keys_table.column_count>;

TransferRow transfer_row(const domain::Transfer& transfer);
AuthorizationRow authorization_row(const AuthorizationRecord& authorization);
CardTransactionRow card_transaction_row(const CardTransactionRecord& transaction);
OutboxRow outbox_row(const OutboxEvent& event);
IdempotencyKeyRow idempotency_key_row(const std::string& scope, const std::string& route, const std::string& key,
                                      const StoredResponse& response, std::int64_t now_ms);

// Inserts one row now (the stores' path when the writer's cache is not in use).
Status insert_row(Connection& db, const TableShape& shape, std::span<const SqlValue> row);

}  // namespace issuerd::storage
