#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"

#include <set>

namespace issuerd {
namespace {

TEST(Rfc3339, ParsesAndFormats) {
  EXPECT_EQ(*parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339_ms("2026-01-31T23:59:59Z"), 1769903999000);
  EXPECT_EQ(*parse_rfc3339_ms("2026-01-31T23:59:59.250Z"), 1769903999250);
  EXPECT_EQ(*parse_rfc3339_ms("2026-02-01T01:59:59+02:00"), 1769903999000);
  EXPECT_EQ(*parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);  // leap day
  EXPECT_EQ(format_rfc3339_ms(1769903999250), "2026-01-31T23:59:59.250Z");
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(1709164800005), "2024-02-29T00:00:00.005Z");
  EXPECT_EQ(format_rfc3339_ms(253402300799999), "9999-12-31T23:59:59.999Z");
  for (const char* bad : {"", "2026-01-31", "2026-01-31 23:59:59Z", "2026-13-01T00:00:00Z", "2026-01-31T23:59:59",
                          "2026-01-31T24:00:00Z", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339_ms(bad).ok()) << bad;
  }
}

TEST(Clock, TestClockIsFrozenWhereSet) {
  Clock clock(true);
  clock.set_ms(1769903999000);
  EXPECT_EQ(clock.now_ms(), 1769903999000);
  EXPECT_EQ(clock.now_ms(), 1769903999000);
  Clock wall(false);
  EXPECT_GT(wall.now_ms(), 1700000000000);
}

TEST(Ids, UniqueAndIncreasing) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 20000; ++i) {
    std::string id = next_id();
    EXPECT_TRUE(seen.insert(id).second);
    if (!previous.empty()) {
      EXPECT_GT(std::stoll(id), std::stoll(previous));
    }
    previous = id;
  }
}

TEST(Json, ParseObjectErrors) {
  EXPECT_EQ(json::parse_object("{").error().reason, "invalid_json");
  EXPECT_EQ(json::parse_object("[1]").error().reason, "body_not_object");
  EXPECT_EQ(json::parse_object("").error().reason, "invalid_json");
  std::string deep(100, '[');
  EXPECT_EQ(json::parse_object("{\"a\":" + deep).error().reason, "invalid_json");
  EXPECT_TRUE(json::parse_object("{\"a\":1}").ok());
}

TEST(Json, TypedFieldsNameTheField) {
  auto body = *json::parse_object(R"({"s":"x","n":5,"ns":"17","b":true,"f":1.5,"null":null})");
  EXPECT_EQ(*json::required_string(body, "s"), "x");
  EXPECT_EQ(json::required_string(body, "n").error().reason, "wrong_type");
  EXPECT_EQ(json::required_string(body, "n").error().field, "n");
  EXPECT_EQ(json::required_string(body, "missing").error().reason, "missing_field");
  EXPECT_EQ(json::required_string(body, "null").error().reason, "missing_field");
  EXPECT_EQ(*json::required_integer(body, "n"), 5);
  EXPECT_EQ(*json::required_integer(body, "ns"), 17);
  EXPECT_EQ(json::required_integer(body, "s").error().reason, "wrong_type");
  EXPECT_EQ(json::required_integer(body, "f").error().reason, "wrong_type");
  EXPECT_EQ(**json::optional_bool(body, "b"), true);
  EXPECT_FALSE(json::optional_bool(body, "missing")->has_value());
}

TEST(Json, AmountTextIsExact) {
  auto body = *json::parse_object(R"({"a":"12.50","b":12.5,"c":100,"d":0.1,"e":1e400,"f":1e20,"g":true,"h":-0.0})");
  EXPECT_EQ(*json::required_amount_text(body, "a"), "12.50");
  EXPECT_EQ(*json::required_amount_text(body, "b"), "12.5");
  EXPECT_EQ(*json::required_amount_text(body, "c"), "100");
  EXPECT_EQ(*json::required_amount_text(body, "d"), "0.1");
  EXPECT_FALSE(json::required_amount_text(body, "f").ok());
  EXPECT_EQ(json::required_amount_text(body, "g").error().reason, "wrong_type");
}

// Every byte alone and inside a plain text: written as the serialiser writes it, whichever
// of ObjectText's two ways (as it is, or escaped) it takes.
TEST(Json, ObjectTextWritesEveryByteAsTheSerialiser) {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string text = std::string("id-") + static_cast<char>(byte) + "-42";
    EXPECT_EQ(json::ObjectText().add_text("k", text).finish(), json::to_string(boost::json::object{{"k", text}}))
        << "byte " << byte;
  }
}

// ObjectText must write what serialising the same boost::json object writes, escapes and
// all: clients parse the two the same way, and idempotent replays compare bytes.
TEST(Json, ObjectTextMatchesTheSerialisedObject) {
  const std::string awkward = std::string("quote\" backslash\\ tab\t newline\n nul") + '\0' + " \x1f caf\xc3\xa9 \xe2\x82\xac";
  const std::string written = json::ObjectText()
                                  .add_text("plain", "abc")
                                  .add_text("awkward", awkward)
                                  .add_optional_text("present", std::optional<std::string>("x"))
                                  .add_optional_text("absent", std::nullopt)
                                  .add_integer("negative", -9223372036854775807LL - 1)
                                  .add_integer("zero", 0)
                                  .add_bool("yes", true)
                                  .add_bool("no", false)
                                  .add_null("nothing")
                                  .add_object("inner", json::ObjectText().add_text("name", "in\"ner").add_null("mcc"))
                                  .add_object("empty", json::ObjectText())
                                  .finish();
  const boost::json::object expected{{"plain", "abc"},
                                     {"awkward", awkward},
                                     {"present", "x"},
                                     {"absent", nullptr},
                                     {"negative", -9223372036854775807LL - 1},
                                     {"zero", 0},
                                     {"yes", true},
                                     {"no", false},
                                     {"nothing", nullptr},
                                     {"inner", boost::json::object{{"name", "in\"ner"}, {"mcc", nullptr}}},
                                     {"empty", boost::json::object{}}};
  EXPECT_EQ(written, json::to_string(expected));
  auto parsed = json::parse_object(written);
  ASSERT_TRUE(parsed.ok()) << written;
  EXPECT_EQ(parsed->at("awkward").as_string(), awkward);
}

}  // namespace
}  // namespace issuerd
