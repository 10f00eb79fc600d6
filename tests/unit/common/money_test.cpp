#include "common/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace issuerd {
namespace {

const Currency usd = *find_currency("USD");
const Currency jpy = *find_currency("JPY");
const Currency kwd = *find_currency("KWD");
const Currency usdt = *find_currency("USDT");

std::int64_t parse_ok(std::string_view text, const Currency& currency, AmountSign sign = AmountSign::any) {
  auto parsed = parse_amount_minor(text, currency, sign);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : -999;
}

std::string reason_of(std::string_view text, const Currency& currency, AmountSign sign = AmountSign::any) {
  auto parsed = parse_amount_minor(text, currency, sign);
  return parsed.ok() ? "ok" : parsed.error().reason;
}

TEST(Money, ParsesExactlyPerExponent) {
  EXPECT_EQ(parse_ok("12", usd), 1200);
  EXPECT_EQ(parse_ok("12.5", usd), 1250);
  EXPECT_EQ(parse_ok("12.05", usd), 1205);
  EXPECT_EQ(parse_ok("0.01", usd), 1);
  EXPECT_EQ(parse_ok("-3.1", usd), -310);
  EXPECT_EQ(parse_ok("7", jpy), 7);
  EXPECT_EQ(parse_ok("1.234", kwd), 1234);
  EXPECT_EQ(parse_ok("0.000001", usdt), 1);
  // 0.1 + 0.2 style values that floating point gets wrong are exact here.
  EXPECT_EQ(parse_ok("0.29", usd), 29);
  EXPECT_EQ(parse_ok("1.015", kwd), 1015);
}

TEST(Money, AcceptsTrailingZerosBeyondExponent) {
  EXPECT_EQ(parse_ok("1.500", usd), 150);
  EXPECT_EQ(parse_ok("5.0", jpy), 5);
}

TEST(Money, RefusesTooMuchPrecision) {
  EXPECT_EQ(reason_of("1.005", usd), "amount_too_precise");
  EXPECT_EQ(reason_of("1.5", jpy), "amount_too_precise");
}

TEST(Money, RefusesMalformedText) {
  for (const char* text : {"", "abc", "1e3", "1E3", " 1", "1 ", "+1", ".5", "5.", "0x10", "1,5", "--1", "1.2.3",
                           "NaN", "inf", "١"}) {
    EXPECT_EQ(reason_of(text, usd), "invalid_amount") << text;
  }
}

TEST(Money, RefusesOverflow) {
  EXPECT_EQ(reason_of("92233720368547758.07", usd), "ok");
  EXPECT_EQ(reason_of("92233720368547758.08", usd), "amount_out_of_range");
  EXPECT_EQ(reason_of("99999999999999999999999", usd), "amount_out_of_range");
  EXPECT_EQ(reason_of("9223372036854775807", jpy), "ok");
  EXPECT_EQ(reason_of("9223372036854775808", jpy), "amount_out_of_range");
}

TEST(Money, EnforcesSign) {
  EXPECT_EQ(reason_of("0", usd, AmountSign::positive), "amount_not_positive");
  EXPECT_EQ(reason_of("-0", usd, AmountSign::positive), "amount_not_positive");
  EXPECT_EQ(reason_of("-1", usd, AmountSign::positive), "amount_not_positive");
  EXPECT_EQ(reason_of("-0.01", usd, AmountSign::non_negative), "amount_negative");
  EXPECT_EQ(reason_of("0", usd, AmountSign::non_negative), "ok");
}

TEST(Money, ErrorNamesTheField) {
  auto parsed = parse_amount_minor("x", usd, AmountSign::any, "every_card_top_up_amount");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().field, "every_card_top_up_amount");
  EXPECT_EQ(parsed.error().kind, ErrorKind::invalid_argument);
}

TEST(Money, FormatsWithExponent) {
  EXPECT_EQ(format_amount(150, usd), "1.50");
  EXPECT_EQ(format_amount(-5, usd), "-0.05");
  EXPECT_EQ(format_amount(0, usd), "0.00");
  EXPECT_EQ(format_amount(7, jpy), "7");
  EXPECT_EQ(format_amount(1, usdt), "0.000001");
  EXPECT_EQ(format_amount(std::numeric_limits<std::int64_t>::min(), usd), "-92233720368547758.08");
  EXPECT_EQ(format_amount(0, jpy), "0");
  EXPECT_EQ(format_amount(-120, jpy), "-120");
  EXPECT_EQ(format_amount(1234567, usdt), "1.234567");
  EXPECT_EQ(format_amount(std::numeric_limits<std::int64_t>::max(), usdt), "9223372036854.775807");
}

