// Request bodies as every handler reads them: json::parse_object, then the typed field
// readers on every member (and on the names handlers ask for), then amount_text and
// parse_amount_minor on whatever reads as an amount.
//
// Properties checked beyond "no crash, no sanitizer report":
// - every refusal is invalid_argument with a reason, and a field error names its field;
// - a parsed object serialises to JSON that parses again, unless it holds a number beyond
//   double range (1e400 parses as infinity, which Boost.JSON writes as "Infinity": see
//   tests/unit/common/json_regression_test.cpp);
// - a reader succeeds exactly for the JSON types it documents;
// - amount_text of a number is plain decimal text (no exponent) and of an int64 its digits;
// - an amount that parses formats back to text that parses to the same minor units.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/currency.h"
#include "common/json.h"
#include "common/money.h"
#include "fuzz_support.h"

namespace {

using issuerd::AmountSign;
using issuerd::Error;
using issuerd::ErrorKind;
namespace bj = boost::json;
namespace json = issuerd::json;

void check_field_error(const Error& error, std::string_view field) {
  FUZZ_CHECK(error.kind == ErrorKind::invalid_argument);
  FUZZ_CHECK(!error.reason.empty());
  FUZZ_CHECK(error.field == field);
}

bool is_plain_decimal(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (digits == 0) return false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t fraction = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++fraction;
    if (fraction == 0) return false;
  }
  return i == text.size();
}

void check_amount(std::string_view text, std::string_view field) {
  static const char* const kCodes[] = {"USD", "JPY", "KWD", "USDT"};
  for (const char* code : kCodes) {
    const issuerd::Currency currency = *issuerd::find_currency(code);
    for (AmountSign sign : {AmountSign::positive, AmountSign::non_negative, AmountSign::any}) {
      auto minor = issuerd::parse_amount_minor(text, currency, sign, field);
      if (!minor.ok()) {
        check_field_error(minor.error(), field);
        continue;
      }
      if (sign == AmountSign::positive) FUZZ_CHECK(*minor > 0);
      if (sign == AmountSign::non_negative) FUZZ_CHECK(*minor >= 0);
      const std::string formatted = issuerd::format_amount(*minor, currency);
      auto again = issuerd::parse_amount_minor(formatted, currency, AmountSign::any, field);
      FUZZ_CHECK(again.ok() && *again == *minor);
    }
  }
}

void read_field(const bj::object& body, std::string_view field) {
  const bj::value* raw = body.if_contains(field);
  const bool present = raw != nullptr && !raw->is_null();

  auto required = json::required_string(body, field);
  FUZZ_CHECK(required.ok() == (present && raw->is_string()));
  if (!required.ok()) check_field_error(required.error(), field);

  auto optional = json::optional_string(body, field);
  FUZZ_CHECK(optional.ok() == (!present || raw->is_string()));
  if (optional.ok()) FUZZ_CHECK(optional->has_value() == present);
  if (!optional.ok()) check_field_error(optional.error(), field);

  auto integer = json::required_integer(body, field);
  if (!integer.ok()) check_field_error(integer.error(), field);
  if (integer.ok() && raw->is_int64()) FUZZ_CHECK(*integer == raw->get_int64());
  auto optional_integer = json::optional_integer(body, field);
  FUZZ_CHECK(optional_integer.ok() == (!present || integer.ok()));

  auto flag = json::optional_bool(body, field);
  FUZZ_CHECK(flag.ok() == (!present || raw->is_bool()));
  if (!flag.ok()) check_field_error(flag.error(), field);

  auto amount = json::required_amount_text(body, field);
  if (!amount.ok()) {
    check_field_error(amount.error(), field);
    return;
  }
  if (raw->is_int64()) FUZZ_CHECK(*amount == std::to_string(raw->get_int64()));
  if (raw->is_double()) FUZZ_CHECK(is_plain_decimal(*amount));
  check_amount(*amount, field);
}

bool has_non_finite(const bj::value& value) {
  if (value.is_double()) return !std::isfinite(value.get_double());
  if (value.is_array()) {
    for (const auto& element : value.get_array()) {
      if (has_non_finite(element)) return true;
    }
  }
  if (value.is_object()) {
    for (const auto& member : value.get_object()) {
      if (has_non_finite(member.value())) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = json::parse_object(body);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    FUZZ_CHECK(parsed.error().reason == "invalid_json" || parsed.error().reason == "body_not_object");
    return 0;
  }
  const bj::object& object = *parsed;
  if (!has_non_finite(object)) FUZZ_CHECK(json::parse_object(json::to_string(object)).ok());

  // The members sent, and names the handlers read whether or not they were sent.
  for (const auto& member : object) read_field(object, std::string_view(member.key().data(), member.key().size()));
  for (std::string_view field : {"amount", "card_id", "page_size", "page_number", "enable"}) read_field(object, field);
  // Nested objects are read the same way (MusePay's individual{}, merchant{}).
  for (const auto& member : object) {
    if (!member.value().is_object()) continue;
    const bj::object& nested = member.value().get_object();
    for (const auto& inner : nested) read_field(nested, std::string_view(inner.key().data(), inner.key().size()));
  }
  return 0;
}
