#include "domain/spend_controls.h"

#include <ctime>
#include <limits>

#include "common/assert.h"

namespace issuerd::domain {

const char* period_name(Period period) {
  switch (period) {
    case Period::day: return "DAY";
    case Period::week: return "WEEK";
    case Period::month: return "MONTH";
    case Period::year: return "YEAR";
    case Period::lifetime: return "LIFETIME";
    case Period::transaction: return "TRANSACTION";
  }
  return "DAY";
}

std::optional<Period> parse_period(std::string_view name) {
  for (Period p : {Period::day, Period::week, Period::month, Period::year, Period::lifetime, Period::transaction}) {
    if (name == period_name(p)) return p;
  }
  return std::nullopt;
}

const char* transaction_type_name(TransactionType type) {
  return type == TransactionType::purchase ? "PURCHASE" : "ATM_CASH_WITHDRAWAL";
}

std::optional<TransactionType> parse_transaction_type(std::string_view name) {
  if (name == "PURCHASE") return TransactionType::purchase;
  if (name == "ATM_CASH_WITHDRAWAL") return TransactionType::atm_cash_withdrawal;
  return std::nullopt;
}

namespace {

constexpr std::int64_t day_ms = 86'400'000;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t yoe = year - era * 400;
  const std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

Window window_at(Period period, std::int64_t now_ms) {
  ISSUERD_ASSERT(period != Period::transaction);
  const std::int64_t days = floor_div(now_ms, day_ms);
  const std::time_t seconds = static_cast<std::time_t>(days * 86'400);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const std::int64_t year = utc.tm_year + 1900;
  const std::int64_t month = utc.tm_mon + 1;
  switch (period) {
    case Period::day: return {days * day_ms, (days + 1) * day_ms};
    case Period::week: {
      const std::int64_t start = days - utc.tm_wday;  // tm_wday: 0 is Sunday
      return {start * day_ms, (start + 7) * day_ms};
    }
    case Period::month: {
      const std::int64_t next_year = month == 12 ? year + 1 : year;
      const std::int64_t next_month = month == 12 ? 1 : month + 1;
      return {days_from_civil(year, month, 1) * day_ms, days_from_civil(next_year, next_month, 1) * day_ms};
    }
    case Period::year: return {days_from_civil(year, 1, 1) * day_ms, days_from_civil(year + 1, 1, 1) * day_ms};
    case Period::lifetime: return {0, std::numeric_limits<std::int64_t>::max()};
    case Period::transaction: break;
  }
  return {0, 0};
}

}  // namespace issuerd::domain
