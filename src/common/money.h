// Money is an int64 count of a currency's minor units. Decimal text is parsed exactly
// (no floating point anywhere); more precision than the currency has is an error, not a
// rounding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/currency.h"
#include "common/result.h"

namespace issuerd {

struct Money {
  std::int64_t amount_minor = 0;
  std::string currency;  // upper-case code
};

enum class AmountSign { positive, non_negative, any };

// Parses decimal text ("12", "12.5", "12.50", "-3.1") into minor units of `currency`.
// Errors (invalid_argument, with `field`): "invalid_amount" (not a plain decimal: exponents,
// spaces, "+", ".5", "5.", hex and empty are refused), "amount_too_precise" (more decimals
// than the currency has; trailing zeros beyond it are accepted: "1.500" USD is 150),
// "amount_out_of_range" (beyond int64 minor units), "amount_not_positive" /
// "amount_negative" per `sign`.
Result<std::int64_t> parse_amount_minor(std::string_view text, const Currency& currency,
                                        AmountSign sign, std::string_view field = "amount");

// Formats minor units as decimal text with exactly the currency's exponent: 150 USD ->
// "1.50", -5 USD -> "-0.05", 7 JPY -> "7".
std::string format_amount(std::int64_t amount_minor, const Currency& currency);

// Checked arithmetic: false on int64 overflow (the result is then unspecified).
bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t* sum);
bool multiply_overflows(std::int64_t a, std::int64_t b, std::int64_t* product);

}  // namespace issuerd
