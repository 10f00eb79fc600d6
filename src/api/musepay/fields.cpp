#include "api/musepay/fields.h"

namespace issuerd::api::musepay {

namespace {
bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

Error invalid(std::string message, std::string_view field) {
  return make_error(ErrorKind::invalid_argument, "invalid_field", std::move(message), std::string(field));
}
}  // namespace

Result<std::string> required_text(const boost::json::object& body, std::string_view field, std::size_t max_length) {
  ISSUERD_ASSIGN(std::string value, json::required_string(body, field));
  if (value.empty() || value.size() > max_length) {
    return invalid(std::string(field) + " must be 1 to " + std::to_string(max_length) + " characters", field);
  }
  return value;
}

Result<std::string> phone_number(const boost::json::object& body) {
  ISSUERD_ASSIGN(std::string value, json::required_string(body, "phone_number"));
  if (!all_digits(value) || value.size() < 4 || value.size() > 20) {
    return invalid("phone_number must be 4 to 20 digits", "phone_number");
  }
  return value;
}

Result<std::string> phone_area_code(const boost::json::object& body) {
  auto text = json::required_string(body, "phone_area_code");
  if (!text.ok()) return text.take_error();
  std::string_view digits = *text;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  const std::string value(digits);
  if (!all_digits(value) || value.size() > 4) return invalid("phone_area_code must be 1 to 4 digits", "phone_area_code");
  return value;
}

}  // namespace issuerd::api::musepay
