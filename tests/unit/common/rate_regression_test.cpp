// Inputs the fuzz targets found (fuzz/fuzz_amount), kept as regression tests.
#include <gtest/gtest.h>

#include <cstdint>

#include "common/currency.h"
#include "common/money.h"
#include "common/rate.h"

namespace issuerd {
namespace {

// fuzz_amount crash-5d77becfea7f54bca8f8fde5c223e3ac6573edbf: a USD amount near the top of
// int64 minor units converted to USDT (6 decimals) at an FX rate /admin/v1/fx-rates accepts
// (at most INT64_MAX / 1000 ppb). amount * rate_ppb * 10^6 overflows __int128 in
// convert_minor (src/common/rate.cpp): signed overflow, undefined behaviour; in practice a
// wrapped, wrong card amount. It should be refused as amount_out_of_range.
// DISABLED until convert_minor checks the product (it fails, and UBSan aborts on it).
TEST(RateRegression, ConvertMinorRefusesProductsBeyondInt128) {
  const Currency usd = *find_currency("USD");
  const Currency usdt = *find_currency("USDT");
  auto amount = parse_amount_minor("9223337007001001", usd, AmountSign::positive);
  ASSERT_TRUE(amount.ok());
  auto rate = parse_rate_ppb("03337007", "rate", INT64_MAX / 1000);
  ASSERT_TRUE(rate.ok());
  auto converted = convert_minor(*amount, usd, usdt, *rate);
  ASSERT_FALSE(converted.ok()) << "converted to " << *converted;
  EXPECT_EQ(converted.error().reason, "amount_out_of_range");

  // The largest amount at the largest accepted rate, JPY (0 decimals) to USDT (6).
  const Currency jpy = *find_currency("JPY");
  auto largest = convert_minor(INT64_MAX, jpy, usdt, INT64_MAX / 1000);
  EXPECT_FALSE(largest.ok());
}

// What does fit converts exactly, right up to the edge of int64.
TEST(RateRegression, ConvertMinorNearTheTopWhereItFits) {
  const Currency usd = *find_currency("USD");
  const Currency usdt = *find_currency("USDT");
  const Currency jpy = *find_currency("JPY");
  // 1 USD = 1 USDT: 10^4 more minor units.
  auto fits = convert_minor(INT64_MAX / 10'000, usd, usdt, rate_one_ppb);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(*fits, INT64_MAX / 10'000 * 10'000);
  auto too_big = convert_minor(INT64_MAX / 10'000 + 1, usd, usdt, rate_one_ppb);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().reason, "amount_out_of_range");
  // Half up at the last digit.
  auto half = convert_minor(1, jpy, usd, 5'000'000);  // 1 JPY at 0.005 = 0.5 cent
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(*half, 1);
}

}  // namespace
}  // namespace issuerd
