// Inputs the fuzz targets found (fuzz/fuzz_json_body), kept as regression tests.
#include <gtest/gtest.h>

#include <string>

#include "common/currency.h"
#include "common/json.h"
#include "common/money.h"

namespace issuerd {
namespace {

// fuzz_json_body crash-1332cc2beeb831e72a7e3599f83cd41a3431781b (the seed huge_numbers):
// Boost.JSON reads 1e400 as an infinite double and writes it back as "Infinity", which is
// not JSON, so a body holding one does not survive json::to_string + parse_object. Either
// parse_object refuses such a body, or every reader refuses each of its hostile numbers;
// no amount or integer comes out of them.
TEST(JsonRegression, NumbersBeyondRangeNeverBecomeAmountsOrIntegers) {
  auto body = json::parse_object(R"({"amount":1e400,"neg":-1e400,"x":99999999999999999999999,"y":-0,"z":-0.0,"w":1e-400})");
  if (!body.ok()) {
    EXPECT_EQ(body.error().reason, "invalid_json");
    return;
  }
  const Currency usd = *find_currency("USD");
  for (const char* field : {"amount", "neg"}) {
    auto text = json::required_amount_text(*body, field);
    ASSERT_FALSE(text.ok()) << field << " read as " << *text;
    EXPECT_EQ(text.error().reason, "amount_out_of_range");
    EXPECT_EQ(text.error().field, field);
    EXPECT_FALSE(json::required_integer(*body, field).ok()) << field;
  }
  auto x = json::required_amount_text(*body, "x");
  EXPECT_FALSE(x.ok()) << "99999999999999999999999 read as " << *x;
  EXPECT_FALSE(json::required_integer(*body, "x").ok());
  // -0, -0.0 and 1e-400 read as zero: never a positive amount.
  for (const char* field : {"y", "z", "w"}) {
    auto text = json::required_amount_text(*body, field);
    ASSERT_TRUE(text.ok()) << field;
    auto minor = parse_amount_minor(*text, usd, AmountSign::positive, field);
    ASSERT_FALSE(minor.ok()) << field << " = " << *text;
    EXPECT_EQ(minor.error().reason, "amount_not_positive") << field;
    auto non_negative = parse_amount_minor(*text, usd, AmountSign::non_negative, field);
    ASSERT_TRUE(non_negative.ok()) << field;
    EXPECT_EQ(*non_negative, 0);
  }
}

// A body with finite numbers only always survives a round trip.
TEST(JsonRegression, FiniteBodiesRoundTrip) {
  auto body = json::parse_object(R"({"a":1.7976931348623157e308,"b":5e-324,"c":-0.0,"d":[1,{"e":null}],"f":"\u0000"})");
  ASSERT_TRUE(body.ok());
  auto again = json::parse_object(json::to_string(*body));
  ASSERT_TRUE(again.ok()) << json::to_string(*body);
  EXPECT_EQ(*again, *body);
}

}  // namespace
}  // namespace issuerd
