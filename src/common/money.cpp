#include "common/money.h"

#include <array>
#include <limits>

#include "common/assert.h"

namespace issuerd {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error amount_error(std::string reason, std::string message, std::string_view field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::string(field));
}

}  // namespace

bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t* sum) {
  return __builtin_add_overflow(a, b, sum);
}

bool multiply_overflows(std::int64_t a, std::int64_t b, std::int64_t* product) {
  return __builtin_mul_overflow(a, b, product);
}

Result<std::int64_t> parse_amount_minor(std::string_view text, const Currency& currency,
                                        AmountSign sign, std::string_view field) {
  const std::string name(field);
  if (text.empty() || text.size() > 40) {
    return amount_error("invalid_amount", name + " must be a decimal number", field);
  }
  bool negative = false;
  std::size_t pos = 0;
  if (text[0] == '-') { negative = true; pos = 1; }
  const std::size_t integer_start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  const std::string_view integer_digits = text.substr(integer_start, pos - integer_start);
  std::string_view fraction_digits;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t fraction_start = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    fraction_digits = text.substr(fraction_start, pos - fraction_start);
    if (fraction_digits.empty()) return amount_error("invalid_amount", name + " must be a decimal number", field);
  }
  if (pos != text.size() || integer_digits.empty()) {
    return amount_error("invalid_amount", name + " must be a decimal number", field);
  }
  // Trailing zeros beyond the exponent carry no value; anything else would be rounding.
  while (static_cast<int>(fraction_digits.size()) > currency.exponent && fraction_digits.back() == '0') {
    fraction_digits.remove_suffix(1);
  }
  if (static_cast<int>(fraction_digits.size()) > currency.exponent) {
    return amount_error("amount_too_precise",
                        name + " has more decimals than " + std::string(currency.code) + " allows (" +
                            std::to_string(currency.exponent) + ")",
                        field);
  }
  std::int64_t value = 0;
  auto push_digit = [&value](char digit) {
    return !multiply_overflows(value, 10, &value) && !add_overflows(value, digit - '0', &value);
  };
  bool fits = true;
  for (char c : integer_digits) fits = fits && push_digit(c);
  for (int i = 0; i < currency.exponent; ++i) {
    const char digit = i < static_cast<int>(fraction_digits.size()) ? fraction_digits[static_cast<std::size_t>(i)] : '0';
    fits = fits && push_digit(digit);
  }
  if (!fits) return amount_error("amount_out_of_range", name + " is too large", field);
  if (negative) value = -value;
  if (sign == AmountSign::positive && value <= 0) {
    return amount_error("amount_not_positive", name + " must be greater than zero", field);
  }
  if (sign == AmountSign::non_negative && value < 0) {
    return amount_error("amount_negative", name + " must not be negative", field);
  }
  return value;
}

std::string format_amount(std::int64_t amount_minor, const Currency& currency) {
  ISSUERD_ASSERT(currency.exponent >= 0 && currency.exponent <= 18);
  // Work in unsigned so that INT64_MIN formats correctly.
  const bool negative = amount_minor < 0;
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(amount_minor)
                                     : static_cast<std::uint64_t>(amount_minor);
  // Written from the last digit back, in one buffer (the writer formats about ten amounts per
  // authorization): at most 20 digits, a leading zero, the point and the sign.
  std::array<char, 24> text{};
  char* const end = text.data() + text.size();
  char* at = end;
  const int exponent = currency.exponent;
  for (int written = 0; magnitude > 0 || written <= exponent; ++written) {
    if (written == exponent && exponent > 0) *--at = '.';
    *--at = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  }
  if (negative) *--at = '-';
  return std::string(at, end);
}

}  // namespace issuerd
