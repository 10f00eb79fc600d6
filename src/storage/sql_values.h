// Binding helpers shared by the store implementations.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

#include "storage/connection.h"

namespace issuerd::storage {

inline SqlValue nullable(const std::optional<std::string>& value) {
  if (value) return *value;
  return nullptr;
}

inline SqlValue nullable(const std::optional<std::int64_t>& value) {
  if (value) return *value;
  return nullptr;
}

inline SqlValue flag(bool value) { return std::int64_t{value ? 1 : 0}; }

inline Result<std::vector<Row>> run_query(Connection& db, std::string_view sql, std::initializer_list<SqlValue> params) {
  return db.query(sql, std::span<const SqlValue>(params.begin(), params.size()));
}

inline Result<std::int64_t> run_execute(Connection& db, std::string_view sql, std::initializer_list<SqlValue> params) {
  return db.execute(sql, std::span<const SqlValue>(params.begin(), params.size()));
}

}  // namespace issuerd::storage
