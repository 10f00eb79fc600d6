// Exact rates (fee rates, FX rates, tolerances) as integer parts per billion, and money
// times a rate rounded half up, so no floating point touches money.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/currency.h"
#include "common/result.h"

namespace issuerd {

inline constexpr std::int64_t rate_one_ppb = 1'000'000'000;

// Decimal text with at most 9 decimals, >= 0 and <= `max_ppb`: "0.0005" -> 500000.
// invalid_argument "invalid_rate" naming `field` otherwise.
Result<std::int64_t> parse_rate_ppb(std::string_view text, std::string_view field, std::int64_t max_ppb);
// The shortest exact decimal text: 500000 -> "0.0005", 1500000000 -> "1.5".
std::string format_rate_ppb(std::int64_t ppb);

// amount * ppb / 1e9, rounded half up; invalid_argument "amount_out_of_range" on overflow.
Result<std::int64_t> apply_rate(std::int64_t amount_minor, std::int64_t ppb);

// Converts minor units of `from` into minor units of `to` at `rate_ppb` (1 unit of `from`
// is rate units of `to`), rounded half up.
Result<std::int64_t> convert_minor(std::int64_t amount_minor, const Currency& from, const Currency& to,
                                   std::int64_t rate_ppb);

}  // namespace issuerd
