// Spend controls as pure logic: periods, calendar windows in UTC (as Stripe and Marqeta
// use them), and transaction types. Every dialect's limit is one of these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace issuerd::domain {

enum class Period { day, week, month, year, lifetime, transaction };
enum class TransactionType { purchase, atm_cash_withdrawal };

const char* period_name(Period period);  // "DAY", ...
std::optional<Period> parse_period(std::string_view name);
const char* transaction_type_name(TransactionType type);  // "PURCHASE", "ATM_CASH_WITHDRAWAL"
std::optional<TransactionType> parse_transaction_type(std::string_view name);

// The window containing `now_ms`: [start, end). Day from 00:00 UTC, week from Sunday
// 00:00, month from the 1st, year from January 1st, lifetime from 0 with no end.
// TRANSACTION has no window (asserted not to be asked).
struct Window {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;  // INT64_MAX for lifetime
};
Window window_at(Period period, std::int64_t now_ms);

}  // namespace issuerd::domain
