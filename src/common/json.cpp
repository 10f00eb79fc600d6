#include "common/json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/assert.h"

namespace issuerd::json {

namespace {

// The bytes a JSON string holds as they are: printable ASCII but the quote and the backslash.
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> plain{};
  for (int byte = 0x20; byte < 0x80; ++byte) plain[byte] = byte != '"' && byte != '\\';
  return plain;
}();

Error field_error(std::string reason, std::string message, std::string_view field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::string(field));
}

Error wrong_type(std::string_view field, const char* expected) {
  return field_error("wrong_type", std::string(field) + " must be " + expected, field);
}

const bj::value* find(const bj::object& body, std::string_view field) {
  auto it = body.find(field);
  if (it == body.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

Result<std::int64_t> integer_from(const bj::value& value, std::string_view field) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) return field_error("out_of_range", std::string(field) + " is too large", field);
  if (value.is_string()) {
    const bj::string& text = value.get_string();
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return parsed;
    if (ec == std::errc::result_out_of_range) {
      return field_error("out_of_range", std::string(field) + " is too large", field);
    }
  }
  if (value.is_double()) {
    const double number = value.get_double();
    if (std::isfinite(number) && number == std::trunc(number) && std::fabs(number) < 9.0e15) {
      return static_cast<std::int64_t>(number);
    }
  }
  return wrong_type(field, "an integer");
}

}  // namespace

Result<bj::object> parse_object(std::string_view body) {
  bj::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  bj::value value = bj::parse(body, ec, {}, options);
  if (ec) return make_error(ErrorKind::invalid_argument, "invalid_json", "request body is not valid JSON: " + ec.message());
  if (!value.is_object()) return make_error(ErrorKind::invalid_argument, "body_not_object", "request body must be a JSON object");
  return std::move(value.as_object());
}

Result<std::string> required_string(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return field_error("missing_field", std::string(field) + " is required", field);
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::string(value->get_string());
}

Result<std::optional<std::string>> optional_string(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

Result<std::int64_t> required_integer(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return field_error("missing_field", std::string(field) + " is required", field);
  return integer_from(*value, field);
}

Result<std::optional<std::int64_t>> optional_integer(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return std::optional<std::int64_t>();
  ISSUERD_ASSIGN(std::int64_t parsed, integer_from(*value, field));
  return std::optional<std::int64_t>(parsed);
}

Result<std::optional<bool>> optional_bool(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_bool()) return wrong_type(field, "true or false");
  return std::optional<bool>(value->get_bool());
}

Result<std::string> amount_text(const bj::value& value, std::string_view field) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return field_error("amount_out_of_range", std::string(field) + " is too large", field);
  if (value.is_double()) {
    const double number = value.get_double();
    // Beyond 1e15 a double no longer holds every cent exactly; refuse rather than round.
    if (!std::isfinite(number) || std::fabs(number) >= 1.0e15) {
      return field_error("amount_out_of_range", std::string(field) + " is out of range", field);
    }
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::fixed);
    if (ec != std::errc()) return field_error("invalid_amount", std::string(field) + " is not a number", field);
    return std::string(buffer, end);
  }
  return wrong_type(field, "a decimal amount");
}

Result<std::string> required_amount_text(const bj::object& body, std::string_view field) {
  const bj::value* value = find(body, field);
  if (value == nullptr) return field_error("missing_field", std::string(field) + " is required", field);
  return amount_text(*value, field);
}

std::string to_string(const bj::value& value) { return bj::serialize(value); }

void ObjectText::start_member(std::string_view key) {
  // ,"key": as one append, not four (the writer starts about thirty members per authorization).
  std::array<char, 64> member;
  ISSUERD_ASSERT(key.size() + 4 <= member.size());  // keys are the caller's short literals
  char* out = member.data();
  if (text_.size() > 1) *out++ = ',';
  *out++ = '"';
  out = std::copy(key.begin(), key.end(), out);
  *out++ = '"';
  *out++ = ':';
  text_.append(member.data(), static_cast<std::size_t>(out - member.data()));
}

ObjectText& ObjectText::add_text(std::string_view key, std::string_view text) {
  start_member(key);
  // Ids, codes, amounts and times need no escaping: appended as they are, without the
  // serializer's allocation.
  const bool plain =
      std::all_of(text.begin(), text.end(), [](char c) { return kPlainByte[static_cast<unsigned char>(c)]; });
  if (plain) {
    text_ += '"';
    text_ += text;
    text_ += '"';
  } else {
    text_ += bj::serialize(bj::string_view(text.data(), text.size()));
  }
  return *this;
}

ObjectText& ObjectText::add_optional_text(std::string_view key, const std::optional<std::string>& text) {
  return text ? add_text(key, *text) : add_null(key);
}

ObjectText& ObjectText::add_integer(std::string_view key, std::int64_t number) {
  start_member(key);
  text_ += std::to_string(number);
  return *this;
}

ObjectText& ObjectText::add_bool(std::string_view key, bool flag) {
  start_member(key);
  text_ += flag ? "true" : "false";
  return *this;
}

ObjectText& ObjectText::add_null(std::string_view key) {
  start_member(key);
  text_ += "null";
  return *this;
}

ObjectText& ObjectText::add_object(std::string_view key, ObjectText inner) {
  start_member(key);
  text_ += inner.finish();
  return *this;
}

std::string ObjectText::finish() {
  text_ += '}';
  return std::move(text_);
}

}  // namespace issuerd::json
