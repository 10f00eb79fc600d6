// Reading request bodies: parse JSON into an object and read typed fields with errors
// that name the field. Every reader returns invalid_argument with the field set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.h"

namespace issuerd::json {

namespace bj = boost::json;

// Parses a body that must be a JSON object: reason "invalid_json" (with the parser's
// message) or "body_not_object". Depth is limited to 32.
Result<bj::object> parse_object(std::string_view body);

// A present, non-null field. Missing or null: reason "missing_field".
Result<std::string> required_string(const bj::object& body, std::string_view field);
// Absent or null: nullopt. Present with another type: "wrong_type".
Result<std::optional<std::string>> optional_string(const bj::object& body, std::string_view field);
// A JSON integer, or a string of decimal digits (MusePay clients send both).
Result<std::int64_t> required_integer(const bj::object& body, std::string_view field);
Result<std::optional<std::int64_t>> optional_integer(const bj::object& body, std::string_view field);
Result<std::optional<bool>> optional_bool(const bj::object& body, std::string_view field);

// The decimal text of an amount sent as a JSON string ("12.50") or number (12.5). A number
// is taken in its shortest round-trip decimal form, so 12.5 reads as "12.5" exactly;
// non-finite or exponent-sized numbers are refused ("invalid_amount"). Send strings to be
// exact beyond 15 significant digits.
Result<std::string> amount_text(const bj::value& value, std::string_view field);
Result<std::string> required_amount_text(const bj::object& body, std::string_view field);

// Reads page/page_size style paging: page >= 1 (default 1), 1 <= size <= size_max.
struct Page {
  std::int64_t number = 1;
  std::int64_t size = 50;
  std::int64_t offset() const { return (number - 1) * size; }
};

// Serialises compactly; the order of keys is the order they were inserted.
std::string to_string(const bj::value& value);

// Writes a JSON object's text key by key, the same as serialising a boost::json object with
// those keys in that order, without building the object first (the writer thread renders
// every authorization's answer, and building, copying and freeing those objects was about
// 8 % of its time). Keys are the caller's literals and are not escaped; values are.
class ObjectText {
 public:
  // Room for a typical answer up front: growing from empty copied the text five times.
  ObjectText() { text_.reserve(initial_capacity_bytes); }
  ObjectText& add_text(std::string_view key, std::string_view text);
  ObjectText& add_optional_text(std::string_view key, const std::optional<std::string>& text);  // null if none
  ObjectText& add_integer(std::string_view key, std::int64_t number);
  ObjectText& add_bool(std::string_view key, bool flag);
  ObjectText& add_null(std::string_view key);
  ObjectText& add_object(std::string_view key, ObjectText inner);
  // The text, closed; the writer is spent.
  std::string finish();

 private:
  static constexpr std::size_t initial_capacity_bytes = 512;
  void start_member(std::string_view key);
  std::string text_ = "{";
};

}  // namespace issuerd::json
