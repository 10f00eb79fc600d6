// Amount and rate text as the API reads it, and the arithmetic the authorization path does
// with what was read: parse_amount_minor / format_amount, parse_rate_ppb / format_rate_ppb,
// apply_rate and convert_minor, on values within the bounds the server accepts (amounts
// are int64 minor units; FX rates are parsed with max INT64_MAX / 1000 ppb, fee and
// tolerance rates with max 1).
//
// Input: three bytes pick the transaction currency, the card currency and the sign; then up
// to three '|'-separated texts: amount | rate | fee rate. (Seeds: fuzz/corpus/fuzz_amount;
// the first bytes are indexes into all_currencies(), sorted by code: 15 EUR, 26 JPY,
// 55 USD, 56 USDT.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/currency.h"
#include "common/money.h"
#include "common/rate.h"
#include "fuzz_support.h"

namespace {

using issuerd::AmountSign;
using issuerd::Currency;

std::string_view next_part(std::string_view& rest) {
  const auto bar = rest.find('|');
  const std::string_view part = rest.substr(0, bar);
  rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto& currencies = issuerd::all_currencies();
  const Currency& from = currencies[data[0] % currencies.size()];
  const Currency& to = currencies[data[1] % currencies.size()];
  const AmountSign sign = data[2] % 3 == 0 ? AmountSign::positive
                          : data[2] % 3 == 1 ? AmountSign::non_negative
                                             : AmountSign::any;
  std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::string_view amount_text = next_part(rest);
  const std::string_view rate_text = next_part(rest);
  const std::string_view fee_text = next_part(rest);

  auto amount = issuerd::parse_amount_minor(amount_text, from, sign, "amount");
  if (amount.ok()) {
    if (sign == AmountSign::positive) FUZZ_CHECK(*amount > 0);
    if (sign == AmountSign::non_negative) FUZZ_CHECK(*amount >= 0);
    const std::string formatted = issuerd::format_amount(*amount, from);
    auto again = issuerd::parse_amount_minor(formatted, from, AmountSign::any, "amount");
    FUZZ_CHECK(again.ok() && *again == *amount);
  } else {
    FUZZ_CHECK(amount.error().field == "amount");
    FUZZ_CHECK(!amount.error().reason.empty());
  }

  // Rates as /admin/v1/fx-rates and card products read them.
  auto rate = issuerd::parse_rate_ppb(rate_text, "rate", INT64_MAX / 1000);
  if (rate.ok()) {
    FUZZ_CHECK(*rate >= 0 && *rate <= INT64_MAX / 1000);
    auto again = issuerd::parse_rate_ppb(issuerd::format_rate_ppb(*rate), "rate", INT64_MAX / 1000);
    FUZZ_CHECK(again.ok() && *again == *rate);
  } else {
    FUZZ_CHECK(rate.error().reason == "invalid_rate");
  }
  auto fee_rate = issuerd::parse_rate_ppb(fee_text, "fx_fee_rate", issuerd::rate_one_ppb);
  if (fee_rate.ok()) FUZZ_CHECK(*fee_rate >= 0 && *fee_rate <= issuerd::rate_one_ppb);

  // The authorization path: a positive amount converted at an accepted rate, then its fee.
  // convert_minor overflowed __int128 for amounts near int64 and large rates (found here;
  // tests/unit/common/rate_regression_test.cpp). FUZZ_SKIP_KNOWN=1 steps around that one
  // input class so that a run can look for anything else until it is fixed.
  static const bool skip_known = std::getenv("FUZZ_SKIP_KNOWN") != nullptr;
  if (skip_known && amount.ok() && rate.ok() &&
      static_cast<long double>(*amount) * static_cast<long double>(*rate) * 1e6L > 1.0e37L) {
    return 0;
  }
  if (amount.ok() && *amount > 0 && rate.ok() && *rate > 0) {
    auto converted = issuerd::convert_minor(*amount, from, to, *rate);
    if (converted.ok()) {
      FUZZ_CHECK(*converted >= 0);
      if (fee_rate.ok()) {
        auto fee = issuerd::apply_rate(*converted, *fee_rate);
        if (fee.ok()) FUZZ_CHECK(*fee >= 0 && *fee <= *converted);
      }
    }
  }
  return 0;
}
