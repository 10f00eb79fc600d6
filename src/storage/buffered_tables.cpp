#include "storage/buffered_tables.h"

#include "common/assert.h"
#include "storage/sql_values.h"

namespace issuerd::storage {

std::string multi_row_insert_sql(const TableShape& shape, std::size_t rows) {
  ISSUERD_ASSERT(rows > 0 && shape.column_count > 0);
  std::string one_row = "(?";
  for (std::size_t i = 1; i < shape.column_count; ++i) one_row += ", ?";
  one_row += ")";
  std::string sql = "INSERT INTO ";
  sql.append(shape.table).append(" (").append(shape.columns).append(") VALUES ");
  sql.reserve(sql.size() + rows * (one_row.size() + 2));
  for (std::size_t i = 0; i < rows; ++i) {
    if (i > 0) sql += ", ";
    sql += one_row;
  }
  return sql;
}

std::string multi_row_update_sql(const char* table, const std::vector<const char*>& key_then_columns,
                                 std::size_t rows) {
  ISSUERD_ASSERT(rows > 0 && key_then_columns.size() >= 2);
  std::string names;
  std::string one_row = "(?";
  std::string assignments;
  for (std::size_t i = 0; i < key_then_columns.size(); ++i) {
    names.append(i > 0 ? ", " : "").append(key_then_columns[i]);
    if (i == 0) continue;
    one_row += ", CAST(? AS BIGINT)";
    assignments.append(i > 1 ? ", " : "").append(key_then_columns[i]).append(" = v.").append(key_then_columns[i]);
  }
  one_row += ")";
  std::string sql = "WITH v (" + names + ") AS (VALUES ";
  for (std::size_t i = 0; i < rows; ++i) sql.append(i > 0 ? ", " : "").append(one_row);
  sql.append(") UPDATE ").append(table).append(" SET ").append(assignments).append(" FROM v WHERE ");
  sql.append(table).append(".").append(key_then_columns[0]).append(" = v.").append(key_then_columns[0]);
  return sql;
}

std::string unnest_update_sql(const char* table, const std::vector<const char*>& key_then_columns) {
  ISSUERD_ASSERT(key_then_columns.size() >= 2);
  std::string assignments;
  std::string arrays;
  std::string names;
  for (std::size_t i = 0; i < key_then_columns.size(); ++i) {
    names.append(i > 0 ? ", " : "").append(key_then_columns[i]);
    arrays.append(i > 0 ? ", CAST(? AS BIGINT[])" : "CAST(? AS TEXT[])");
    if (i == 0) continue;
    assignments.append(i > 1 ? ", " : "").append(key_then_columns[i]).append(" = v.").append(key_then_columns[i]);
  }
  return std::string("UPDATE ") + table + " AS t SET " + assignments + " FROM unnest(" + arrays + ") AS v (" + names +
         ") WHERE t." + key_then_columns[0] + " = v." + key_then_columns[0];
}

std::string array_literal(const std::vector<SqlValue>& values, std::size_t row_width, std::size_t column) {
  ISSUERD_ASSERT(row_width > 0 && column < row_width && values.size() % row_width == 0);
  std::string literal = "{";
  for (std::size_t i = column; i < values.size(); i += row_width) {
    if (literal.size() > 1) literal += ',';
    const SqlValue& value = values[i];
    if (std::holds_alternative<std::nullptr_t>(value)) {
      literal += "NULL";
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      literal += std::to_string(*number);
    } else {
      literal += '"';
      for (const char c : std::get<std::string>(value)) {
        if (c == '"' || c == '\\') literal += '\\';
        literal += c;
      }
      literal += '"';
    }
  }
  return literal + "}";
}

void append_chunk_statements(std::vector<Statement>& out, const std::vector<SqlValue>& values, std::size_t row_width,
                             const std::function<std::string(std::size_t rows)>& sql_for_rows,
                             std::size_t chunk_rows_max) {
  // Powers of two: a batch of n rows takes popcount(n) statements (32 rows: one), and each
  // purpose prepares at most nine texts.
  static constexpr std::size_t chunk_rows[] = {256, 128, 64, 32, 16, 8, 4, 2, 1};
  ISSUERD_ASSERT(row_width > 0 && values.size() % row_width == 0);
  const std::size_t rows = values.size() / row_width;
  std::size_t done = 0;
  for (std::size_t chunk : chunk_rows) {
    if (chunk > chunk_rows_max || rows - done < chunk) continue;
    const std::string sql = sql_for_rows(chunk);
    for (; rows - done >= chunk; done += chunk) {
      out.push_back(Statement{sql, std::span<const SqlValue>(values.data() + done * row_width, chunk * row_width)});
    }
  }
}

TransferRow transfer_row(const domain::Transfer& t) {
  return std::to_array<SqlValue>({t.transfer_id, t.debit_account_id, t.credit_account_id, t.amount_minor, t.currency,
                                  t.kind, std::string(domain::transfer_status_name(t.status)), t.reference,
                                  t.created_at_ms});
}

AuthorizationRow authorization_row(const AuthorizationRecord& a) {
  return std::to_array<SqlValue>(
      {a.authorization_id, a.merchant_id, a.card_id, a.status, a.state, a.transaction_type, a.currency, a.amount_minor,
       a.fx_fee_minor, a.original_amount_minor, a.original_currency, nullable(a.fx_rate), a.held_minor,
       a.captured_minor, a.refunded_minor, a.counted_minor, a.response_code, nullable(a.decline_reason),
       nullable(a.merchant_name), nullable(a.merchant_mcc), nullable(a.merchant_country), flag(a.card_present),
       a.funding_kind, a.funding_owner_id, nullable(a.hold_transfer_id), a.detail_id, a.created_at_ms,
       a.updated_at_ms, a.charge_minor, nullable(a.posted_at_ms),
       a.idempotency ? SqlValue(a.idempotency->scope) : SqlValue(),
       a.idempotency ? SqlValue(a.idempotency->key) : SqlValue(),
       a.idempotency ? SqlValue(a.idempotency->request_hash) : SqlValue(), nullable(a.available_after_minor)});
}

CardTransactionRow card_transaction_row(const CardTransactionRecord& t) {
  return std::to_array<SqlValue>(
      {t.detail_id, t.merchant_id, t.card_id, t.user_id, t.tx_type, t.tx_status, t.amount_minor, t.currency,
       nullable(t.order_no), nullable(t.merchant_name), nullable(t.merchant_mcc), nullable(t.merchant_country),
       nullable(t.merchant_category), nullable(t.auth_amount_minor), nullable(t.auth_currency), t.created_at_ms,
       nullable(t.posted_at_ms)});
}

OutboxRow outbox_row(const OutboxEvent& e) {
  return std::to_array<SqlValue>({e.event_id, e.merchant_id, e.event_type, e.payload, e.status, e.attempts,
                                  e.next_attempt_at_ms, nullable(e.last_error), e.created_at_ms,
                                  nullable(e.delivered_at_ms)});
}

IdempotencyKeyRow idempotency_key_row(const std::string& scope, const std::string& route, const std::string& key,
                                      const StoredResponse& r, std::int64_t now_ms) {
  return std::to_array<SqlValue>({scope, route, key, r.request_hash, std::int64_t{r.http_status}, r.content_type, r.body,
                                  now_ms});
}

Status insert_row(Connection& db, const TableShape& shape, std::span<const SqlValue> row) {
  ISSUERD_ASSERT(row.size() == shape.column_count);
  ISSUERD_TRY(db.execute(multi_row_insert_sql(shape, 1), row));
  return Status::success();
}

}  // namespace issuerd::storage