TEST(Money, FormatParseRoundTrip) {
  for (std::int64_t value : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{99}, std::int64_t{100},
                             std::int64_t{123456789}, std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(parse_ok(format_amount(value, usd), usd), value);
    EXPECT_EQ(parse_ok(format_amount(value, kwd), kwd), value);
  }
}

TEST(Currency, KnowsIsoExponentsAndUsdt) {
  EXPECT_EQ(find_currency("USD")->exponent, 2);
  EXPECT_EQ(find_currency("JPY")->exponent, 0);
  EXPECT_EQ(find_currency("BHD")->exponent, 3);
  EXPECT_EQ(find_currency("USDT")->exponent, 6);
  EXPECT_FALSE(find_currency("usd").has_value());
  EXPECT_FALSE(find_currency("XXX").has_value());
}

TEST(Currency, FindsEveryCodeItListsAndNothingNearOne) {
  for (const Currency& currency : all_currencies()) {
    const auto found = find_currency(currency.code);
    ASSERT_TRUE(found.has_value()) << currency.code;
    EXPECT_EQ(found->code, currency.code);
    EXPECT_EQ(found->exponent, currency.exponent);
  }
  using namespace std::string_view_literals;
  for (std::string_view near : {""sv, "U"sv, "US"sv, "USDX"sv, "USDTX"sv, "USD\0"sv, "US\0D"sv, "AAA"sv, "ZZZ"sv,
                                "ZZZZ"sv, "\xff\xff\xff\xff"sv}) {
    EXPECT_FALSE(find_currency(near).has_value()) << near;
  }
}

}  // namespace
}  // namespace issuerd

#include "common/rate.h"

namespace issuerd {
namespace {

TEST(Rate, ParsesAndFormatsExactly) {
  EXPECT_EQ(*parse_rate_ppb("0.0005", "r", rate_one_ppb), 500'000);
  EXPECT_EQ(*parse_rate_ppb("1.5", "r", 10 * rate_one_ppb), 1'500'000'000);
  EXPECT_EQ(format_rate_ppb(500'000), "0.0005");
  EXPECT_EQ(format_rate_ppb(1'500'000'000), "1.5");
  EXPECT_EQ(format_rate_ppb(0), "0");
  EXPECT_EQ(parse_rate_ppb("0.0000000001", "r", rate_one_ppb).error().reason, "invalid_rate");
  EXPECT_EQ(parse_rate_ppb("1.01", "r", rate_one_ppb).error().field, "r");
  EXPECT_FALSE(parse_rate_ppb("-0.1", "r", rate_one_ppb).ok());
}

TEST(Rate, AppliesHalfUp) {
  EXPECT_EQ(*apply_rate(10'000, 20'000'000), 200);   // 2 % of 100.00 = 2.00
  EXPECT_EQ(*apply_rate(25, 20'000'000), 1);         // 0.5 rounds up
  EXPECT_EQ(*apply_rate(24, 20'000'000), 0);         // 0.48 rounds down
  EXPECT_EQ(*apply_rate(5'000'000'000'000LL, 500'000), 2'500'000'000LL);  // 50,000 x 0.0005... in minor units
  EXPECT_FALSE(apply_rate(INT64_MAX, 2 * rate_one_ppb).ok());
}

TEST(Rate, ConvertsAcrossExponents) {
  const Currency usd = *find_currency("USD");
  const Currency jpy = *find_currency("JPY");
  const Currency kwd = *find_currency("KWD");
  // 1,000 JPY at 0.0067 USD per JPY = 6.70 USD.
  EXPECT_EQ(*convert_minor(1'000, jpy, usd, 6'700'000), 670);
  // 10.00 USD at 150.25 JPY per USD = 1,502.5 JPY -> 1,503 (half up).
  EXPECT_EQ(*convert_minor(1'000, usd, jpy, 150'250'000'000), 1'503);
  // 1.00 USD at 0.307 KWD = 0.307 KWD.
  EXPECT_EQ(*convert_minor(100, usd, kwd, 307'000'000), 307);
}

}  // namespace
}  // namespace issuerd
