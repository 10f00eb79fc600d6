#include "common/rate.h"

#include "common/money.h"

namespace issuerd {

namespace {

constexpr Currency rate_scale{"RATE", 9, ""};

Error out_of_range() {
  return make_error(ErrorKind::invalid_argument, "amount_out_of_range", "amount is out of range", "amount");
}

__int128 power_of_ten(int exponent) {
  __int128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

// numerator / denominator rounded half up, for non-negative numerator and positive denominator.
Result<std::int64_t> divide_half_up(__int128 numerator, __int128 denominator) {
  const bool negative = numerator < 0;
  if (negative) numerator = -numerator;
  const __int128 quotient = (numerator + denominator / 2) / denominator;
  if (quotient > static_cast<__int128>(INT64_MAX)) return out_of_range();
  const auto result = static_cast<std::int64_t>(quotient);
  return negative ? -result : result;
}

}  // namespace

Result<std::int64_t> parse_rate_ppb(std::string_view text, std::string_view field, std::int64_t max_ppb) {
  auto ppb = parse_amount_minor(text, rate_scale, AmountSign::non_negative, field);
  if (!ppb.ok() || *ppb > max_ppb) {
    return make_error(ErrorKind::invalid_argument, "invalid_rate",
                      std::string(field) + " must be a decimal from 0 to " + format_rate_ppb(max_ppb) +
                          " with at most 9 decimals",
                      std::string(field));
  }
  return *ppb;
}

std::string format_rate_ppb(std::int64_t ppb) {
  std::string text = format_amount(ppb, rate_scale);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

Result<std::int64_t> apply_rate(std::int64_t amount_minor, std::int64_t ppb) {
  return divide_half_up(static_cast<__int128>(amount_minor) * ppb, rate_one_ppb);
}

Result<std::int64_t> convert_minor(std::int64_t amount_minor, const Currency& from, const Currency& to,
                                   std::int64_t rate_ppb) {
  __int128 scaled = 0;
  __int128 numerator = 0;
  // amount x rate x 10^exponent can pass even 128 bits for absurd amounts at absurd rates.
  if (__builtin_mul_overflow(static_cast<__int128>(amount_minor), static_cast<__int128>(rate_ppb), &scaled) ||
      __builtin_mul_overflow(scaled, power_of_ten(to.exponent), &numerator)) {
    return out_of_range();
  }
  const __int128 denominator = power_of_ten(from.exponent) * rate_one_ppb;
  return divide_half_up(numerator, denominator);
}

}  // namespace issuerd
